"""Measure what training really holds and how fast it runs, to put beside engine/scale's formulas.

Everything runs on a deep copy of the model with a fresh optimizer and its own batch generator, inside
torch.random.fork_rng: the session's weights, optimizer state, RNG streams and step never change.

- parameter and gradient bytes: from the tensors themselves;
- optimizer-state bytes: from a real torch.optim state after one step (Adam: m and v, each the size
  of its parameter; the per-tensor step counters are reported apart);
- saved-for-backward bytes: every tensor autograd saves during one forward pass, seen through
  `torch.autograd.graph.saved_tensors_hooks`, counted once per storage (a saved view shares its
  original's memory) and without the parameters (they exist anyway). With
  `torch.utils.checkpoint(..., use_reentrant=False)` per block, checkpoint's own hooks take the
  block's tensors (recomputed in backward) and only the block inputs it keeps remain — we add those;
- step time with and without checkpointing, FLOPs per step (6·N per token plus attention), and
  this machine's matmul peak, measured here, for an MFU of this CPU (or GPU).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import statistics
import time
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint as torch_checkpoint

from ..scale.compute import flops_attention, flops_dense
from ..scale.memory import activations, bytes_per_param
from ..scale.params import Shape, count

TIMED_STEPS = 3  # per variant, after one warm-up step; the median is reported


class SavedTensors:
    """Bytes of the distinct storages autograd saves for backward while active (parameters excluded)."""

    def __init__(self, params):
        self.exclude = {p.untyped_storage().data_ptr() for p in params}
        self.sizes: dict[int, int] = {}
        self.shapes: list[tuple] = []  # (shape, dtype) of each newly counted storage, for hand counts

    def keep(self, t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key not in self.exclude and key not in self.sizes:
            self.sizes[key] = storage.nbytes()
            self.shapes.append((tuple(t.shape), str(t.dtype).replace("torch.", "")))
        return t

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    @contextlib.contextmanager
    def counting(self):
        with torch.autograd.graph.saved_tensors_hooks(self.keep, lambda t: t):
            yield self


def run_blocks(blocks, h: torch.Tensor, saved: SavedTensors | None, ckpt: bool) -> torch.Tensor:
    """The blocks in order; with `ckpt`, each under non-reentrant checkpointing, whose input stays alive."""
    for block in blocks:
        if ckpt:
            if saved is not None:
                saved.keep(h)  # checkpoint keeps the block's input to recompute it in backward
            h = torch_checkpoint(block, h, use_reentrant=False)
        else:
            h = block(h)
    return h


def gpt_loss(model, x, y, saved=None, ckpt=False) -> torch.Tensor:
    """GPT.forward's fast path (engine/transformer/model.py), with the block loop open for checkpointing."""
    T = x.shape[1]
    h = model.drop(model.wte(x) + model.wpe(torch.arange(T, device=x.device)))  # (B, T, C)
    h = run_blocks(model.blocks, h, saved, ckpt)
    logits = model.lm_head(model.ln_f(h))  # (B, T, V)
    return F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1))


def saved_bytes(loss_fn: Callable, model: nn.Module, ckpt=False, bf16=False, device_type="cpu") -> SavedTensors:
    """One forward pass under the counting hooks; the graph is dropped after (no backward needed)."""
    saved = SavedTensors(model.parameters())
    cast = torch.autocast(device_type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    with saved.counting(), cast:
        loss = loss_fn(saved, ckpt)
    del loss
    return saved


def timed_steps(loss_fn, optimizer, variants: list[bool], sync: Callable) -> list[float]:
    """Median seconds of a whole step (forward, backward, update) for each variant (checkpointed or
    not), after one warm-up step each. The variants take turns, so a busy machine slows them alike."""
    times: list[list[float]] = [[] for _ in variants]
    for i in range(TIMED_STEPS + 1):
        for j, ckpt in enumerate(variants):
            t0 = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            loss_fn(None, ckpt).backward()
            optimizer.step()
            sync()
            if i:
                times[j].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


@functools.lru_cache(maxsize=4)
def matmul_peak(device_type: str, threads: int) -> float:
    """FLOP/s of a large matmul here (fp32 on the CPU, bf16 on a GPU): the best this machine does."""
    n, dtype = (4096, torch.bfloat16) if device_type == "cuda" else (512, torch.float32)
    gen = torch.Generator(device=device_type).manual_seed(0)
    a = torch.randn(n, n, generator=gen, device=device_type, dtype=dtype)
    b = torch.randn(n, n, generator=gen, device=device_type, dtype=dtype)
    sync = torch.cuda.synchronize if device_type == "cuda" else (lambda: None)
    best = 0.0
    for _ in range(5):  # the best of a few bursts: the machine at its fastest
        a @ b
        sync()
        t0, reps = time.perf_counter(), 4
        for _ in range(reps):
            a @ b
        sync()
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t0))
    return best


