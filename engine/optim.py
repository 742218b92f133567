"""Update rules written out for the NumPy engine — what is taught — tested equal to torch.optim.

Each optimizer updates a dict of parameter arrays in place from a dict of gradients, keeps its
per-parameter state (velocities, moment estimates), and can `explain` one weight's update with the
numbers of the last step filled in.
"""
from __future__ import annotations

import math
import re

import numpy as np

from .numfmt import apart, num, par


class Optimizer:
    name = ""
    formula = ""

    def __init__(self, weight_decay: float = 0.0):
        self.weight_decay = weight_decay
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.t = 0  # steps taken
        self.last: dict[str, dict[str, np.ndarray]] = {}  # per key: the numbers of the last update

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float, keys) -> None:
        self.t += 1
        for k in keys:
            g = grads[k] + self.weight_decay * params[k] if self.weight_decay and self.couples_decay else grads[k]
            before = params[k].copy()
            self._update(k, params, g, lr)
            self.last[k] = {"g": np.asarray(g).copy(), "before": before, "after": params[k].copy(), "lr": lr}

    couples_decay = True  # L2 through the gradient (SGD, Adam); AdamW decays the weight directly

    def _update(self, k, params, g, lr):
        raise NotImplementedError

    def explain(self, key: str, index: tuple) -> dict:
        """The last update of params[key][index] with every number of it: {"rule", "lines", "values"}.
        `values` holds g (the gradient used), lr (η of that step), before, after, step (what the rule
        subtracted: after = before − step, or before − decay − step for AdamW) and the rule's own
        state (v, s, m, v̂ …) as floats — a client only formats them."""
        if key not in self.last:
            return {"rule": self.formula, "lines": ["no update yet: take a step"], "values": {}}
        n = {name: float(np.asarray(v)[index]) for name, v in self.last[key].items() if name != "lr"}
        values = {"g": n["g"], "lr": float(self.last[key]["lr"]), "before": n["before"], "after": n["after"]}
        if self.weight_decay:
            values["weight_decay"] = float(self.weight_decay)
        values.update(self._state_values(key, index, values))
        lines = [own_symbol(line, key) for line in self._lines(values)]
        return {"rule": self.formula, "lines": lines, "values": values}

    def _state_values(self, key, index, n: dict) -> dict:
        return {"step": n["lr"] * n["g"]}

    def _lines(self, n: dict) -> list[str]:
        old, new = apart(n["before"], n["after"])
        return [*self._decay_note(n), f"w ← w − η·g = {old} − {num(n['lr'])}·{par(n['g'])} = {new}"]

    def _decay_note(self, n: dict) -> list[str]:
        if "weight_decay" in n and self.couples_decay:
            return [f"g includes the decay λ·w (λ = {num(n['weight_decay'])})"]
        return []


class SGD(Optimizer):
    """Plain gradient descent: p ← p − η·∂L/∂p."""

    name, formula = "sgd", "w ← w − η·g"

    def _update(self, k, params, g, lr):
        params[k] -= lr * g  # in place: callers copy out what they keep


