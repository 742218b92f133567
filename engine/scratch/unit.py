"""One unit: z = w·x + b, a = f(z), loss L(a, y) — the neuron (σ + BCE) and the line (a·x, MSE).

Forward, backward and update are written out the way the UI shows them; torch autograd and
central finite differences check them in tests/engine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..functions import Activation, Loss, grad_z, per_sample_loss
from ..optim import SGD, Optimizer


@dataclass
class UnitStep:
    """Everything one step computed, kept so its stages can be handed out without recomputing."""

    x: np.ndarray  # (B, F)
    y: np.ndarray  # (B,)
    z: np.ndarray  # (B,)  z = x·w + b
    a: np.ndarray  # (B,)  a = f(z)
    losses: np.ndarray  # (B,)  per-sample loss
    loss: float  # batch mean
    dz: np.ndarray  # (B,)  ∂L/∂z_i of the batch-mean loss (so it carries the 1/B)
    grads: dict[str, np.ndarray]  # "w": (F,), "b": ()


class Unit:
    def __init__(self, n_features: int, act: Activation, loss: Loss, bias: bool, rng: np.random.Generator,
                 optimizer: Optimizer | None = None):
        self.act, self.loss_fn, self.bias = act, loss, bias
        self.params = {"w": rng.normal(0.0, 0.5, n_features), "b": np.array(0.0)}
        self.trainable = ("w", "b") if bias else ("w",)
        self.optimizer = optimizer or SGD()

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = x @ self.params["w"] + self.params["b"]  # (B,)
        return z, self.act.f(z)

    def compute(self, x: np.ndarray, y: np.ndarray) -> UnitStep:
        """Forward and backward on one batch; changes nothing."""
        z, a = self.forward(x)
        losses = per_sample_loss(self.loss_fn, z, a, y)
        # chain rule: ∂L/∂w = Σ_i ∂L/∂z_i · ∂z_i/∂w = Σ_i dz_i·x_i, and ∂z/∂b = 1
        dz = grad_z(self.loss_fn, self.act, z, a, y) / len(y)
        grads = {"w": dz @ x, "b": np.array(dz.sum() if self.bias else 0.0)}
        return UnitStep(x, y, z, a, losses, float(losses.mean()), dz, grads)

    def apply(self, rec: UnitStep, lr: float) -> None:
        self.optimizer.step(self.params, rec.grads, lr, self.trainable)

    def mean_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        z, a = self.forward(x)
        return float(per_sample_loss(self.loss_fn, z, a, y).mean())

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(((self.forward(x)[1] > 0.5) == (y > 0.5)).mean())

    def params_view(self) -> dict:
        """The parameters as plain JSON values: b only where it is one (a line without its bias has none)."""
        view = {"w": self.params["w"].tolist()}
        if self.bias:
            view["b"] = float(self.params["b"])
        return view

    def finite(self) -> bool:
        return all(np.isfinite(p).all() for p in self.params.values())

    def curve(self, x: np.ndarray, y: np.ndarray, points: int = 101) -> dict:
        """The loss along the first weight (the line's slope a), the rest held: exact, whole set."""
        w, b = self.params["w"], float(self.params["b"])
        xs = x[:, 0]
        rest = x[:, 1:] @ w[1:] + b  # (n,) what the other parameters add
        best = float(xs @ (y - rest) / max(xs @ xs, 1e-12))  # least squares along this one axis
        lo, hi = min(w[0], best), max(w[0], best)
        pad = max(1.0, 0.25 * (hi - lo))
        grid = np.linspace(lo - pad, hi + pad, points)  # (P,)
        z = grid[:, None] * xs[None, :] + rest[None, :]  # (P, n): every grid value in one pass
        lf = self.loss_fn  # elementwise over the (P, n) grid, then the mean over samples
        losses = lf.f(z if lf.on_logits else self.act.f(z), y[None, :]).mean(axis=1)
        return {"param": "a", "a": grid.tolist(), "loss": losses.tolist()}
