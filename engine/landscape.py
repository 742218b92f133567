"""The loss as a terrain over two parameter axes, computed exactly in one batched pass.

- A one-unit model with a bias (the neuron, the line with b): the axes are w and b themselves.
- Any network: two chosen weights, or two random directions, each normalized filter by filter to
  the norms of the weights it perturbs (Li et al., 2018, "Visualizing the Loss Landscape of Neural
  Nets"), so the picture doesn't depend on how the weights happen to be scaled.

Rows of `loss` follow `y`, columns follow `x`: loss[i][j] is the loss at (x[j], y[i]).
"""
from __future__ import annotations

import copy
from typing import Callable

import numpy as np

from .functions import per_sample_loss
from .scratch.mlp import MLP
from .scratch.unit import Unit


class Frame:
    """The plane a landscape was drawn in: θ = origin + Σ coords·basis (+ offset for absolute axes).
    `position(params)` puts any weights into the grid's axes: least squares onto the two basis
    vectors, exact when the weights lie in the plane (always, for a unit's w and b)."""

    def __init__(self, keys, origin: dict, d1: dict, d2: dict, offset=(0.0, 0.0)):
        self.keys = list(keys)
        self.origin = flat(origin, self.keys)
        basis = np.stack([flat(d1, self.keys), flat(d2, self.keys)])  # (2, P)
        self.project = np.linalg.solve(basis @ basis.T, basis)  # least squares, solved once: (2, P)
        self.offset = np.asarray(offset, dtype=float)

    def position(self, params: dict) -> list[float] | None:
        """None when the weights are not of this plane's model (a layer added or removed since)."""
        if any(k not in params for k in self.keys):
            return None
        theta = flat(params, self.keys)
        if theta.shape != self.origin.shape:
            return None
        c = self.project @ (theta - self.origin) + self.offset
        return [float(c[0]), float(c[1])] if np.isfinite(c).all() else None


def flat(params: dict, keys) -> np.ndarray:
    return np.concatenate([np.ravel(params[k]) for k in keys])


def unit_frame(unit: Unit) -> Frame:
    """Axes w₁ and b: the plane holds the unit's other weights fixed."""
    keys = ["w", "b"]
    e_w = {"w": np.eye(len(unit.params["w"]))[0], "b": np.zeros(())}
    e_b = {"w": np.zeros(len(unit.params["w"])), "b": np.ones(())}
    origin = {"w": np.r_[0.0, unit.params["w"][1:]], "b": np.zeros(())}
    return Frame(keys, origin, e_w, e_b)


def unit_loss(unit: Unit, x: np.ndarray, y: np.ndarray, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """Mean loss at every (b, w) pair: (len(bs), len(ws)); the other weights held."""
    rest = x[:, 1:] @ unit.params["w"][1:]  # (n,)
    z = ws[None, :, None] * x[None, None, :, 0] + bs[:, None, None] + rest  # (res_b, res_w, n)
    lf = unit.loss_fn  # elementwise over the grid and the samples, then the mean over samples
    return lf.f(z if lf.on_logits else unit.act.f(z), y).mean(axis=2)


def unit_bounds(unit: Unit, x: np.ndarray, y: np.ndarray, reach: float = 40.0) -> tuple[tuple, tuple]:
    """Ranges of w and b that hold both the unit's weights and the loss's lowest point (searched on
    a coarse grid reaching `reach` around them, then a fine one), with a margin around both."""
    w0, b0 = float(unit.params["w"][0]), float(unit.params["b"])
    ws, bs = np.linspace(w0 - reach, w0 + reach, 81), np.linspace(b0 - reach, b0 + reach, 81)
    i, j = np.unravel_index(np.nanargmin(unit_loss(unit, x, y, ws, bs)), (81, 81))
    step = 2 * reach / 80
    ws, bs = np.linspace(ws[j] - step, ws[j] + step, 41), np.linspace(bs[i] - step, bs[i] + step, 41)
    i, j = np.unravel_index(np.nanargmin(unit_loss(unit, x, y, ws, bs)), (41, 41))
    out = []
    for a, b in ((w0, ws[j]), (b0, bs[i])):
        lo, hi = min(a, b), max(a, b)
        pad = max(1.0, 0.25 * (hi - lo))
        out.append((lo - pad, hi + pad))
    return out[0], out[1]


def unit_grid(unit: Unit, x: np.ndarray, y: np.ndarray, res: int, span: float | None = None,
              bounds: tuple | None = None) -> dict:
    """Loss over (w₁, b) for a unit with one input and a bias; other weights held. The grid is
    `bounds` ((w_lo, w_hi), (b_lo, b_hi)) or a square of half-width `span` around the weights."""
    w0, b0 = float(unit.params["w"][0]), float(unit.params["b"])
    if bounds is None:
        span = span or max(2.0, 1.5 * max(abs(w0), abs(b0)))
        bounds = ((w0 - span, w0 + span), (b0 - span, b0 + span))
    ws, bs = np.linspace(*bounds[0], res), np.linspace(*bounds[1], res)
    loss = unit_loss(unit, x, y, ws, bs)
    return {"kind": "unit", "axes": ["w", "b"], "x": ws.tolist(), "y": bs.tolist(), "loss": loss.tolist(),
            "center": [w0, b0], "frame": unit_frame(unit)}


def directions(net: MLP, kind: str, rng: np.random.Generator, weights=None) -> tuple[dict, dict, list[str]]:
    """Two directions in parameter space (dicts shaped like net.params) and their axis names.
    kind "random": filter-normalized Gaussian directions; kind "weights": two single weights,
    weights = [("W0", (i, j)), ("W1", (i, j))]."""
    if kind == "weights":
        if not weights or len(weights) != 2:
            raise ValueError("kind 'weights' needs two weights, e.g. [['W0', [0, 1]], ['W1', [1, 0]]]")
        if list(weights[0]) == list(weights[1]):
            raise ValueError("choose two different weights for the two axes")
        for name, index in weights:
            p = net.params.get(name)
            if p is None or len(index) != p.ndim or any(not 0 <= i < n for i, n in zip(index, p.shape)):
                shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in net.params.items())
                raise ValueError(f"no weight {name}{list(index)}; this network has {shapes}")
        out = []
        for name, index in weights:
            d = {k: np.zeros_like(v) for k, v in net.params.items()}
            d[name][tuple(index)] = 1.0
            out.append(d)
        names = [f"{n}[{','.join(map(str, i))}]" for n, i in weights]
        return out[0], out[1], names
    pair = []
    for _ in range(2):
        d = {}
        for k, p in net.params.items():
            if k.startswith("b"):
                d[k] = np.zeros_like(p)  # biases stay put, as in Li et al.
                continue
            r = rng.normal(size=p.shape)
            # each unit's incoming weights (a row) gets the norm of that row of the real weights
            r *= np.linalg.norm(p, axis=1, keepdims=True) / (np.linalg.norm(r, axis=1, keepdims=True) + 1e-12)
            d[k] = r
        pair.append(d)
    return pair[0], pair[1], ["direction 1", "direction 2"]


