"""Activations and losses: each is its function, its derivative and its formula, side by side.

Losses marked `on_logits` take z itself and fold the activation in (as torch's
BCEWithLogitsLoss does): σ then BCE would divide by a(1−a), which is 0 once σ saturates, while the
folded derivative a − y is exact everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[np.ndarray], np.ndarray]
    # derivative da/dz, given both z and a = f(z) (whichever is cheaper to use)
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str  # a = …
    derivative: str  # da/dz = …


def _sigmoid(z):
    # split by sign so exp never overflows: σ(z) = 1/(1+e^−z) = e^z/(1+e^z)
    out = np.empty_like(z, dtype=np.result_type(z, np.float32))  # float32 stays float32 (a field's picture)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _gelu(z):
    # the tanh approximation, as GPT-2 and torch's approximate="tanh"
    k = np.sqrt(2.0 / np.pi)
    return 0.5 * z * (1.0 + np.tanh(k * (z + 0.044715 * z**3)))


def _gelu_df(z, a):
    k = np.sqrt(2.0 / np.pi)
    u = k * (z + 0.044715 * z**3)
    t = np.tanh(u)
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t**2) * k * (1.0 + 3 * 0.044715 * z**2)


ACTIVATIONS = {
    a.name: a
    for a in (
        Activation("sigmoid", _sigmoid, lambda z, a: a * (1.0 - a), "a = σ(z) = 1/(1+e^(−z))", "σ(z)·(1−σ(z))"),
        Activation("tanh", np.tanh, lambda z, a: 1.0 - a**2, "a = tanh(z)", "1 − tanh²(z)"),
        Activation("relu", lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float), "a = max(0, z)", "1 if z > 0 else 0"),
        Activation("linear", lambda z: z, lambda z, a: np.ones_like(z), "a = z", "1"),
        Activation("gelu", _gelu, _gelu_df, "a = z·Φ(z) (tanh approximation)", "Φ(z) + z·φ(z)"),
    )
}


HIDDEN = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "linear", "gelu": "GELU"}  # for hidden layers

@dataclass(frozen=True)
class Loss:
    name: str
    # per-sample loss and its derivative with respect to its first argument
    # (z when on_logits, otherwise the prediction a)
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]
    on_logits: bool
    formula: str


def _bce_logits(z, y):
    # −[y·ln σ(z) + (1−y)·ln(1−σ(z))] rewritten so no exp overflows and no log sees 0:
    # max(z,0) − z·y + ln(1 + e^−|z|)
    return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))


def _log_softmax(z):
    # rows of (B, K); subtracting the row max keeps exp in range
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(z))


def _softmax_df(z, a):
    raise NotImplementedError("softmax's derivative is a Jacobian: pair softmax with the 'ce' loss, which folds it in")


# the output activation of 3+ classes; listed apart because it is not elementwise
SOFTMAX = Activation("softmax", softmax, _softmax_df, "a = e^z / Σ e^z", "(folded into cross-entropy: a − y)")

LOSSES = {
    l.name: l
    for l in (
        Loss("bce", _bce_logits, lambda z, y: _sigmoid(z) - y, True, "L = −[y·ln a + (1−y)·ln(1−a)]"),
        Loss("mse", lambda a, y: (a - y) ** 2, lambda a, y: 2.0 * (a - y), False, "L = (ŷ − y)²"),
        # softmax + cross-entropy on one-hot rows Y (B, K): elementwise −Y·ln softmax(z), summed per row
        Loss("ce", lambda z, y: -y * _log_softmax(z), lambda z, y: softmax(z) - y, True, "L = −ln p(true class)"),
    )
}


def grad_z(loss: Loss, act: Activation, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂L/∂z per sample, by the chain rule ∂L/∂a · ∂a/∂z (or folded, for on_logits losses)."""
    if loss.on_logits:
        return loss.df(z, y)
    return loss.df(a, y) * act.df(z, a)


def per_sample_loss(loss: Loss, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementwise for (B,) inputs (one unit); for (…, B, K) inputs (networks: the last axis is the
    outputs) the K terms are summed to one loss per sample."""
    out = loss.f(z if loss.on_logits else a, y)
    return out.sum(axis=-1) if out.ndim >= 2 else out
