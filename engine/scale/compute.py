"""Compute, time, energy, cost and communication of a training run: plain arithmetic with sources."""
from __future__ import annotations

from .params import Shape

SECONDS_PER_DAY = 86_400


def flops_dense(n_params: float, tokens: float) -> float:
    """6·N·D: each parameter does a multiply and an add (2 FLOPs) per token forward, and twice that
    backward (the gradients of the inputs and of the weights) — Kaplan et al. 2020 (arXiv 2001.08361,
    §2.1); GPT-3's 3.14e23 FLOPs (arXiv 2005.14165, Table D.1) are 6·N·D with N = 175B, D = 300B."""
    return 6 * n_params * tokens


def flops_attention(shape: Shape, tokens: float) -> float:
    """The attention scores and their weighted sum, which no parameter counts: 2·L·s·d FLOPs per
    token forward (Kaplan et al. 2020, Table 1: 2·n_layer·n_ctx·d_attn), ×3 with backward. Causal
    masking could halve it; like Kaplan we do not."""
    return 6 * shape.n_layer * shape.seq_len * shape.d_model * tokens


def chinchilla_tokens(n_params: float) -> float:
    """The compute-optimal data size: about 20 tokens per parameter (Hoffmann et al. 2022,
    arXiv 2203.15556, Table 3: 70B parameters ↔ 1.4T tokens)."""
    return 20 * n_params


def train_seconds(flops: float, n_gpus: int, peak_flops: float, mfu: float) -> float:
    """Time = FLOPs / (GPUs · peak · MFU). MFU, model FLOPs utilization (PaLM, arXiv 2204.02311 §4.1),
    is the share of the peak that goes into the model's FLOPs; recomputation is extra work it excludes."""
    return flops / (n_gpus * peak_flops * mfu)


def gpu_hours(seconds: float, n_gpus: int) -> float:
    return n_gpus * seconds / 3600


def energy_kwh(n_gpus: int, watts: float, hours: float, pue: float) -> float:
    """GPU power × hours, times the data centre's PUE (power usage effectiveness: cooling, networking
    and the rest, over the IT load); kWh. The GPUs' rated power is an upper bound on their draw."""
    return n_gpus * watts * hours * pue / 1000


def cost_usd(gpu_hours_: float, usd_per_gpu_hour: float) -> float:
    return gpu_hours_ * usd_per_gpu_hour


def allreduce_bytes(gradient_bytes: float, dp: int, zero: int = 0) -> float:
    """Bytes each GPU sends per step to synchronize gradients over dp data-parallel copies.

    A ring all-reduce sends 2·(N−1)/N of the buffer (a reduce-scatter, then an all-gather: Patarasuk &
    Yuan 2009). ZeRO stages 1 and 2 move the same volume (reduce-scatter the gradients, all-gather the
    updated weights); stage 3 also all-gathers the weights for the backward pass: 1.5× (ZeRO, arXiv
    1910.02054 §7). One GPU alone sends nothing.
    """
    ring = 2 * (dp - 1) / dp * gradient_bytes
    return ring * (1.5 if zero >= 3 else 1.0)


def transfer_seconds(n_bytes: float, gbit_per_s: float) -> float:
    """At the interconnect's bandwidth per GPU (Gbit/s; 400 for InfiniBand NDR), ignoring latency."""
    return n_bytes * 8 / (gbit_per_s * 1e9)