def optimizer_bytes(optimizer: torch.optim.Optimizer) -> tuple[int, int]:
    """(the per-parameter state — Adam's m and v, a momentum buffer —, the per-tensor step counters)."""
    full = extra = 0
    for state in optimizer.state.values():
        for name, v in state.items():
            if torch.is_tensor(v):
                nbytes = v.numel() * v.element_size()
                if name == "step":
                    extra += nbytes
                else:
                    full += nbytes
    return full, extra


def measure_model(model: nn.Module, make_optimizer: Callable, loss_of: Callable, *, flops_per_step: float,
                  checkpoint: bool = True, bf16: bool = True) -> dict:
    """The measurements shared by the GPT and the small models' twin; `model` is already a copy."""
    device = next(model.parameters()).device
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    model.train()
    params = list(model.parameters())
    optimizer = make_optimizer(params)
    optimizer.zero_grad(set_to_none=True)
    loss_of(None, False).backward()
    grad_bytes = sum(p.grad.numel() * p.grad.element_size() for p in params if p.grad is not None)
    optimizer.step()  # one real step: the optimizer's state now exists
    opt_full, opt_extra = optimizer_bytes(optimizer)
    plain = saved_bytes(loss_of, model, device_type=device.type)
    ckpt = saved_bytes(loss_of, model, ckpt=True, device_type=device.type) if checkpoint else None
    half = saved_bytes(loss_of, model, bf16=True, device_type=device.type) if bf16 else None
    step_plain, step_ckpt = (timed_steps(loss_of, optimizer, [False, True], sync) if checkpoint
                             else (*timed_steps(loss_of, optimizer, [False], sync), None))
    peak = matmul_peak(device.type, torch.get_num_threads())
    achieved = flops_per_step / step_plain
    return {
        "param_bytes": sum(p.numel() * p.element_size() for p in params),
        "grad_bytes": grad_bytes, "optimizer_bytes": opt_full, "optimizer_extra_bytes": opt_extra,
        "saved": {"plain": plain.total, "checkpoint": ckpt.total if ckpt else None, "bf16": half.total if half else None},
        "saved_tensors": plain.shapes,
        "step_seconds": {"plain": step_plain, "checkpoint": step_ckpt},
        "flops_per_step": flops_per_step, "achieved_flops": achieved, "peak_flops": peak, "mfu": achieved / peak,
        "device": device.type,
    }


def gpt_shape(cfg, vocab: int) -> Shape:
    """engine/scale's description of engine/transformer's GPT (GPTConfig or TransformerConfig)."""
    d = cfg.n_embd
    return Shape(n_layer=cfg.n_layer, d_model=d, n_head=cfg.n_head, n_kv_head=cfg.n_head, d_ff=4 * d, vocab=vocab,
                 seq_len=cfg.block_size, mlp="gelu", tied_embeddings=False, norm="layernorm", bias=cfg.bias,
                 position="learned", dropout=cfg.dropout > 0)


def predicted_gpt(shape: Shape, batch: int, optimizer: str) -> dict:
    """The same quantities from engine/scale's formulas, for this exact config, fp32 on one device.
    The fused attention (scaled_dot_product_attention) keeps no a·s×s matrix: Korthikanti's
    'selective' count; checkpointing every block is his 'full'."""
    n = count(shape)["total"]
    per = bytes_per_param("fp32", "adam" if optimizer.startswith("adam") else "sgd")
    tokens = batch * shape.seq_len
    return {"param_bytes": n * per["weights"], "grad_bytes": n * per["gradients"], "optimizer_bytes": n * per["optimizer"],
            "saved": {"plain": activations(shape, batch, "selective", "fp32"),
                      "checkpoint": activations(shape, batch, "full", "fp32"),
                      "bf16": activations(shape, batch, "selective", "bf16_mixed")},
            "flops_per_step": flops_dense(n, tokens) + flops_attention(shape, tokens), "params": n}


