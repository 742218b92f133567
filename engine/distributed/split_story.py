"""What each stage of a split run's step shows (tensor parallelism, its mixtures with dp and ZeRO 2/3):
the one-process story (engine/transformer/story.py, told from rank 0: its heads, its shard) with the
step's communication stages put where they happen, each told from what every rank's collective really
did (meter.py's CommMeter records each call's piece going in and result coming back).

- `allreduce` · tp, forward: after each row-parallel layer (attention's and the MLP's output
  projection) the ranks' partial sums are added — every rank then holds the whole sublayer output;
- `allreduce` · tp, backward: before each column-parallel layer (qkv, fc) the input's gradient, summed;
- `allgather` · dp (zero 2/3): a block's parameter shards gathered before its forward (zero 3 again
  before its backward: the root unit as the backward starts, then each block before its MLP's
  gradients); `reducescatter` · dp: its gradients summed, each rank keeping its shard;
- `allreduce` · dp: the replicas' gradients averaged (dp beside tp, and zero 1);
- `broadcast` · dp (zero 1), after `update`: ZeroRedundancyOptimizer's rank r updated only its 1/dp of
  the parameters and broadcasts them (one broadcast a tensor: together the ZeRO paper's all-gather).
A plan entry's `comm` = (op, group, payload bytes on rank 0, parallel.py's comm_plan); the stage is
matched to the calls by its place: the n-th entry of an (op, direction, group) is each rank's n-th call.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .. import stagevalues as sv
from ..flow import COMM_STAGES, PlanEntry
from ..numfmt import apart, num, par
from ..transformer import story as one
from ..transformer.record import StepRecord
from .parallel import Parallel, allreduce_bytes, gather_bytes


@dataclass
class SplitRecord:
    """One split step: rank 0's record and, per rank, its loss and collectives (begun, then applied)."""

    rec: StepRecord
    ranks: list[dict[str, Any]]  # per rank: rank, coords, loss (the global batch's), local_loss, grad_norm, calls
    applied: list[dict[str, Any]] | None = None
    par: Parallel | None = None

    @property
    def loss(self) -> float:
        return self.ranks[0]["loss"]


def merge(replies: list[dict], par: Parallel) -> StepRecord:
    """Rank 0's record; a pipeline's put together from its stages' parts (each stage's first rank sends
    its own): the embeddings' numbers from the first, each stage's sublayers in order, the head's from
    the last. A stage's last sublayer's ∂L/∂out is what came back to it (its output's gradient)."""
    if par.pp == 1:
        return replies[0]["record"]
    parts = sorted((r for r in replies if r.get("record") is not None and r["coords"]["dp"] == 0
                    and r["coords"]["tp"] == 0), key=lambda r: r["coords"]["pp"])
    first, last = parts[0]["record"], parts[-1]["record"]
    cap = {**first.cap, **{k: v for k, v in last.cap.items() if k != "sublayers"}}
    cap["sublayers"] = [sub for r in parts for sub in r["record"].cap["sublayers"]]
    for before, after in zip(parts, parts[1:]):  # ∂L/∂ a stage's input (a received leaf: autograd keeps no
        # .grad) is the gradient it sent back: what came back to the stage before, as its output's
        after["record"].cap["sublayers"][0]["dx_norm"] = before["record"].cap["sublayers"][-1]["dout_norm"]
    return StepRecord(first.step, first.phase, replies[0]["loss"], first.batch, first.grad_norm, cap,
                      extra={"stages": [r["record"].extra for r in parts]})


def _comm(stage: str, k: int, way: str, group: str, nbytes: int, part: str, short: str, subtitle: str,
          shape: str = "") -> PlanEntry:
    return PlanEntry(stage, k, subtitle, part, short, shape, way=way, comm=(stage, group, int(nbytes)))


