"""Who holds what under the calculator's split (dp, tp, pp, ZeRO): the same picture a live split run
draws from what its ranks hold (engine/distributed/observe.py `holdings`), worked out from the
settings instead of measured.

Columns: the embedding, the layers (in at most MAX_COLUMNS groups), the head. Rows: ranks of the first
data-parallel replica in the live run's mesh order (dp, pp, tp; tp innermost) — every (stage, tp rank)
when there are at most MAX_ROWS of them, else each stage's first tp rank (stages evenly picked) — and,
with dp > 1, the second replica's first rank: ZeRO gives it the same shares of other shards.

As in the live run (split.py) and the calculator's memory (memory.py `held_params`), the first stage
holds the embedding and the last the head, both whole on every tp rank; a rank keeps 1/tp of each
layer it holds (Megatron splits its matrices; its norms and output biases, a small part, stay whole
and are not drawn apart); ZeRO divides by dp the optimizer state (stage ≥ 1), gradients (≥ 2) and
weights (3) (arXiv 1910.02054 §5).
"""
from __future__ import annotations

MAX_COLUMNS = 8
MAX_ROWS = 12


def _groups(n_layer: int) -> list[tuple[int, int]]:
    """Layers [lo, hi) per column: one a layer up to MAX_COLUMNS, else equal runs."""
    k = min(n_layer, MAX_COLUMNS)
    return [(i * n_layer // k, (i + 1) * n_layer // k) for i in range(k)]


def _picked(n: int, most: int) -> list[int]:
    if n <= most:
        return list(range(n))
    return sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})


def holds(n_layer: int, par: dict) -> dict:
    """{blocks, ranks: [{rank, coords, cells: [{params, grads, optimizer}]}], n_ranks, note}."""
    dp, tp, pp, zero = par["dp"], par["tp"], par["pp"], par["zero"]
    groups = _groups(n_layer)
    blocks = ["embedding", *(f"layer {lo + 1}" if hi - lo == 1 else f"layers {lo + 1}–{hi}" for lo, hi in groups),
              "head"]
    per = n_layer // pp if n_layer % pp == 0 else n_layer / pp
    rows: list[tuple[int, int, int]] = []  # (dp, pp, tp)
    if pp * tp <= MAX_ROWS:
        rows = [(0, s, t) for s in range(pp) for t in range(tp)]
    else:
        rows = [(0, s, 0) for s in _picked(pp, MAX_ROWS)]
    if dp > 1:
        rows.append((1, 0, 0))
    ranks = []
    for d, s, t in rows:
        lo, hi = s * per, (s + 1) * per  # the stage's layers
        shares = [1.0 if s == 0 else 0.0]
        shares += [max(0.0, min(hi, b) - max(lo, a)) / (b - a) for a, b in groups]
        shares.append(1.0 if s == pp - 1 else 0.0)
        split = [1] + [tp] * len(groups) + [1]  # tp cuts the layers' matrices, not the embedding or the head
        cells = [{"params": x / t / (dp if zero >= 3 else 1), "grads": x / t / (dp if zero >= 2 else 1),
                  "optimizer": x / t / (dp if zero >= 1 else 1)} for x, t in zip(shares, split)]
        ranks.append({"rank": (d * pp + s) * tp + t, "coords": {"dp": d, "pp": s, "tp": t}, "cells": cells})
    n = dp * tp * pp
    note = (f"{len(ranks)} of {n:,} ranks shown; the others hold the same shares of other shards" if len(ranks) < n
            else "every rank shown")
    return {"blocks": blocks, "ranks": ranks, "n_ranks": n, "note": note}


def live_run(par: dict) -> dict:
    """"Run it here": the Transformer page's small model (engine/transformer/config.py PAGE_START) split the
    calculator's way, as a live run's settings — {workers = dp·tp·pp, parallel, config} — and `refused`:
    the engine's reason in words when that split can't run on it (tp must divide its heads, pp its blocks…),
    else None. The server's own limit on workers (--max-workers) is the server's to tell."""
    from ..transformer.config import PAGE_START, TransformerConfig

    split = {k: par[k] for k in ("dp", "tp", "pp", "zero")}
    workers = split["dp"] * split["tp"] * split["pp"]
    if split["pp"] > 1:
        split["micro_batches"] = 4
    config = {k: PAGE_START[k] for k in ("n_layer", "n_head", "n_embd", "block_size", "batch_size")}
    if workers > 16:
        return {"workers": workers, "parallel": split, "config": config,
                "refused": f"{workers} workers: a live run here takes at most 16"}
    problems = TransformerConfig(**PAGE_START, workers=workers, parallel=split).problems() if workers > 1 else []
    return {"workers": workers, "parallel": split, "config": config, "refused": "; ".join(problems) or None}