def measure_gpt(run, checkpoint: bool = True, bf16: bool = True) -> dict:
    """Measure a TransformerRun's GPT at its current weights and config, on a copy."""
    cfg = run.config
    shape = gpt_shape(cfg, len(run.tok))
    predicted = predicted_gpt(shape, cfg.batch_size, cfg.optimizer)
    cuda = [run.device.index or 0] if run.device.type == "cuda" else []  # dropout on a GPU draws from its RNG
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(cfg.seed)
        model = copy.deepcopy(run.model)
        gen = torch.Generator().manual_seed(cfg.seed + 7)  # not the session's batch stream
        x, y = run.data.batch(run.phase, "train", cfg.batch_size, cfg.block_size, gen)
        x, y = x.to(run.device), y.to(run.device)

        def make_optimizer(params):
            if cfg.optimizer == "sgd":
                return torch.optim.SGD(params, lr=cfg.lr)
            cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
            return cls(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))

        measured = measure_model(model, make_optimizer, lambda saved, ckpt: gpt_loss(model, x, y, saved, ckpt),
                                 flops_per_step=predicted["flops_per_step"], checkpoint=checkpoint, bf16=bf16)
    config = {"n_layer": cfg.n_layer, "n_embd": cfg.n_embd, "n_head": cfg.n_head, "block_size": cfg.block_size,
              "vocab": len(run.tok), "batch_size": cfg.batch_size, "bias": cfg.bias, "dropout": cfg.dropout,
              "optimizer": cfg.optimizer}
    return {"model": "transformer", "config": config, **measured, "predicted": predicted,
            "notes": gpt_notes(shape, cfg.batch_size, measured, predicted)}


def outside_blocks_bytes(B: int, T: int, C: int, V: int) -> int:
    """What the GPT saves outside its blocks (fp32), counted by hand: the token ids and positions (int64),
    the final LayerNorm's input with its mean and 1/σ, the head's input, the log-softmax over the
    vocabulary, the targets (int64) and the loss's weight total (a scalar)."""
    return 8 * B * T + 8 * T + 4 * (B * T * C + 2 * B * T) + 4 * B * T * C + 4 * B * T * V + 8 * B * T + 4


def block_extra_bytes(B: int, T: int, H: int) -> int:
    """Per block, beyond Korthikanti's tensors: each LayerNorm's mean and 1/σ (B·T each) and the fused
    attention's log-sum-exp (B·H·T), fp32."""
    return 4 * (2 * 2 * B * T + B * H * T)


def gpt_notes(shape: Shape, batch: int, m: dict, p: dict) -> list[str]:
    """Why measurement and formula differ, with this run's numbers."""
    B, T, C, V, H = batch, shape.seq_len, shape.d_model, shape.vocab, shape.n_head
    outside, extra = outside_blocks_bytes(B, T, C, V), block_extra_bytes(B, T, H)
    notes = [
        f"parameters, gradients and Adam's m and v match the formula byte for byte: {p['params']:,} parameters × 4 B "
        "each (Adam's per-tensor step counters, a few bytes, are apart)",
        f"saved for backward: {m['saved']['plain']:,} B measured, {p['saved']['plain']:,.0f} B by Korthikanti's per-layer "
        f"count ({m['saved']['plain'] / p['saved']['plain']:.2f}×). The formula counts the {shape.n_layer} blocks' "
        f"activations; this model also keeps, outside the blocks, the token ids, the final LayerNorm's and the "
        f"head's inputs and the log-softmax over the vocabulary (B·T·V = {B}·{T}·{V}): {outside:,} B; and in each "
        f"block the LayerNorms' means and 1/σ and the fused attention's log-sum-exp: {extra:,} B",
    ]
    if m["saved"]["checkpoint"] is not None:
        notes.append(f"checkpointing every block keeps only each block's input ({B}·{T}·{C}·4 B) and what lies outside "
                     f"the blocks: {m['saved']['checkpoint'] / m['saved']['plain']:.2f}× the plain bytes. It runs each "
                     f"block's forward twice (about 4/3 of the FLOPs); here a step took "
                     f"{m['step_seconds']['checkpoint'] / m['step_seconds']['plain']:.2f}× as long")
    if m["saved"]["bf16"] is not None:
        notes.append(f"under bf16 autocast {m['saved']['bf16'] / m['saved']['plain']:.2f}× the fp32 bytes, not 0.5×: "
                     "LayerNorm and the loss stay fp32, and the bf16 casts of the weights are saved too")
    notes.append(f"MFU here: {m['mfu']:.0%} of this {m['device'].upper()}'s measured matmul peak "
                 f"({m['peak_flops'] / 1e9:,.1f} GFLOP/s); timings vary when the machine is busy")
    return notes