@lru_cache(maxsize=32)
def plan(p: Parallel, n_layer: int, optimizer: str, nbytes: tuple[tuple[str, int], ...], act: str) -> tuple[PlanEntry, ...]:
    """The one-process plan with the split's communication stages where they run. `nbytes`: per
    "op/direction/group" the payload of one such collective on rank 0, and per FSDP unit ("unit/root",
    "unit/block 0", …) its gathered bytes; `act`: the (b, T, C) words."""
    size = dict(nbytes)
    steps = one.plan(n_layer, optimizer)
    out: list[PlanEntry] = []
    zero = p.zero >= 2 and p.dp > 1
    for e in steps:
        block = e.layer // 2 + 1
        if zero and e.stage == "weights":
            out.append(_comm("allgather", 0, "forward", "dp", size.get("unit/root", 0), "embeddings and head",
                             "emb", "W = [W₀ … W₍N₋₁₎]"))
        if zero and e.stage == "linear" and e.layer % 2 == 0:
            out.append(_comm("allgather", e.layer, "forward", "dp", size.get(f"unit/block {block - 1}", 0),
                             f"block {block}", f"blk {block}", "W = [W₀ … W₍N₋₁₎]"))
        if e.stage == "update" and p.dp > 1 and not zero:
            out.append(_comm("allreduce", 0, "backward", "dp", size.get("allreduce/backward/dp", 0), "gradients over dp",
                             "dp", "ḡ = (g₀ + … + g₍N₋₁₎)/N"))
        if zero and e.stage == "update":
            out.append(_comm("reducescatter", 0, "backward", "dp", size.get("unit/root", 0),
                             "embeddings and head", "emb", "g_r = Σ gᵢ, shard r"))
        if p.zero == 3 and p.dp > 1 and e.stage == "gradients" and e.layer % 2 == 1:  # a block's backward begins
            if e.layer == 2 * n_layer - 1:  # the backward's start: the root unit (the head's weights) first
                out.append(_comm("allgather", 0, "backward", "dp", size.get("unit/root", 0), "embeddings and head, again",
                                 "emb", "W = [W₀ … W₍N₋₁₎]"))
            out.append(_comm("allgather", e.layer, "backward", "dp", size.get(f"unit/block {block - 1}", 0),
                             f"block {block}, again", f"blk {block}", "W = [W₀ … W₍N₋₁₎]"))
        out.append(e)
        if p.zero == 1 and e.stage == "update":
            out.append(_comm("broadcast", 0, "backward", "dp", size.get("broadcast/update/dp", 0),
                             "updated parameters", "dp", "W_r → every rank"))
        sub = "attention" if e.layer % 2 == 0 else "MLP"
        if p.tp > 1 and e.stage == "activation":
            out.append(_comm("allreduce", e.layer, "forward", "tp", size.get("allreduce/forward/tp", 0),
                             f"{sub} output, block {block}", f"{'attn' if sub == 'attention' else 'MLP'} {block}",
                             "y = y₀ + … + y₍tp₋₁₎", act))
        per = n_layer // p.pp  # blocks per pipeline stage: stage j ends with sublayer 2·per·(j+1) − 1
        if p.pp > 1 and e.stage == "activation" and (e.layer + 1) % (2 * per) == 0 and e.layer < 2 * n_layer - 1:
            j = (e.layer + 1) // (2 * per)
            out.append(_comm("sendrecv", e.layer, "forward", "pp", size.get("sendrecv/forward/pp", 0),
                             f"activations, stage {j} → {j + 1}", f"{j}→{j + 1}", "x → next stage", act))
        if p.pp > 1 and e.stage == "gradients" and e.layer % (2 * per) == 0 and e.layer > 0:
            j = e.layer // (2 * per)
            out.append(_comm("sendrecv", e.layer, "backward", "pp", size.get("sendrecv/backward/pp", 0),
                             f"gradients, stage {j + 1} → {j}", f"{j + 1}→{j}", "∂L/∂x → previous stage", act))
        if p.tp > 1 and e.stage == "gradients":
            out.append(_comm("allreduce", e.layer, "backward", "tp", size.get("allreduce/backward/tp", 0),
                             f"∂L/∂x into {sub}, block {block}", f"{'attn' if sub == 'attention' else 'MLP'} {block}",
                             "∂L/∂x = Σ ∂L/∂x_r", act))
        if zero and e.stage == "gradients" and e.layer % 2 == 0:
            out.append(_comm("reducescatter", e.layer, "backward", "dp", size.get(f"unit/block {block - 1}", 0),
                             f"block {block}", f"blk {block}", "g_r = Σ gᵢ, shard r"))
    return tuple(out)


