"""Update rules written out for the NumPy engine: what is taught, tested equal to torch.optim."""
from __future__ import annotations

import numpy as np


class SGD:
    """Plain gradient descent: p ← p − η·∂L/∂p (no momentum, no weight decay)."""

    formula = "p ← p − η·∂L/∂p"

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float, keys) -> None:
        for k in keys:
            params[k] -= lr * grads[k]  # in place: callers copy out what they keep