GRID_CHUNK = 1 << 21  # floats of one layer's activations computed at once (16 MB): points × samples × units


def mlp_grid(net: MLP, x: np.ndarray, labels: np.ndarray, d1: dict, d2: dict, alphas: np.ndarray,
             betas: np.ndarray, between: Callable[[], None] | None = None) -> np.ndarray:
    """Loss (data + regularization) at θ + α·d1 + β·d2 for every (β, α): (len(betas), len(alphas)).
    The grid is computed a slice of points at a time (a 101×101 grid of a 2,000-sample network is 1.3 GB
    a layer at once); `between()` is called between slices (the room lets its owner's commands in)."""
    A, B = np.meshgrid(alphas, betas)  # (R_b, R_a)
    widest = max([x.shape[1], *(net.params[f"W{k}"].shape[0] for k in range(len(net.acts)))])
    size = max(1, GRID_CHUNK // (len(x) * widest))
    out = []
    for start in range(0, A.size, size):
        if start and between is not None:
            between()
        out.append(_grid_points(net, x, labels, d1, d2, A.ravel()[start:start + size], B.ravel()[start:start + size]))
    return np.concatenate(out).reshape(A.shape)


def _grid_points(net: MLP, x, labels, d1: dict, d2: dict, alphas: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """The loss at θ + α·d1 + β·d2 for each (α, β) pair: (P,)."""
    a, b = alphas[:, None, None], betas[:, None, None]  # (P, 1, 1)
    h = x  # (n, in): every grid point sees the same data; after layer 0, (P, n, units)
    reg = np.zeros(a.shape[0])
    for k, act in enumerate(net.acts):
        W = net.params[f"W{k}"][None] + a * d1[f"W{k}"][None] + b * d2[f"W{k}"][None]  # (P, out, in)
        bias = net.params[f"b{k}"][None] + a[:, 0] * d1[f"b{k}"][None] + b[:, 0] * d2[f"b{k}"][None]  # (P, out)
        z = np.matmul(h, W.transpose(0, 2, 1)) + bias[:, None, :]  # (P, n, out); batched GEMM, h broadcasts
        h = act.f(z)
        reg += net.l1 * np.abs(W).sum(axis=(1, 2)) + net.l2 * (W * W).sum(axis=(1, 2))
    y = net.targets(labels)[None]  # (1, n, K)
    data = per_sample_loss(net.loss_fn, z, h, y).mean(axis=1)  # (P,)
    return data + reg


def network_landscape(net: MLP, x: np.ndarray, labels: np.ndarray, res: int, kind: str = "random",
                      span: float = 1.0, seed: int = 0, weights=None, between: Callable[[], None] | None = None) -> dict:
    """With `between`, the run may step between the grid's slices: the picture is of the weights as
    they were when it was asked for (a copy)."""
    net = copy.copy(net)
    net.params = {k: v.copy() for k, v in net.params.items()}
    d1, d2, names = directions(net, kind, np.random.default_rng(seed), weights)
    if kind == "weights":  # axes in the weights' own values
        c = [float(net.params[n][tuple(i)]) for n, i in weights]
    else:
        c = [0.0, 0.0]
    alphas, betas = np.linspace(-span, span, res), np.linspace(-span, span, res)
    loss = mlp_grid(net, x, labels, d1, d2, alphas, betas, between)
    return {"kind": kind, "axes": names, "x": (alphas + c[0]).tolist(), "y": (betas + c[1]).tolist(),
            "loss": loss.tolist(), "center": c, "frame": Frame(net.params, net.params, d1, d2, c)}
