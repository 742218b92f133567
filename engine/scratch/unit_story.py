"""What each stage of a one-unit step shows: its values, its formula with numbers, a caption.

Formulas use the first sample of the batch; with a batch, a last line gives the batch mean the
update actually uses. `values` carry every number at full precision, so a client can recompute.
"""
from __future__ import annotations

from .. import stagevalues as sv
from ..flow import STAGES, PlanEntry
from ..numfmt import label, num, par, stepped, sub
from .unit import Unit, UnitStep


def symbols(line: bool) -> dict[str, str]:
    """The symbol of each value a one-unit step sends, as its formulas write them (the line's y = a·x
    vocabulary: slope a, prediction ŷ): served, so a page labels the numbers the same way."""
    w, out = ("a", "ŷ") if line else ("w", "z")
    return {"x": "x", "y": "y", "w": w, "b": "b", "z": out, "a": "a = σ(z)", "loss": "L", "grad_w": f"∂L/∂{w}",
            "grad_b": "∂L/∂b", "dz": f"∂L/∂{out}", "lr": "η (lr)"}


def _names(unit: Unit, n: int, line: bool) -> list[str]:
    base = symbols(line)["w"]
    return [base] if n == 1 else [f"{base}{sub(i + 1)}" for i in range(n)]


def _xnames(n: int) -> list[str]:
    return ["x"] if n == 1 else [f"x{sub(i + 1)}" for i in range(n)]


def _vec(v) -> str:
    v = list(v)
    return num(v[0]) if len(v) == 1 else "(" + ", ".join(num(e) for e in v) + ")"


