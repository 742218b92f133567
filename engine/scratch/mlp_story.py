"""What each stage of a network step shows. Formulas follow sample 1 and unit 1 of the layer at
hand (layers and units are numbered from 1 for people; the wire's `layer` counts from 0)."""
from __future__ import annotations

import numpy as np

from .. import stagevalues as sv
from ..flow import PlanEntry
from ..numfmt import label, num, par, stepped, sub
from .mlp import MLP, MLPStep
from .unit_story import update_words

MAX_TERMS = 3  # a weighted sum shows this many terms, then "+ …"


def _layer_name(net: MLP, k: int) -> str:
    return "output layer" if k == net.depth - 1 else f"hidden layer {k + 1}"


def _weighted_sum(ws, xs, names) -> tuple[str, str]:
    terms = list(zip(ws, xs, names))
    sym = " + ".join(f"w{sub(1)}{sub(i + 1)}·{n}" for i, (_, _, n) in enumerate(terms[:MAX_TERMS]))
    nums = " + ".join(f"{num(w) if i == 0 else par(w)}·{par(x)}" for i, (w, x, _) in enumerate(terms[:MAX_TERMS]))
    if len(terms) > MAX_TERMS:
        sym, nums = sym + " + …", nums + f" + … ({len(terms)} terms)"
    return sym, nums


class MLPStory:
    def __init__(self, net: MLP, input_names: list[str]):
        self.net, self.inputs = net, input_names

    def describe(self, stage: str, layer: int, rec: MLPStep, before: dict, after: dict | None, lr: float | None):
        return getattr(self, "_" + stage)(layer, rec, before, after, lr)

    def _note(self, rec: MLPStep) -> str:
        return f"sample 1 of {len(rec.x)}: " if len(rec.x) > 1 else ""

    def _prev_names(self, k: int) -> list[str]:
        return list(self.inputs) if k == 0 else [f"a{sub(i + 1)}" for i in range(self.net.sizes[k])]

    def _input(self, k, rec, before, after, lr):
        labels = rec.y.argmax(1) if self.net.multiclass else rec.y[:, 0]
        xs = ",  ".join(f"{n} = {num(v)}" for n, v in zip(self.inputs, rec.x[0]))
        yv = label(labels[0]) if self.net.loss_fn.name != "mse" else num(labels[0])
        caption = f"A batch of {len(rec.x)} points goes in, each as its {len(self.inputs)} input features."
        return sv.NetInput(x=rec.x.tolist(), y=labels.tolist()), f"{self._note(rec)}{xs},  y = {yv}", caption

    def _weights(self, k, rec, before, after, lr):
        n = sum(p.size for p in self.net.params.values())
        shapes = ",  ".join(f"W{sub(i + 1)} {len(l['W'])}×{len(l['W'][0])}" for i, l in enumerate(before["layers"]))
        return (sv.NetWeights(layers=_layers(before)), f"{n} parameters: {shapes}, and a bias per unit",
                "The weights and biases of every layer: what training will change.")

    def _linear(self, k, rec, before, after, lr):
        W, b = before["layers"][k]["W"], before["layers"][k]["b"]
        prev = rec.x[0] if k == 0 else rec.acts[k - 1][0]
        sym, nums = _weighted_sum(W[0], prev, self._prev_names(k))
        formula = (f"{_layer_name(self.net, k)}, unit 1, {self._note(rec) or ''}"
                   f"z{sub(1)} = {sym} + b{sub(1)} = {nums} + {par(b[0])} = {num(rec.zs[k][0, 0])}")
        caption = f"{_layer_name(self.net, k).capitalize()}: each of its {len(W)} units weighs its {len(W[0])} inputs and adds a bias."
        return sv.NetLinear(z=rec.zs[k].tolist()), formula, caption

    def _activation(self, k, rec, before, after, lr):
        act = self.net.acts[k]
        z0, a = rec.zs[k][0], rec.acts[k][0]
        if act.name == "softmax":
            formula = f"p = softmax(z) = e^z / Σ e^z = ({', '.join(num(v) for v in a)})"
            caption = "Softmax turns the output scores into probabilities that sum to 1."
        else:
            fn = {"sigmoid": "σ", "relu": "max(0, ·)", "linear": "identity"}.get(act.name, act.name)
            formula = f"{_layer_name(self.net, k)}, unit 1: a{sub(1)} = {fn}(z{sub(1)}) = {fn}({num(z0[0])}) = {num(a[0])}"
            caption = f"The {act.name} activation bends each unit's z: without it, layers would collapse into one line."
        return sv.NetActivation(a=rec.acts[k].tolist()), self._note(rec) + formula, caption

    def _loss(self, k, rec, before, after, lr):
        out, y = rec.acts[-1][0], rec.y[0]
        name = self.net.loss_fn.name
        if name == "bce":
            first = (f"L = −[y·ln a + (1−y)·ln(1−a)] = −[{label(y[0])}·ln {num(out[0])} + "
                     f"{label(1 - y[0])}·ln {num(1 - out[0])}] = {num(rec.losses[0])}")
        elif name == "ce":
            c = int(y.argmax())
            # classes are numbered as the data labels them (0, 1, 2), as the diagram's outputs p₀, p₁, p₂
            first = f"L = −ln p(true class) = −ln p{sub(c)} = −ln {num(out[c])} = {num(rec.losses[0])}"
        else:
            first = f"L = (ŷ − y)² = ({num(out[0])} − {par(y[0])})² = {num(rec.losses[0])}"
        lines = [self._note(rec) + first]
        if len(rec.x) > 1 or rec.reg:
            lines.append(f"batch mean: {num(rec.data_loss)}" +
                         (f"  + regularization λ₁Σ|W| + λ₂ΣW² = {num(rec.reg)}  →  L = {num(rec.loss)}" if rec.reg else ""))
        caption = "The loss: how wrong the outputs are on this batch (plus the regularization term, if on)."
        return sv.NetLoss(loss=rec.loss, data_loss=rec.data_loss, reg=rec.reg), "\n".join(lines), caption

    def _gradients(self, k, rec, before, after, lr):
        net = self.net
        dz = rec.dzs[k]
        if k == net.depth - 1:
            what = {"bce": "(a − y)", "ce": "(p − y)", "mse": "2(ŷ − y)"}[net.loss_fn.name]
            first = f"∂L/∂z{sub(1)} = {what}/B = {num(dz[0, 0])}  (the 1/B: the loss is a batch mean)"
        else:
            W_next = np.asarray(before["layers"][k + 1]["W"])  # (next, this)
            da = float(rec.dzs[k + 1][0] @ W_next[:, 0])
            fprime = float(net.acts[k].df(rec.zs[k][:1, :1], rec.acts[k][:1, :1])[0, 0])
            first = (f"∂L/∂a{sub(1)} = Σⱼ ∂L/∂zⱼ·Wⱼ{sub(1)} = {num(da)},  "
                     f"∂L/∂z{sub(1)} = ∂L/∂a{sub(1)}·{net.acts[k].name}′(z{sub(1)}) = {num(da)}·{par(fprime)} = {num(dz[0, 0])}")
        gW, gb = rec.grads[f"W{k}"], rec.grads[f"b{k}"]
        prev = self._prev_names(k)[0]
        reg = "  (+ the regularization term's gradient)" if (net.l1 or net.l2) else ""
        lines = [f"{_layer_name(net, k)}, unit 1, {self._note(rec)}{first}",
                 f"∂L/∂W{sub(1)}{sub(1)} = Σ over the batch of ∂L/∂z{sub(1)}·{prev} = {num(gW[0, 0])}{reg}",
                 f"∂L/∂b{sub(1)} = Σ over the batch of ∂L/∂z{sub(1)} = {num(gb[0])}"]
        caption = (f"Back-propagation through the {_layer_name(net, k)}: the chain rule passes the loss's "
                   "sensitivity back, one layer at a time, last layer first.")
        values = sv.NetGradients(grad_W=gW.tolist(), grad_b=gb.tolist(), dz=dz.tolist())
        return values, "\n".join(lines), caption

    def _update(self, k, rec, before, after, lr):
        opt = self.net.optimizer
        if opt.name != "sgd" or opt.weight_decay:
            lines = [f"{opt.name}: {opt.formula}"]
            lines += [f"layer {i + 1}: W{sub(1)}{sub(1)}: {num(old['W'][0][0])} → {num(new['W'][0][0])}"
                      for i, (old, new) in enumerate(zip(before["layers"][:3], after["layers"][:3]))]
            return sv.NetUpdate(layers=_layers(after), lr=lr), "\n".join(lines), "Every weight and bias takes a step."
        lines = []
        for i, (old, new) in enumerate(zip(before["layers"], after["layers"])):
            if i == 3:
                lines.append(f"… and every other weight and bias the same way ({len(before['layers'])} layers)")
                break
            g = rec.grads[f"W{i}"][0, 0]
            lines.append(f"layer {i + 1}: W{sub(1)}{sub(1)} ← W{sub(1)}{sub(1)} − η·∂L/∂W{sub(1)}{sub(1)} = "
                         f"{stepped(old['W'][0][0], f'{num(lr)}·{par(g)}', new['W'][0][0])}")
        caption = "Every weight and bias takes a step against its gradient."
        return sv.NetUpdate(layers=_layers(after), lr=lr), "\n".join(lines), caption