def occurrence(entries: tuple[PlanEntry, ...], k: int) -> int:
    """How many entries before the k-th have its (op, direction, group): its calls' index on each rank."""
    e = entries[k]
    return sum(1 for x in entries[:k] if x.comm and x.comm[:2] == e.comm[:2] and x.direction == e.direction)


def describe(entries: tuple[PlanEntry, ...], k: int, d: SplitRecord, cfg) -> tuple[Any, str, str]:
    e = entries[k]
    if e.stage == "sendrecv":
        return _sendrecv(e, d, cfg)
    if e.stage == "broadcast":
        return _broadcast(e, d)
    if e.stage in COMM_STAGES and e.comm:
        return _collective(e, occurrence(entries, k), d)
    values, formula, caption = one.describe(e.stage, e.layer, d.rec, cfg)
    if e.stage == "loss" and d.loss != values.loss:  # a dp shard's: the step's is the mean over the replicas
        values = sv.GPTLoss(**{**values.as_json(), "loss": d.loss})
        formula += f"\nmean over the dp replicas' shards: L = {num(d.loss)}"
    if d.par and d.par.pp > 1 and e.stage in ("linear", "activation", "gradients"):
        caption += (" In the pipeline each stage records its micro-batch 1: the shapes are the micro-batch's, and "
                    "‖∂L/∂x‖ is over its windows (the weights' gradients are the whole step's).")
    if e.stage in ("linear", "activation") and e.layer % 2 == 0 and d.par and d.par.tp > 1:
        caption += " Under tensor parallelism worker 0 computes only its own heads: the numbers follow its head 1."
    return values, formula, caption


def _p2p(d: SplitRecord, e: PlanEntry, cfg) -> tuple[list, list]:
    """A pipeline boundary's send (micro-batch 0's, from each sending rank: `before`) and what the receiving
    rank got (its stage's input, or its output's gradient, as recorded: `after`)."""
    per = cfg.n_layer // d.par.pp
    fwd = e.direction == "forward"
    j = (e.layer + 1) // (2 * per) - 1 if fwd else e.layer // (2 * per) - 1  # between stages j and j + 1 (from 0)
    src, dst = (j, j + 1) if fwd else (j + 1, j)
    sent, got = [], []
    for r in d.ranks:
        at = r["coords"]["pp"]
        if at == src:
            call = next((c for c in r["calls"] if c["op"] == "sendrecv" and c.get("p2p") == "send"
                         and c.get("peer") == dst and c["bytes"] == e.comm[2]), None)  # not a metadata send
            if call is not None:
                sent.append((r["rank"], call))
    stages = d.rec.extra.get("stages", [])
    if dst < len(stages):
        seen = stages[dst]["received" if fwd else "received_grad"]
        rank = next(r["rank"] for r in d.ranks if r["coords"] == {"dp": 0, "pp": dst, "tp": 0})
        if seen is not None:
            got.append((rank, seen))
    return sent, got


def _calls(d: SplitRecord, e: PlanEntry, n: int) -> list[tuple[int, dict | None]]:
    op, group = e.comm[0], e.comm[1]
    out = []
    for r in d.ranks:
        mine = [c for c in r["calls"] if c["op"] == op and c.get("mesh") == group and c["direction"] == e.direction]
        out.append((r["rank"], mine[n] if n < len(mine) else None))
    return out


_WORDS = {
    ("allreduce", "forward", "tp"): "{part}: each tp rank's row-parallel projection gives a partial sum over its own "
                                    "heads or hidden units; the all-reduce adds them, so every rank holds the whole output.",
    ("allreduce", "backward", "tp"): "{part}: each tp rank's column-parallel layer sends back the gradient of its "
                                     "own heads or units only; the all-reduce adds them into the whole ∂L/∂x.",
    ("allreduce", "backward", "dp"): "The replicas' gradients averaged over dp: after it every replica holds the gradient "
                                     "the whole batch gives.",
    ("allgather", "forward", "dp"): "{part}: each rank keeps 1/dp of the weights at rest (ZeRO 3 / FSDP); "
                                    "the all-gather puts the whole weights together just before they are used.",
    ("allgather", "backward", "dp"): "{part}: the weights gathered again just before their backward (ZeRO 3 freed "
                                     "them after the forward).",
    ("reducescatter", "backward", "dp"): "{part}: the gradients averaged over the replicas, and each rank keeps "
                                         "only its 1/dp shard of the mean (ZeRO 2/3).",
}


