"""A torch twin of the NumPy neuron and MLP (engine/scratch), with the same weights, so "Measure here"
can count their training memory and speed the way measure.py counts the GPT's.

Each layer is Linear → activation, the last layer's activation folded into its loss as the NumPy
model does (σ + cross-entropy on the logits, softmax + cross-entropy, or linear + squared error).
The twin is fp32, as a GPU would train it; the NumPy models themselves compute in float64.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..scale.small import estimate_small
from .measure import measure_model, run_blocks

ACTS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity,
        "gelu": lambda: nn.GELU(approximate="tanh")}


class Twin(nn.Module):
    def __init__(self, linears: list[nn.Linear], hidden_acts: list[str]):
        super().__init__()
        self.blocks = nn.ModuleList(nn.Sequential(lin, ACTS[a]()) for lin, a in zip(linears[:-1], hidden_acts))
        self.blocks.append(linears[-1])  # the output layer: its activation lives in the loss


def _linear(w, b) -> nn.Linear:
    w = torch.as_tensor(w, dtype=torch.float32).reshape(-1, w.shape[-1]) if w.ndim > 1 else \
        torch.as_tensor(w, dtype=torch.float32).reshape(1, -1)
    lin = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
    with torch.no_grad():
        lin.weight.copy_(w)
        if b is not None:
            lin.bias.copy_(torch.as_tensor(b, dtype=torch.float32).reshape(-1))
    return lin


def twin_of(model) -> tuple[Twin, str, list[int]]:
    """(twin, loss name, layer sizes) of a scratch Unit or MLP."""
    p = model.params
    if "w" in p:  # the Unit: z = x·w + b
        lin = _linear(p["w"], p["b"] if getattr(model, "bias", True) else None)
        return Twin([lin], []), model.loss_fn.name, [lin.in_features, 1]
    linears = [_linear(p[f"W{k}"], p[f"b{k}"]) for k in range(model.depth)]
    return Twin(linears, [a.name for a in model.acts[:-1]]), model.loss_fn.name, list(model.sizes)


def _optimizer(cfg):
    def make(params):
        name = cfg.optimizer
        if name in ("sgd", "momentum", "nesterov"):
            mom = 0.0 if name == "sgd" else cfg.momentum
            return torch.optim.SGD(params, lr=cfg.lr, momentum=mom, nesterov=name == "nesterov")
        if name == "rmsprop":
            return torch.optim.RMSprop(params, lr=cfg.lr)
        return (torch.optim.AdamW if name == "adamw" else torch.optim.Adam)(params, lr=cfg.lr)
    return make


def measure_small(trainer, checkpoint: bool = True, bf16: bool = True) -> dict:
    """Measure a NumPy session's model through its twin, on the first batch_size samples."""
    cfg = trainer.config
    twin, loss_name, sizes = twin_of(trainer.model)
    batch = min(cfg.batch_size, len(trainer.data.x))
    x = torch.as_tensor(trainer.data.x[:batch], dtype=torch.float32)
    y = torch.as_tensor(trainer.data.y[:batch])
    predicted = estimate_small(trainer.spec.name, sizes, batch, cfg.optimizer)

    def loss_of(saved, ckpt):
        z = run_blocks(twin.blocks, x, saved, ckpt)  # (B, outputs)
        if loss_name == "ce":
            return F.cross_entropy(z.float(), y.long())
        z = z.float().reshape(y.shape)
        if loss_name == "bce":
            return F.binary_cross_entropy_with_logits(z, y.float())
        return F.mse_loss(z, y.float())

    with torch.random.fork_rng(devices=[]):
        measured = measure_model(twin, _optimizer(cfg), loss_of, flops_per_step=predicted["flops"],
                                 checkpoint=checkpoint, bf16=bf16)
    mem = predicted["memory_per_gpu"]
    notes = [f"a torch twin of the NumPy model with the same weights, in fp32 (the NumPy model itself holds "
             f"float64: {8 * predicted['params']['total']:,} B of parameters)",
             f"saved for backward: the batch's inputs, each layer's output and the targets: "
             f"{measured['saved']['plain']:,} B measured, {mem['activations']:,} B by the formula",
             "at this size Python's overhead, not arithmetic, sets the step time: the MFU is tiny, as it is for "
             "any model far too small for its machine"]
    return {"model": trainer.spec.name, "config": {"sizes": sizes, "batch_size": batch, "optimizer": cfg.optimizer},
            **measured,
            "predicted": {"param_bytes": mem["weights"], "grad_bytes": mem["gradients"],
                          "optimizer_bytes": mem["optimizer"],
                          "saved": {"plain": mem["activations"], "checkpoint": None, "bf16": None},
                          "flops_per_step": predicted["flops"], "params": predicted["params"]["total"]},
            "notes": notes}
