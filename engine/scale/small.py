"""The neuron and the Network page's MLP: not transformers, so their own (much simpler) formulas.

A layer of `n_in` inputs and `n_out` units has a weight per pair and a bias per unit. Training in
fp32 keeps each parameter's weight and gradient (4 + 4 bytes) and the optimizer's state: none for
plain SGD, one buffer for momentum or RMSprop, two (m and v) for Adam. For the backward pass the
batch's inputs, each layer's output and the targets are kept (tanh, sigmoid and ReLU differentiate
from their output, which the next layer's matmul keeps anyway).
"""
from __future__ import annotations

from . import fmt

STATE_BUFFERS = {"sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "adam8bit": 2}


def layer_params(sizes: list[int]) -> list[dict]:
    return [{"weights": n_in * n_out, "biases": n_out} for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def estimate_small(kind: str, sizes: list[int], batch: int, optimizer: str) -> dict:
    layers = layer_params(sizes)
    n = sum(layer["weights"] + layer["biases"] for layer in layers)
    buffers = STATE_BUFFERS.get(optimizer, 2)
    saved = batch * (sizes[0] + sum(sizes[1:]) + 1)  # inputs, each layer's output, the targets
    mem = {"weights": 4 * n, "gradients": 4 * n, "optimizer": 4 * buffers * n, "activations": 4 * saved}
    mem["total"] = sum(mem.values())
    flops = 6 * n * batch  # 2 per parameter per sample forward, 4 backward (as 6·N·D)
    shape = " + ".join(f"{a}·{b} + {b}" for a, b in zip(sizes[:-1], sizes[1:]))
    figures = [
        {"key": "params.total", "title": "Parameters", "value": n, "unit": "params",
         "formula": f"Σ (inputs·units + units) = {shape} = {fmt.whole(n)}", "source": None},
        {"key": "memory.weights", "title": "Weights", "value": mem["weights"], "unit": "bytes",
         "formula": f"4 B (fp32) · {fmt.whole(n)} = {fmt.nbytes(mem['weights'])}", "source": None},
        {"key": "memory.gradients", "title": "Gradients", "value": mem["gradients"], "unit": "bytes",
         "formula": f"4 B · {fmt.whole(n)} = {fmt.nbytes(mem['gradients'])}", "source": None},
        {"key": "memory.optimizer", "title": "Optimizer state", "value": mem["optimizer"], "unit": "bytes",
         "formula": f"{buffers} buffer{'s' * (buffers != 1)} ({optimizer}) · 4 B · {fmt.whole(n)} = "
                    f"{fmt.nbytes(mem['optimizer'])}", "source": None},
        {"key": "memory.activations", "title": "Activations", "value": mem["activations"], "unit": "bytes",
         "formula": f"4 B · batch {batch} · (inputs {sizes[0]} + outputs {' + '.join(map(str, sizes[1:]))} + target 1) = "
                    f"{fmt.nbytes(mem['activations'])}", "source": None},
        {"key": "memory.total", "title": "Memory in training", "value": mem["total"], "unit": "bytes",
         "formula": " + ".join(fmt.nbytes(mem[k]) for k in ("weights", "gradients", "optimizer", "activations"))
                    + f" = {fmt.nbytes(mem['total'])}", "source": None},
        {"key": "flops", "title": "FLOPs per step", "value": flops, "unit": "flops",
         "formula": f"6 · N · batch = 6 · {fmt.whole(n)} · {batch} = {fmt.whole(flops)}", "source": None},
    ]
    return {"params": {"total": n, "embedding": None, "attention": None, "mlp": None, "norms": None, "head": None,
                       "weights": sum(layer["weights"] for layer in layers),
                       "biases": sum(layer["biases"] for layer in layers), "layers": layers},
            "memory_per_gpu": mem, "flops": flops, "flops_per_step": flops, "figures": figures}
