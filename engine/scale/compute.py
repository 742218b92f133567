"""Compute, time, energy, cost and communication of a training run: plain arithmetic with sources."""
from __future__ import annotations

from .params import Shape

SECONDS_PER_DAY = 86_400


def flops_dense(n_params: float, tokens: float) -> float:
    """6·N·D: each parameter does a multiply and an add (2 FLOPs) per token forward, and twice that
    backward (the gradients of the inputs and of the weights) — Kaplan et al. 2020 (arXiv 2001.08361,
    §2.1); GPT-3's 3.14e23 FLOPs (arXiv 2005.14165, Table D.1) are 6·N·D with N = 175B, D = 300B."""
    return 6 * n_params * tokens


# How the attention's own FLOPs are counted (the scores QKᵀ and their weighted sum A·V, which no
# parameter counts), by name, with the words a page shows.
ATTENTION_FLOPS = {
    "full": "QKᵀ and A·V over the whole s×s: 12·L·s·d per token (Megatron, arXiv 2104.04473 eq. 3; "
            "Chinchilla, arXiv 2203.15556 App. F)",
    "causal": "halved for the causal mask (only the lower triangle of s×s is needed): 6·L·s·d per token",
}


def flops_attention(shape: Shape, tokens: float, convention: str = "full") -> float:
    """The attention scores QKᵀ (2·s·d multiply-adds per token per layer: s keys, d = heads·d_head wide)
    and their weighted sum A·V (2·s·d again): 4·L·s·d FLOPs per token forward, ×3 with backward =
    12·L·s·d. Megatron's eq. 3 (arXiv 2104.04473: 72·B·s·l·h²·(s/6h) without recomputation) and
    Chinchilla's App. F count both, over the full s×s; `causal` halves it, since a causal mask needs only
    the lower triangle (Kaplan et al. 2020, Table 1, count one of the two: 6·L·s·d)."""
    full = 12 * shape.n_layer * shape.seq_len * shape.d_model * tokens
    return full / 2 if convention == "causal" else full


def recomputed_flops(dense: float, attention: float, recompute: str, head: float = 0.0) -> float:
    """The forward work done again in backward. Full recomputation runs each layer's forward twice: a
    third of the layers' 6·N·D + attention (`head`, the output layer's 6·V·d·D, is not inside a layer
    and not recomputed) — Megatron's 96·B·s·l·h²·(1 + s/6h + V/16lh) with recomputation against
    72·B·s·l·h²·(1 + s/6h + V/12lh) without (arXiv 2104.04473, eq. 3 and §5.1). Selective
    recomputation (Korthikanti et al., arXiv 2205.05198 §5) redoes only the attention scores' forward:
    a third of the attention term."""
    return {"none": 0.0, "selective": attention / 3, "full": (dense - head + attention) / 3}[recompute]


def head_flops(shape: Shape, tokens: float) -> float:
    """The output layer's logits, d·V multiply-adds per token, forward and backward: 6·V·d·D."""
    return 6 * shape.vocab * shape.d_model * tokens


def chinchilla_tokens(n_params: float) -> float:
    """The compute-optimal data size: about 20 tokens per parameter (Hoffmann et al. 2022,
    arXiv 2203.15556, Table 3: 70B parameters ↔ 1.4T tokens)."""
    return 20 * n_params


def train_seconds(hardware_flops: float, n_gpus: int, peak_flops: float, hfu: float) -> float:
    """Time = the FLOPs the GPUs execute (model FLOPs + recomputation) / (GPUs · peak · HFU).

    HFU, hardware FLOPs utilization, counts every FLOP executed; MFU (model FLOPs utilization, PaLM,
    arXiv 2204.02311 §4.1 and App. B) counts only the model's own 6·N·D + attention, so recomputation
    lowers MFU at the same speed: MFU = HFU · model / hardware FLOPs."""
    return hardware_flops / (n_gpus * peak_flops * hfu)


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
