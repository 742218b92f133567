"""The loss as a terrain over two parameter axes, computed exactly in one batched pass.

- A one-unit model with a bias (the neuron, the line with b): the axes are w and b themselves.
- Any network: two chosen weights, or two random directions, each normalized filter by filter to
  the norms of the weights it perturbs (Li et al., 2018, "Visualizing the Loss Landscape of Neural
  Nets"), so the picture doesn't depend on how the weights happen to be scaled.

Rows of `loss` follow `y`, columns follow `x`: loss[i][j] is the loss at (x[j], y[i]).
"""
from __future__ import annotations

import numpy as np

from .functions import per_sample_loss
from .scratch.mlp import MLP
from .scratch.unit import Unit


def unit_grid(unit: Unit, x: np.ndarray, y: np.ndarray, res: int, span: float | None = None) -> dict:
    """Loss over (w₁, b) for a unit with one input and a bias; other weights held."""
    w0, b0 = float(unit.params["w"][0]), float(unit.params["b"])
    span = span or max(2.0, 1.5 * max(abs(w0), abs(b0)))
    ws, bs = np.linspace(w0 - span, w0 + span, res), np.linspace(b0 - span, b0 + span, res)
    rest = x[:, 1:] @ unit.params["w"][1:]  # (n,)
    z = ws[None, :, None] * x[None, None, :, 0] + bs[:, None, None] + rest  # (res_b, res_w, n)
    lf = unit.loss_fn  # elementwise over the grid and the samples, then the mean over samples
    loss = lf.f(z if lf.on_logits else unit.act.f(z), y).mean(axis=2)  # (res_b, res_w)
    return {"axes": ["w", "b"], "x": ws.tolist(), "y": bs.tolist(), "loss": loss.tolist(), "center": [w0, b0]}


def directions(net: MLP, kind: str, rng: np.random.Generator, weights=None) -> tuple[dict, dict, list[str]]:
    """Two directions in parameter space (dicts shaped like net.params) and their axis names.
    kind "random": filter-normalized Gaussian directions; kind "weights": two single weights,
    weights = [("W0", (i, j)), ("W1", (i, j))]."""
    if kind == "weights":
        if not weights or len(weights) != 2:
            raise ValueError("kind 'weights' needs two weights, e.g. [['W0', [0, 1]], ['W1', [1, 0]]]")
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


def mlp_grid(net: MLP, x: np.ndarray, labels: np.ndarray, d1: dict, d2: dict, alphas: np.ndarray,
             betas: np.ndarray) -> np.ndarray:
    """Loss (data + regularization) at θ + α·d1 + β·d2 for every (β, α): (len(betas), len(alphas))."""
    A, B = np.meshgrid(alphas, betas)  # (R_b, R_a)
    a, b = A.ravel()[:, None, None], B.ravel()[:, None, None]  # (P, 1, 1)
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
    return (data + reg).reshape(A.shape)


def network_landscape(net: MLP, x: np.ndarray, labels: np.ndarray, res: int, kind: str = "random",
                      span: float = 1.0, seed: int = 0, weights=None) -> dict:
    d1, d2, names = directions(net, kind, np.random.default_rng(seed), weights)
    if kind == "weights":  # axes in the weights' own values
        c = [float(net.params[n][tuple(i)]) for n, i in weights]
    else:
        c = [0.0, 0.0]
    alphas, betas = np.linspace(-span, span, res), np.linspace(-span, span, res)
    loss = mlp_grid(net, x, labels, d1, d2, alphas, betas)
    return {"axes": names, "x": (alphas + c[0]).tolist(), "y": (betas + c[1]).tolist(), "loss": loss.tolist(),
            "center": c}
