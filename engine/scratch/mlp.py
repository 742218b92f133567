"""A multi-layer perceptron in NumPy, layer by layer: z_k = a_{k−1}·W_kᵀ + b_k, a_k = f_k(z_k).

Backward is the chain rule run from the last layer to the first:
    ∂L/∂z_K   = from the loss (a − y, folded, for sigmoid+BCE and softmax+CE)
    ∂L/∂W_k   = (∂L/∂z_k)ᵀ · a_{k−1}        ∂L/∂b_k = Σ_batch ∂L/∂z_k
    ∂L/∂a_{k−1} = ∂L/∂z_k · W_k           ∂L/∂z_{k−1} = ∂L/∂a_{k−1} ⊙ f'(z_{k−1})
L1/L2 regularization is its own term of the loss, on the weights (not the biases).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..functions import Activation, Loss, grad_z, per_sample_loss
from ..optim import SGD, Optimizer

INITS = {"zeros": "zeros", "uniform": "uniform ±0.5", "xavier": "Xavier", "he": "He", "large": "too large (σ = 2)"}


def init_weights(kind: str, fan_out: int, fan_in: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "zeros":
        return np.zeros((fan_out, fan_in))  # every unit of a layer stays identical: symmetry is never broken
    if kind == "uniform":
        return rng.uniform(-0.5, 0.5, (fan_out, fan_in))
    if kind == "xavier":  # Glorot & Bengio 2010: keeps the variance of tanh/sigmoid layers steady
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), (fan_out, fan_in))
    if kind == "he":  # He et al. 2015: the factor 2 makes up for ReLU zeroing half its inputs
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_out, fan_in))
    if kind == "large":  # too large on purpose: σ = 2 whatever the fan-in, so signals blow up or saturate
        return rng.normal(0.0, 2.0, (fan_out, fan_in))
    raise ValueError(f"unknown init '{kind}'; choose one of {', '.join(INITS)}")


@dataclass
class MLPStep:
    x: np.ndarray  # (B, F) inputs after feature expansion
    y: np.ndarray  # (B, K) targets: (B, 1) for one output, one-hot rows for softmax
    zs: list[np.ndarray]  # per layer (B, width_k)
    acts: list[np.ndarray]  # per layer (B, width_k); the last is the output
    losses: np.ndarray  # (B,) data loss per sample
    data_loss: float  # batch mean
    reg: float  # λ₁·Σ|W| + λ₂·Σ W²
    loss: float  # data_loss + reg: what gradient descent lowers
    dzs: list[np.ndarray]  # per layer (B, width_k): ∂L/∂z_k of the batch-mean loss
    grads: dict[str, np.ndarray]  # "W0", "b0", …


class MLP:
    def __init__(self, sizes: list[int], acts: list[Activation], loss: Loss, init: str,
                 rng: np.random.Generator, l1: float = 0.0, l2: float = 0.0, optimizer: Optimizer | None = None):
        assert len(acts) == len(sizes) - 1
        self.sizes, self.acts, self.loss_fn, self.l1, self.l2 = sizes, acts, loss, l1, l2
        self.multiclass = loss.name == "ce"
        self.params: dict[str, np.ndarray] = {}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.params[f"W{k}"] = init_weights(init, fan_out, fan_in, rng)  # (out, in)
            self.params[f"b{k}"] = np.zeros(fan_out)
        self.trainable = tuple(self.params)
        self.optimizer = optimizer or SGD()

    @property
    def depth(self) -> int:
        return len(self.acts)

    def forward(self, x: np.ndarray, dtype=None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """z and a of every layer; with `dtype` (a picture's float32, mlp_field.py) in that precision."""
        zs, acts, a = [], [], x
        cast = (lambda p: p.astype(dtype, copy=False)) if dtype is not None else (lambda p: p)
        for k, act in enumerate(self.acts):
            z = a @ cast(self.params[f"W{k}"]).T + cast(self.params[f"b{k}"])  # (B, out)
            a = act.f(z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def regularization(self) -> float:
        ws = [self.params[f"W{k}"] for k in range(self.depth)]
        return float(self.l1 * sum(np.abs(w).sum() for w in ws) + self.l2 * sum((w * w).sum() for w in ws))

    def targets(self, y: np.ndarray) -> np.ndarray:
        """Labels (B,) → the rows the loss compares with: one-hot for softmax, else one column."""
        return np.eye(self.sizes[-1])[y.astype(int)] if self.multiclass else y[:, None]

    def compute(self, x: np.ndarray, labels: np.ndarray) -> MLPStep:
        """Forward and backward on one batch; changes nothing."""
        y = self.targets(labels)
        zs, acts = self.forward(x)
        losses = per_sample_loss(self.loss_fn, zs[-1], acts[-1], y)
        dz = grad_z(self.loss_fn, self.acts[-1], zs[-1], acts[-1], y) / len(x)  # (B, K)
        dzs: list[np.ndarray] = [None] * self.depth  # type: ignore[list-item]
        grads: dict[str, np.ndarray] = {}
        for k in range(self.depth - 1, -1, -1):
            dzs[k] = dz
            a_prev = acts[k - 1] if k else x
            W = self.params[f"W{k}"]
            grads[f"W{k}"] = dz.T @ a_prev + self.l1 * np.sign(W) + 2.0 * self.l2 * W  # (out, in)
            grads[f"b{k}"] = dz.sum(axis=0)
            if k:
                da = dz @ W  # (B, in): how the loss changes with the previous layer's outputs
                dz = da * self.acts[k - 1].df(zs[k - 1], acts[k - 1])
        data_loss, reg = float(losses.mean()), self.regularization()
        return MLPStep(x, y, zs, acts, losses, data_loss, reg, data_loss + reg, dzs, grads)

    def apply(self, rec: MLPStep, lr: float) -> None:
        self.optimizer.step(self.params, rec.grads, lr, self.trainable)

    def mean_loss(self, x: np.ndarray, labels: np.ndarray) -> float:
        """Data loss plus the regularization term, as the steps minimise it."""
        return self.data_loss(x, labels) + self.regularization()

    def data_loss(self, x: np.ndarray, labels: np.ndarray) -> float:
        zs, acts = self.forward(x)
        return float(per_sample_loss(self.loss_fn, zs[-1], acts[-1], self.targets(labels)).mean())

    def accuracy(self, x: np.ndarray, labels: np.ndarray) -> float:
        out = self.forward(x)[1][-1]  # (B, K)
        guess = out.argmax(axis=1) if self.multiclass else (out[:, 0] > 0.5)
        return float((guess == labels).mean())

    def params_view(self) -> dict:
        return {"layers": [{"W": self.params[f"W{k}"].tolist(), "b": self.params[f"b{k}"].tolist(),
                            "activation": self.acts[k].name} for k in range(self.depth)]}

    def finite(self) -> bool:
        return all(np.isfinite(p).all() for p in self.params.values())