def _sendrecv(e: PlanEntry, d: SplitRecord, cfg) -> tuple[Any, str, str]:
    sent, got = _p2p(d, e, cfg)
    if not sent:
        raise ValueError(f"the step made no send for '{e.title}': nothing measured to show")
    head = sent[0][1]
    what = "activations" if e.direction == "forward" else "gradients ∂L/∂x"
    values = sv.Collective(op="sendrecv", group="pp", group_size=2, direction=e.direction,
                           label=f"{e.part} (micro-batch 1), first {len(head['before'] or [])} entries",
                           shape=head.get("shape"), bytes=head["bytes"], sent=head["bytes"],
                           before=[{"rank": r, "slice": c["before"]} for r, c in sent if c.get("before")],
                           after=[{"rank": r, "slice": xs} for r, xs in got],
                           seconds=max(c["t1"] - c["t0"] for _, c in sent))
    m = d.par.micro_batches
    shape = "×".join(str(x) for x in head.get("shape") or [])
    lines = [f"rank {sent[0][0]} sends, rank {got[0][0] if got else '?'} receives: entry 1 = {num(head['before'][0])}"
             if head.get("before") else f"rank {sent[0][0]} sends",
             f"send/recv: {head['bytes']:,} B per micro-batch (tensor {shape}), × {m} micro-batch(es) = "
             f"{head['bytes'] * m:,} B this step",
             f"time: {values.seconds * 1000:.2f} ms (micro-batch 1's send)"]
    caption = (f"{e.part[:1].upper() + e.part[1:]}: the pipeline hands the {what} of each micro-batch to the "
               + ("next stage, which goes on with its own blocks." if e.direction == "forward"
                  else "previous stage, which carries the backward on through its own blocks."))
    return values, "\n".join(lines), caption


def _broadcast(e: PlanEntry, d: SplitRecord) -> tuple[Any, str, str]:
    """Zero 1's parameters after the update, measured in the update's half of the step (`applied`): each rank's
    broadcasts, one a tensor, the first one's entries before (its owner's new values, the others' old) and after."""
    if not d.applied:
        raise ValueError("the update has not run yet: no broadcast to show")
    got = [(a["observed"]["rank"], [c for c in a["observed"]["comm"] if c["op"] == "broadcast" and c["bytes"] > 8])
           for a in d.applied]
    got = [(r, calls) for r, calls in got if calls]
    if not got:
        raise ValueError(f"the step made no broadcast over dp for '{e.title}': nothing measured to show")
    head = got[0][1]
    size = head[0].get("group") or len(got)
    total = sum(c["bytes"] for c in head)
    values = sv.Collective(op="broadcast", group="dp", group_size=size, direction="update",
                           label=f"{e.part}, the first tensor's first {len(head[0]['before'] or [])} entries",
                           shape=head[0].get("shape"), bytes=total, sent=gather_bytes(total, size),
                           before=[{"rank": r, "slice": cs[0]["before"]} for r, cs in got if cs[0].get("before")],
                           after=[{"rank": r, "slice": cs[0]["after"]} for r, cs in got if cs[0].get("after")],
                           seconds=max(sum(c["t1"] - c["t0"] for c in cs) for _, cs in got))
    firsts = [(r, cs[0]["before"][0]) for r, cs in got if cs[0].get("before")]
    result = next((cs[0]["after"][0] for _, cs in got if cs[0].get("after")), None)
    lines = []
    if firsts and result is not None:
        words = {v: num(v) for _, v in firsts}
        if len(words) > 1:  # an update of a few 1e−5 hides at three digits: written apart (numfmt.apart)
            stale = next(v for v in words if v != result)
            words[stale], words[result] = apart(stale, result)
        lines.append("entry 1 before: " + ", ".join(f"rank {r} {words[v]}" for r, v in firsts)
                     + f" → {words.get(result, num(result))} on every rank (its owner's updated value)")
    lines.append(f"{len(head)} broadcasts, one a tensor, {total:,} B in all; each rank sends the 1/{size} it updated to "
                 f"the others: (N−1)/N × {total:,} B = {values.sent:,.0f} B, as an all-gather (N = {size})")
    lines.append(f"time: {values.seconds * 1000:.2f} ms (the slowest rank, its broadcasts added)")
    caption = ("ZeRO 1 keeps the optimizer state of 1/dp of the parameters on each rank, so each rank updated only "
               "those; the broadcasts hand every rank the others' new values, and the replicas are equal again.")
    return values, "\n".join(lines), caption


