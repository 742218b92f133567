"""A network seen over the plane: its output at every point of a grid (the decision boundary) and
each unit's activation on a coarser grid (the node heatmaps), each from one batched forward pass.

Grids are images: row 0 is the top (x₂ = +span), column 0 the left (x₁ = −span).
"""
from __future__ import annotations

import numpy as np

from ..data.features import expand
from ..data.plane import SPAN
from .mlp import MLP


def grid(res: int, span: float = SPAN) -> np.ndarray:
    """(res·res, 2) points in image order."""
    xs = np.linspace(-span, span, res)
    x1, x2 = np.meshgrid(xs, xs[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def field(net: MLP, features, res: int = 100, node_res: int = 24, span: float = SPAN) -> dict[str, np.ndarray]:
    """'output': (res, res, K) — σ's probability, softmax's K probabilities, or ŷ;
    'inputs': (node_res, node_res, F); 'layer{k}': (node_res, node_res, width_k) for every layer."""
    out = {"output": net.forward(expand(grid(res, span), features))[1][-1].reshape(res, res, -1)}
    coarse = expand(grid(node_res, span), features)
    _, acts = net.forward(coarse)
    out["inputs"] = coarse.reshape(node_res, node_res, -1)
    for k, a in enumerate(acts):
        out[f"layer{k}"] = a.reshape(node_res, node_res, -1)
    return out
