"""The input features a network can be given: the raw coordinates and a few hand-made ones.
With x₁², x₂² a single layer can draw a circle; with sin x it can draw stripes."""
from __future__ import annotations

import numpy as np

FEATURES = {
    "x1": ("x₁", lambda p: p[:, 0]),
    "x2": ("x₂", lambda p: p[:, 1]),
    "x1sq": ("x₁²", lambda p: p[:, 0] ** 2),
    "x2sq": ("x₂²", lambda p: p[:, 1] ** 2),
    "x1x2": ("x₁·x₂", lambda p: p[:, 0] * p[:, 1]),
    "sin_x1": ("sin x₁", lambda p: np.sin(p[:, 0])),
    "sin_x2": ("sin x₂", lambda p: np.sin(p[:, 1])),
}


def expand(points: np.ndarray, names) -> np.ndarray:
    """(n, 2) points on the plane → (n, len(names)) network inputs."""
    return np.stack([FEATURES[k][1](points) for k in names], axis=1)


def labels(names) -> list[str]:
    return [FEATURES[k][0] for k in names]