class Momentum(Optimizer):
    """A velocity that remembers past gradients: v ← μ·v + g, w ← w − η·v (torch's convention,
    dampening 0). Nesterov looks ahead: w ← w − η·(g + μ·v)."""

    name, formula = "momentum", "v ← μ·v + g,  w ← w − η·v"

    def __init__(self, momentum: float = 0.9, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(weight_decay)
        self.momentum, self.nesterov = momentum, nesterov
        if nesterov:
            self.name, self.formula = "nesterov", "v ← μ·v + g,  w ← w − η·(g + μ·v)"

    def _update(self, k, params, g, lr):
        st = self.state.setdefault(k, {})
        v = st["v"] = g.copy() if "v" not in st else self.momentum * st["v"] + g
        params[k] -= lr * (g + self.momentum * v if self.nesterov else v)

    def _state_values(self, key, index, n):
        v, mu = float(np.asarray(self.state[key]["v"])[index]), float(self.momentum)
        direction = n["g"] + mu * v if self.nesterov else v  # what η multiplies
        return {"v": v, "mu": mu, "direction": direction, "step": n["lr"] * direction}

    def _lines(self, n):
        return [*self._decay_note(n),
                f"v ← μ·v + g = {num(n['v'])}  (μ = {num(n['mu'])}, g = {num(n['g'])})",
                f"w ← w − η·{'(g + μ·v)' if self.nesterov else 'v'} = {apart(n['before'], n['after'])[0]} − {num(n['lr'])}·"
                f"{par(n['direction'])} = {apart(n['before'], n['after'])[1]}"]


class RMSProp(Optimizer):
    """Divide each step by a running RMS of its gradients: s ← α·s + (1−α)·g², w ← w − η·g/(√s + ε)."""

    name, formula = "rmsprop", "s ← α·s + (1−α)·g²,  w ← w − η·g/(√s + ε)"

    def __init__(self, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(weight_decay)
        self.alpha, self.eps = alpha, eps

    def _update(self, k, params, g, lr):
        st = self.state.setdefault(k, {"s": np.zeros_like(params[k])})
        st["s"] = self.alpha * st["s"] + (1 - self.alpha) * g * g
        params[k] -= lr * g / (np.sqrt(st["s"]) + self.eps)

    def _state_values(self, key, index, n):
        s = float(np.asarray(self.state[key]["s"])[index])
        root = math.sqrt(s)
        return {"s": s, "alpha": self.alpha, "eps": self.eps, "sqrt_s": root,
                "step": n["lr"] * n["g"] / (root + self.eps)}

    def _lines(self, n):
        return [*self._decay_note(n),
                f"s ← α·s + (1−α)·g² = {num(n['s'])}  (α = {num(n['alpha'])}, g = {num(n['g'])})",
                f"w ← w − η·g/(√s + ε) = {apart(n['before'], n['after'])[0]} − {num(n['lr'])}·{par(n['g'])}/"
                f"{num(n['sqrt_s'])} = {apart(n['before'], n['after'])[1]}"]


class Adam(Optimizer):
    """Momentum and RMS together, with bias correction for their zero start (Kingma & Ba, 2015):
    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), w ← w − η·m̂/(√v̂ + ε).
    AdamW (Loshchilov & Hutter, 2019) decays the weight itself instead of adding λw to g."""

    name, formula = "adam", "m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← w − η·m̂/(√v̂ + ε)"

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False):
        super().__init__(weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.couples_decay = not decoupled
        if decoupled:
            self.name = "adamw"
            self.formula = "w ← w − η·λ·w, then Adam: w ← w − η·m̂/(√v̂ + ε)"

    def _update(self, k, params, g, lr):
        st = self.state.setdefault(k, {"m": np.zeros_like(params[k]), "v": np.zeros_like(params[k])})
        if not self.couples_decay and self.weight_decay:
            params[k] *= 1 - lr * self.weight_decay
        st["m"] = self.beta1 * st["m"] + (1 - self.beta1) * g
        st["v"] = self.beta2 * st["v"] + (1 - self.beta2) * g * g
        m_hat = st["m"] / (1 - self.beta1 ** self.t)
        v_hat = st["v"] / (1 - self.beta2 ** self.t)
        params[k] -= lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _state_values(self, key, index, n):
        m = float(np.asarray(self.state[key]["m"])[index])
        v = float(np.asarray(self.state[key]["v"])[index])
        return adam_terms(n["before"], m, v, self.t, self.beta1, self.beta2, self.eps, n["lr"],
                          self.weight_decay if not self.couples_decay else 0.0)

    def _lines(self, n):
        return [*self._decay_note(n), *adam_lines(n)]


def adam_terms(before: float, m: float, v: float, t: int, beta1: float, beta2: float, eps: float, lr: float,
               decoupled_decay: float = 0.0) -> dict:
    """Every term of one weight's Adam update from the moments after it (Kingma & Ba 2015, Alg. 1;
    AdamW's decay first, Loshchilov & Hutter 2019): the bias corrections c1 = 1−β₁ᵗ, c2 = 1−β₂ᵗ,
    m̂ = m/c1, v̂ = v/c2, the step η·m̂/(√v̂ + ε) and, for AdamW, the decay η·λ·w.
    after = before − decay − step. Used by the NumPy Adam and by the transformer's torch Adam."""
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
    m_hat, v_hat = m / c1, v / c2
    denom = math.sqrt(v_hat) + eps
    out = {"m": m, "v": v, "t": t, "beta1": beta1, "beta2": beta2, "eps": eps, "c1": c1, "c2": c2,
           "m_hat": m_hat, "v_hat": v_hat, "denom": denom, "direction": m_hat / denom, "step": lr * m_hat / denom}
    if decoupled_decay:
        out["decay"] = lr * decoupled_decay * before
    return out


def own_symbol(line: str, key: str) -> str:
    """A bias's update written with its own letter, b ← b − η·g, not the weights' w."""
    return re.sub(r"\bw\b", "b", line) if key.lower().startswith("b") else line


def adam_lines(n: dict) -> list[str]:
    """Adam's update written out with the numbers of adam_terms (plus g, lr, before, after)."""
    lines = [f"g = {num(n['g'])}, step t = {n['t']}",
             f"m ← β₁m + (1−β₁)g = {num(n['m'])},  v ← β₂v + (1−β₂)g² = {num(n['v'])}",
             f"bias correction: m̂ = m/(1−β₁ᵗ) = {num(n['m'])}/{num(n['c1'])} = {num(n['m_hat'])},  "
             f"v̂ = v/(1−β₂ᵗ) = {num(n['v'])}/{num(n['c2'])} = {num(n['v_hat'])}"]
    start = n["before"]
    if "decay" in n:
        start = n["before"] - n["decay"]
        lines.append(f"decay first: w ← w − η·λ·w = {num(n['before'])} − {num(n['lr'])}·{num(n['weight_decay'])}·"
                     f"{par(n['before'])} = {num(start)}")
    lines.append(f"w ← w − η·m̂/(√v̂ + ε) = {apart(start, n['after'])[0]} − {num(n['lr'])}·{par(n['m_hat'])}/"
                 f"{num(n['denom'])} = {apart(start, n['after'])[1]}")
    return lines


# the update rules by name, with the one way each is written on a page (as torch.optim spells it)
OPTIMIZERS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "rmsprop": "RMSprop", "adam": "Adam",
              "adamw": "AdamW"}


def make_optimizer(name: str, *, momentum=0.9, beta1=0.9, beta2=0.999, weight_decay=0.0) -> Optimizer:
    if name == "sgd":
        return SGD(weight_decay)
    if name in ("momentum", "nesterov"):
        return Momentum(momentum, nesterov=name == "nesterov", weight_decay=weight_decay)
    if name == "rmsprop":
        return RMSProp(weight_decay=weight_decay)
    if name in ("adam", "adamw"):
        return Adam(beta1, beta2, weight_decay=weight_decay, decoupled=name == "adamw")
    raise ValueError(f"unknown optimizer '{name}'; choose one of {', '.join(OPTIMIZERS)}")