class UnitStory:
    """Tells a Unit's step stage by stage. `line` switches to the y = a·x vocabulary (ŷ, slope a)."""

    def __init__(self, unit: Unit, line: bool):
        self.unit, self.line = unit, line

    def describe(self, stage: str, layer: int, rec: UnitStep, before: dict, after: dict | None, lr: float | None):
        return getattr(self, "_" + stage)(rec, before, after, lr)

    def _batch_note(self, rec: UnitStep) -> str:
        return f"sample 1 of {len(rec.y)}: " if len(rec.y) > 1 else ""

    def _input(self, rec, before, after, lr):
        x0, y0 = rec.x[0], rec.y[0]
        yv = num(y0) if self.line else label(y0)
        formula = f"{self._batch_note(rec)}x = {_vec(x0)},  y = {yv}"
        n = len(rec.y)
        caption = (f"A batch of {n} samples goes in: " if n > 1 else "One sample goes in: ") + \
            "the features x and the true answer y."
        return sv.UnitInput(x=rec.x.tolist(), y=rec.y.tolist()), formula, caption

    def _weights(self, rec, before, after, lr):
        w, b = before["w"], before.get("b", 0.0)  # no b: the line without its bias (never shown then)
        names = _names(self.unit, len(w), self.line)
        parts = [f"{n} = {num(v)}" for n, v in zip(names, w)]
        if self.unit.bias or not self.line:
            parts.append(f"b = {num(b)}")
        what = "the slope a" if self.line else "a weight per feature and a bias"
        values = sv.UnitWeights(w=list(w), b=b if self._has_b() else None)  # no b: absent, not 0
        return values, ",  ".join(parts), f"The parameters being learned: {what}."

    def _linear(self, rec, before, after, lr):
        w, b = before["w"], before.get("b", 0.0)
        x0 = rec.x[0]
        names, xn = _names(self.unit, len(w), self.line), _xnames(len(w))
        sym = " + ".join(f"{n}·{x}" for n, x in zip(names, xn))
        nums = " + ".join(f"{num(wi)}·{par(xi)}" for wi, xi in zip(w, x0))
        out = symbols(self.line)["z"]
        if self.unit.bias or not self.line:
            sym, nums = sym + " + b", nums + f" + {par(b)}"
        formula = f"{self._batch_note(rec)}{out} = {sym} = {nums} = {num(rec.z[0])}"
        caption = ("The prediction: the slope times x." if self.line else
                   "Each input is weighed, and the bias added: one number z per sample.")
        return sv.UnitLinear(z=rec.z.tolist()), formula, caption

    def _activation(self, rec, before, after, lr):
        formula = f"{self._batch_note(rec)}a = σ(z) = 1/(1 + e^(−z)) = 1/(1 + e^{par(-rec.z[0])}) = {num(rec.a[0])}"
        caption = "The sigmoid squashes z into a probability between 0 and 1."
        return sv.UnitActivation(a=rec.a.tolist()), formula, caption

    def _loss(self, rec, before, after, lr):
        y0, a0 = rec.y[0], rec.a[0]
        if self.line:
            formula = f"L = (ŷ − y)² = ({num(a0)} − {par(y0)})² = {num(rec.losses[0])}"
            caption = "The squared error: being wrong by 2 costs four times as much as by 1, and signs can't cancel."
        else:
            yl = label(y0)
            formula = (f"L = −[y·ln a + (1−y)·ln(1−a)] = −[{yl}·ln {num(a0)} + {label(1 - y0)}·ln {num(1 - a0)}]"
                       f" = {num(rec.losses[0])}")
            caption = "Cross-entropy: small when the true class got a high probability, large when it got a low one."
        formula = self._batch_note(rec) + formula
        if len(rec.y) > 1:
            formula += f"\nbatch mean: L = {num(rec.loss)}"
        return sv.UnitLoss(loss=rec.loss), formula, caption

    def _gradients(self, rec, before, after, lr):
        w = before["w"]
        x0, y0, a0 = rec.x[0], rec.y[0], rec.a[0]
        n = len(rec.y)
        names, xn = _names(self.unit, len(w), self.line), _xnames(len(w))
        # d0 is the engine's ∂L/∂ŷ (or ∂L/∂z) of sample 1 for the batch-mean loss: it carries the 1/B,
        # written where it applies (the values table shows the same number)
        d0 = float(rec.dz[0])
        per = "/B" if n > 1 else ""
        of_b = f"/{n}" if n > 1 else ""
        if self.line:
            lines = [f"∂L/∂ŷ = 2(ŷ − y){per} = 2·({num(a0)} − {par(y0)}){of_b} = {num(d0)}"]
            dname = f"2(ŷ − y){per}"
        else:
            lines = [f"∂L/∂z = ∂L/∂a·∂a/∂z = (a − y){per} = ({num(a0)} − {label(y0)}){of_b} = {num(d0)}"]
            dname = f"(a − y){per}"
        if n > 1:
            lines[0] += "  (the 1/B: the loss is the batch's mean)"
        for nm, xs, xi in zip(names, xn, x0):
            lines.append(f"∂L/∂{nm} = {dname}·{xs} = {par(d0)}·{par(xi)} = {num(d0 * xi)}")
        if self.unit.bias or not self.line:
            lines.append(f"∂L/∂b = {dname} = {num(d0)}")
        lines[0] = self._batch_note(rec) + lines[0]
        g = rec.grads
        if n > 1:
            sums = [f"∂L/∂{nm} = {num(v)}" for nm, v in zip(names, g["w"])]
            if self.unit.bias or not self.line:
                sums.append(f"∂L/∂b = {num(g['b'])}")
            lines.append(f"summed over the batch of {n}: " + ",  ".join(sums))
        caption = "Back-propagation: the chain rule says how much each parameter moved the loss."
        # a bias-free line has no ∂L/∂b to show: b is not a parameter (its gradient would not be 0)
        values = sv.UnitGradients(grad_w=g["w"].tolist(), dz=rec.dz.tolist(),
                                  grad_b=float(g["b"]) if self._has_b() else None)
        return values, "\n".join(lines), caption

    def _update(self, rec, before, after, lr):
        names = _names(self.unit, len(before["w"]), self.line)
        g = rec.grads
        opt = self.unit.optimizer
        if opt.name == "sgd" and not opt.weight_decay:
            lines = [f"{nm} ← {nm} − η·∂L/∂{nm} = {stepped(old, f'{num(lr)}·{par(gw)}', new)}"
                     for nm, old, gw, new in zip(names, before["w"], g["w"], after["w"])]
            if self.unit.bias or not self.line:
                gb = float(g["b"])
                lines.append(f"b ← b − η·∂L/∂b = {stepped(before['b'], f'{num(lr)}·{par(gb)}', after['b'])}")
        else:  # the rule's own state (velocity, moments) moves the step: show the rule and its result
            lines = [f"{opt.name}: {opt.formula}"]
            lines += [f"{nm}: {num(old)} → {num(new)}" for nm, old, new in zip(names, before["w"], after["w"])]
            if self.unit.bias or not self.line:
                lines.append(f"b: {num(before['b'])} → {num(after['b'])}")
        caption = "Each parameter takes a small step against its gradient: downhill on the loss."
        values = sv.UnitUpdate(w=list(after["w"]), lr=lr, b=after["b"] if self._has_b() else None)
        return values, "\n".join(lines), caption

    def _has_b(self) -> bool:
        """Is b a parameter? Always for the neuron; for the line only with `bias` on."""
        return self.unit.bias or not self.line


def update_words(opt, w: str) -> str:
    """The update in symbols where it is plain gradient descent; other rules move by their own state."""
    if opt.name == "sgd" and not opt.weight_decay:
        return f"{w} ← {w} − η·∂L/∂{w}"
    return f"{w} ← {w} + Δ{w} ({opt.name})"


def plan(unit: Unit, line: bool) -> tuple[PlanEntry, ...]:
    """The stages of one step with their words: a line has no activation, and no b when its bias is off."""
    w, bias = symbols(line)["w"], unit.bias or not line
    words = {
        "input": "x, y",
        "weights": f"{w}, b" if bias else w,
        "linear": ("ŷ = a·x" if line else "z = w·x") + (" + b" if bias else ""),
        "activation": "a = σ(z)",
        "loss": "MSE: (ŷ − y)²" if line else "cross-entropy",
        "gradients": f"∂L/∂{w}, ∂L/∂b" if bias else f"∂L/∂{w}",
        "update": update_words(unit.optimizer, w),
    }
    return tuple(PlanEntry(s, 0, words[s]) for s in STAGES if s in words and not (line and s == "activation"))