# The activation each layer applies, in symbols (softmax is the output's, over the whole layer).
_ACT_WORDS = {"sigmoid": "a = σ(z)", "softmax": "p = softmax(z)", "linear": "a = z"}
_LOSS_WORDS = {"bce": "cross-entropy", "ce": "cross-entropy", "mse": "MSE: (ŷ − y)²"}


def plan(net: MLP) -> tuple[PlanEntry, ...]:
    """input, weights, forward per layer (first first), loss, gradients per layer (last first), update."""
    def layer(stage: str, k: int, words: str) -> PlanEntry:
        out = k == net.depth - 1
        return PlanEntry(stage, k, words, _layer_name(net, k), "out" if out else str(k + 1))

    forward = [e for k in range(net.depth) for e in (
        layer("linear", k, "z = W·a + b"),
        layer("activation", k, _ACT_WORDS.get(net.acts[k].name, f"a = {net.acts[k].name}(z)")))]
    backward = [layer("gradients", k, "∂L/∂W, ∂L/∂b") for k in range(net.depth - 1, -1, -1)]
    return (PlanEntry("input", 0, "x, y"), PlanEntry("weights", 0, "W, b"), *forward,
            PlanEntry("loss", 0, _LOSS_WORDS.get(net.loss_fn.name, net.loss_fn.name)), *backward,
            PlanEntry("update", 0, update_words(net.optimizer, "W")))


def _layers(view: dict) -> list[sv.LayerParams]:
    """A params_view's layers ({W, b} per layer) as the typed values carry them."""
    return [sv.LayerParams(**layer) for layer in view["layers"]]