def _mates(d: SplitRecord, group: str) -> set[int]:
    """The ranks in rank 0's `group` (dp, tp or pp): those at rank 0's place on every other mesh dimension."""
    home = d.ranks[0].get("coords") or {}
    return {r["rank"] for r in d.ranks
            if all(r.get("coords", {}).get(k) == v for k, v in home.items() if k != group)}


def _collective(e: PlanEntry, n: int, d: SplitRecord) -> tuple[Any, str, str]:
    op, group = e.comm[0], e.comm[1]
    got = _calls(d, e, n)
    calls = [c for _, c in got if c is not None]
    if not calls:
        raise ValueError(f"the step made no {op} over {group} for '{e.title}': nothing measured to show")
    head = calls[0]
    size = head.get("group") or len(calls)
    sent = (allreduce_bytes if op == "allreduce" else gather_bytes if op in ("allgather", "reducescatter")
            else lambda b, _n: b)(head["bytes"], size)
    label = f"{e.part}, first {len(head['before'] or [])} entries"
    values = sv.Collective(op=op, group=group, group_size=size, direction=e.direction, label=label,
                           shape=head.get("shape"), bytes=head["bytes"], sent=sent,
                           before=[{"rank": r, "slice": c["before"]} for r, c in got if c and c.get("before")],
                           after=[{"rank": r, "slice": c["after"]} for r, c in got if c and c.get("after")],
                           seconds=max(c["t1"] - c["t0"] for c in calls))
    lines = []
    mates = _mates(d, group)  # the formula adds up rank 0's own group (dp×tp: each tp pair sums apart)
    firsts = [(r, c["before"][0]) for r, c in got if c and c.get("before") and r in mates]
    result = next((c["after"][0] for r, c in got if c and c.get("after") and r in mates), None)
    if op == "allreduce" and firsts and result is not None:
        terms = " + ".join(par(v) for _, v in firsts)
        mean = " / " + str(len(firsts)) if group == "dp" else ""
        lines.append(f"entry 1: ({terms}){mean} = {num(result)} on every rank" if mean
                     else f"entry 1: {terms} = {num(result)} on every rank")
    elif op == "allgather" and firsts and result is not None:
        lines.append(f"W = [W₀ … W₍{size - 1}₎]: rank r's shard fills part r of the whole on every rank; "
                     f"entry 1 = rank 0's entry 1 = {num(result)}")
    elif op == "reducescatter" and firsts and result is not None:
        terms = " + ".join(par(v) for _, v in firsts)
        lines.append(f"entry 1: ({terms})/{len(firsts)} = {num(result)}, kept by rank 0 (rank r keeps part r "
                     f"of the replicas' mean)")
    elif firsts:
        lines.append("entry 1 of each rank's piece: " + ", ".join(f"rank {r} {num(v)}" for r, v in firsts))
    shape = "×".join(str(s) for s in head.get("shape") or [])
    rule = {"allreduce": f"ring all-reduce: each rank sends 2(N−1)/N × {head['bytes']:,} B = {sent:,.0f} B",
            "allgather": f"ring all-gather: each rank sends (N−1)/N × {head['bytes']:,} B = {sent:,.0f} B",
            "reducescatter": f"ring reduce-scatter: each rank sends (N−1)/N × {head['bytes']:,} B = {sent:,.0f} B",
            "sendrecv": f"send/recv: {head['bytes']:,} B to the neighbour stage"}[op]
    lines.append(f"{rule} (N = {size}, tensor {shape})")
    lines.append(f"time: {values.seconds * 1000:.2f} ms (the slowest rank)")
    caption = _WORDS.get((op, e.direction, group), "{part}.").format(part=e.part[:1].upper() + e.part[1:])
    return values, "\n".join(lines), caption
