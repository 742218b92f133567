"""What each stage of a data-parallel step shows: the one-process story (engine/transformer/story.py,
told from rank 0's shard) plus what every worker did, and the new `allreduce` stage.

Wire values (docs/protocol.md): `input` adds `shards`; `loss` has `loss` = the mean over the
global batch and `workers` = per-rank losses; every `gradients` stage adds `workers` (rank, loss,
grad_norm = the rank's own ‖g‖ before averaging, grad_slice = the tracked tensor's first entries
before averaging); `allreduce` has `before`/`after` (per rank grad_slice), `bytes_per_worker`,
`seconds`; `update` adds `workers` (rank, param_checksum).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from .. import stagevalues as sv
from ..flow import PlanEntry
from ..numfmt import num, par
from ..transformer import story as one
from ..transformer.record import StepRecord


@dataclass
class DistRecord:
    """One data-parallel step: rank 0's full record, and what each rank reported."""

    rec: StepRecord  # rank 0's (record.py): the forward stages follow its first window
    ranks: list[dict[str, Any]]  # per rank: loss, local_grad_norm, before, after, rows, bytes, allreduce_s
    param: str  # the tracked tensor the slices come from
    applied: list[dict[str, Any]] | None = None  # per rank, after the update: checksum, …

    @property
    def loss(self) -> float:
        """The global batch's mean loss: equal shards, so the mean of the ranks' means."""
        return sum(r["loss"] for r in self.ranks) / len(self.ranks)


@lru_cache(maxsize=32)
def plan(n_layer: int, optimizer: str = "adamw", dims: tuple[int, int, int, int, int] | None = None,
         n_params: int | None = None) -> tuple[PlanEntry, ...]:
    """The one-process plan with `allreduce` between the last gradients stage and the update. `dims`
    = (B, T, C, H, V) with B one replica's windows (each runs the one-process step on its shard)
    puts each stage's tensor shape in its entry; `n_params` the all-reduced gradient's (P)."""
    steps = one.plan(n_layer, optimizer, dims)
    shape = f"g (P) = ({n_params})" if n_params else ""  # every gradient, flattened: what each worker sends
    return (*steps[:-1], PlanEntry("allreduce", 0, "ḡ = (g₀ + … + g₍N₋₁₎)/N", shape=shape), steps[-1])


def ring_bytes(gradient_bytes: int, world: int) -> int:
    """Bytes each worker sends in a ring all-reduce: reduce-scatter then all-gather, each N−1 steps
    of 1/N of the buffer — 2(N−1)/N × the gradient's bytes (Patarasuk & Yuan 2009; the NCCL docs'
    "bus bandwidth" uses the same factor)."""
    return round(2 * (world - 1) / world * gradient_bytes)


def describe(stage: str, layer: int, d: DistRecord, cfg) -> tuple[dict, str, str]:
    if stage == "allreduce":
        return _allreduce(d)
    values, formula, caption = one.describe(stage, layer, d.rec, cfg)
    n = len(d.ranks)
    if stage == "input":
        b = d.rec.batch[0]
        values = _more(sv.GPTInputDDP, values, shards=[{"rank": r["rank"], "rows": r["rows"], "first_row": r["rank"] * b,
                                                        "count": b} for r in d.ranks])
        formula += "\n" + ";  ".join(f"worker {r['rank']}: windows {r['rank'] * b + 1}–{(r['rank'] + 1) * b}"
                                     for r in d.ranks)
        caption = (f"The global batch of {b * n} windows is cut into {n} shards of {b}: each worker reads only "
                   "its own. The numbers below follow worker 0's first window. " + caption)
    elif stage == "loss":
        values = _more(sv.GPTLossDDP, values, loss=d.loss, rank0_loss=values.loss,
                       workers=[{"rank": r["rank"], "loss": r["loss"]} for r in d.ranks])
        terms = " + ".join(num(r["loss"]) for r in d.ranks)
        formula += f"\nmean over the {n} workers' shards: L = ({terms})/{n} = {num(d.loss)}"
        caption += " Each worker computes the loss of its own shard; their mean is the whole batch's loss."
    elif stage == "gradients":
        values = _more(sv.GPTGradientsDDP, values, workers=_workers(d))
        formula += "\n" + ";  ".join(f"worker {r['rank']}: ‖g‖ = {num(r['local_grad_norm'])}" for r in d.ranks)
        caption += " Each worker back-propagates its own shard: its gradients differ from the others' until the all-reduce."
    elif stage == "update" and d.applied:
        values = _more(sv.GPTUpdateDDP, values,
                       workers=[{"rank": a["rank"], "param_checksum": a["checksum"]} for a in d.applied])
        same = len({a["checksum"] for a in d.applied}) == 1
        formula += "\nparameters' SHA-1: " + ", ".join(f"worker {a['rank']} {a['checksum']}" for a in d.applied)
        caption += (" Every worker applies the same averaged gradient, so the replicas stay identical."
                    if same else " The replicas' checksums differ: they no longer agree.")
    return values, formula, caption


def _more(cls, values, **extra):
    """The one-process stage's values as their data-parallel kind, with `extra` fields (or overrides)."""
    return cls(**{**{f.name: getattr(values, f.name) for f in fields(values)}, **extra})


def _workers(d: DistRecord) -> list[dict]:
    return [{"rank": r["rank"], "loss": r["loss"], "grad_norm": r["local_grad_norm"], "grad_slice": r["before"],
             "param": d.param} for r in d.ranks]


def _allreduce(d: DistRecord) -> tuple[dict, str, str]:
    n = len(d.ranks)
    grad_bytes = d.ranks[0]["bytes"]
    sent = ring_bytes(grad_bytes, n)
    seconds = max(r["allreduce_s"] for r in d.ranks)
    first = [r["before"][0] for r in d.ranks]
    values = sv.AllReduce(param=d.param, workers=n,
                          before=[{"rank": r["rank"], "grad_slice": r["before"]} for r in d.ranks],
                          after=[{"rank": r["rank"], "grad_slice": r["after"]} for r in d.ranks],
                          gradient_bytes=grad_bytes, bytes_per_worker=sent, seconds=seconds,
                          seconds_per_rank=[r["allreduce_s"] for r in d.ranks], buckets=d.ranks[0]["buckets"],
                          grad_norms=[r["local_grad_norm"] for r in d.ranks])
    terms = " + ".join(par(v) for v in first)
    formula = (f"{d.param}[1]: ḡ = ({terms})/{n} = {num(d.ranks[0]['after'][0])} on every worker\n"
               f"ring all-reduce: each worker sends 2(N−1)/N × {grad_bytes:,} B = {sent:,} B "
               f"(reduce-scatter, then all-gather: 2·{n - 1} steps of 1/{n} of the gradient)\n"
               f"time: {seconds * 1000:.2f} ms over {d.ranks[0]['buckets']} bucket(s)")
    caption = (f"DistributedDataParallel averages the {n} workers' gradients with an all-reduce while backward runs: "
               "after it every worker holds the same gradient — the one the whole batch gives in one process.")
    return values, formula, caption
