"""A network seen over the plane: its output at every point of a grid (the decision boundary) and
each unit's activation on a coarser grid (the node heatmaps), each from one batched forward pass.

Grids are images: row 0 is the top (x₂ = +span), column 0 the left (x₁ = −span).
"""
from __future__ import annotations

import functools

import numpy as np

from ..data.features import expand
from ..data.plane import SPAN
from .mlp import MLP


def grid(res: int, span: float = SPAN) -> np.ndarray:
    """(res·res, 2) points in image order."""
    xs = np.linspace(-span, span, res)
    x1, x2 = np.meshgrid(xs, xs[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


@functools.lru_cache(maxsize=32)
def _inputs(res: int, span: float, features: tuple[str, ...]) -> np.ndarray:
    """The network's inputs at every grid point: the same each frame, so made once (read-only)."""
    x = expand(grid(res, span), features).astype(np.float32)
    x.flags.writeable = False
    return x


def field(net: MLP, features, res: int = 100, node_res: int = 24, span: float = SPAN) -> dict[str, np.ndarray]:
    """'output': (res, res, K) — σ's probability, softmax's K probabilities, or ŷ;
    'inputs': (node_res, node_res, F); 'layer{k}': (node_res, node_res, width_k) for every layer.

    Computed in float32: the pictures cross the wire as float16 (wire.encode_tensors), whose step near
    1 is 5e-4, and float32 differs from float64 here by about 1e-7 — while a float64 pass over the
    10,000 points took 3.2 ms a frame, a float32 one 0.5 ms (most of it tanh)."""
    features = tuple(features)
    out = {"output": net.forward(_inputs(res, span, features), np.float32)[1][-1].reshape(res, res, -1)}
    coarse = _inputs(node_res, span, features)
    _, acts = net.forward(coarse, np.float32)
    out["inputs"] = coarse.reshape(node_res, node_res, -1)
    for k, a in enumerate(acts):
        out[f"layer{k}"] = a.reshape(node_res, node_res, -1)
    return out
