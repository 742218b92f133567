"""What the engine serves about a split run's latest observed step (torch-free: plain numbers in, plain
numbers out), so a server only passes it through:

- `state.gpt.parallel`: the split that runs (`spec`), the communication stages of a step in order
  (`plan`: {stage = the op, direction, group, group_size, comm: {op, group, bytes}, count, sent, why,
  ranks: [{rank, shape, before, after}] — each rank's first such collective: its piece going in, the
  result, where readable (meter.py)}, from rank 0's side), per op the payload bytes measured on each rank beside the formula's (`bytes`), and
  the pipeline bubble measured beside (p−1)/(m+p−1) (`bubble`);
- `state.gpt.parallel.holds`: who holds what, blocks × ranks: per rank and block the share of the block's
  weights, gradients and optimizer state it keeps at rest (`holdings`);
- `state.gpt.timeline`: [{rank, segments: [{kind: compute|comm|idle, op, micro_batch, t0, t1}]}], seconds
  from the step's start;
- per rank for `state.gpt.workers[r]`: coords {dp, tp, pp}, holds [{param, shape, full_shape}], memory
  {params, grads, optimizer, activations} in bytes.
"""
from __future__ import annotations

from .parallel import Parallel, bubble, comm_plan

# collectives of at most this many bytes carry a norm, a loss or the pipeline's first-step warm-up vote (4 bytes:
# PipelineStage's static/dynamic check, split.py), not the plan's tensors
SCALAR = 8


def rank_view(observed: dict) -> dict:
    return {k: observed[k] for k in ("coords", "holds", "memory")}


def _first(observed: dict, op: str, direction: str) -> dict:
    """One rank's first collective of this stage in the step: its piece before, the result after, shape."""
    call = next((c for c in observed["comm"] if c["op"] == op and c.get("direction") == direction
                 and c["bytes"] > SCALAR), None)
    return {"rank": observed["rank"], **({k: call.get(k) for k in ("shape", "before", "after")} if call else
                                         {"shape": None, "before": None, "after": None})}


def measured_bytes(calls: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in calls:
        if c["bytes"] > SCALAR:
            out[c["op"]] = out.get(c["op"], 0) + c["bytes"]
    return out


def parallel_view(par: Parallel, observed: list[dict], shapes: dict[str, tuple], batch: int, block_size: int,
                  n_embd: int, n_layer: int, optimizer: str = "adamw") -> dict:
    args = (shapes, batch, block_size, n_embd, n_layer)
    plan = [{**s, "comm": {"op": s["stage"], "group": s["group"], "bytes": s["bytes"]},
             "ranks": [_first(o, s["stage"], s["direction"]) for o in observed]} for s in comm_plan(par, *args)]
    per_rank = []
    for o in observed:
        formula: dict[str, int] = {}
        for s in comm_plan(par, *args, rank=o["rank"]):
            formula[s["stage"]] = formula.get(s["stage"], 0) + s["bytes"]
        per_rank.append({"rank": o["rank"], "measured": measured_bytes(o["comm"]), "formula": formula})
    shares = [share for o in observed if (share := idle_share(o["segments"])) is not None]
    return {"spec": par.as_dict(), "name": par.name(), "plan": plan, "bytes": per_rank,
            "holds": holdings(observed, shapes) if observed else None,
            "calculator": calculator(par, shapes, optimizer),
            "bubble": {"formula": bubble(par.pp, par.micro_batches) if par.pp > 1 else 0.0,
                       "measured": sum(shares) / len(shares) if par.pp > 1 and shares else None,
                       "per_rank": shares if par.pp > 1 else None}}


# where this run's accounting differs from the Scale page's figure (engine/scale/memory.py), said beside it
GAPS = {"zero2": "zero 2: between steps FSDP2 keeps 1/dp of the weights (it gathers them whole from the first forward "
                 "to the end of the backward); the Scale page's ZeRO-2 figure is the step's, whole weights — here the "
                 "calculator's at-rest weights (memory.at_rest) are compared"}


def gpt_shape(shapes: dict[str, tuple]):
    """engine/scale's Shape of engine/transformer's GPT, read off its parameters' shapes (only the counts
    matter here: the heads are taken as one, which no parameter count depends on)."""
    from ..scale.params import Shape  # torch-free

    d = shapes["wte.weight"][1]
    n_layer = len({n.split(".")[1] for n in shapes if n.startswith("blocks.")})
    return Shape(n_layer=n_layer, d_model=d, n_head=1, n_kv_head=1, d_ff=shapes["blocks.0.mlp.fc.weight"][0],
                 vocab=shapes["wte.weight"][0], seq_len=shapes["wpe.weight"][0], mlp="gelu", norm="layernorm",
                 bias="blocks.0.attn.qkv.bias" in shapes, position="learned")


def calculator(par: Parallel, shapes: dict[str, tuple], optimizer: str) -> dict:
    """The Scale page's bytes per rank for this split (fp32 weights and gradients, the optimizer's buffers),
    at rest, per pipeline stage: {params, grads, optimizer} of the first stage's ranks (the page's figure),
    `per_rank` [{rank, params, grads, optimizer}] each rank's, and the gaps to what this run holds, in words."""
    from ..scale.memory import at_rest, held_params, model_states  # torch-free

    shape = gpt_shape(shapes)
    n = sum(_numel(s) for s in shapes.values())

    def states(stage: int) -> dict:
        held = held_params(shape, par.tp, par.pp, stage)
        m = at_rest(model_states(n, "fp32", optimizer, par.dp, par.tp, par.pp, par.zero, held), par.dp, par.zero)
        return {"params": m["weights"], "grads": m["gradients"], "optimizer": m["optimizer"]}

    per_rank = [{"rank": r, **states(par.coords(r)["pp"])} for r in range(par.world)]
    return {**states(0), "per_rank": per_rank, "gaps": [GAPS["zero2"]] if par.zero == 2 else []}


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def timeline(observed: list[dict]) -> list[dict]:
    return [{"rank": o["rank"], "segments": o["segments"]} for o in observed]


def idle_share(segments: list[dict]) -> float | None:
    """The share of a rank's busy span (first to last compute) it spent idle: its pipeline bubble."""
    work = [s for s in segments if s["kind"] == "compute"]
    if not work:
        return None
    t0, t1 = min(s["t0"] for s in work), max(s["t1"] for s in work)
    idle = sum(min(s["t1"], t1) - max(s["t0"], t0) for s in segments if s["kind"] == "idle" and s["t1"] > t0 and s["t0"] < t1)
    return idle / (t1 - t0) if t1 > t0 else None


def block_of(param: str) -> str:
    """The picture's column of a parameter: `blocks.3.attn.qkv.weight` → `block 3`, `wte.weight` → `wte`."""
    parts = param.split(".")
    return f"block {parts[1]}" if parts[0] == "blocks" else parts[0]


def holdings(observed: list[dict], shapes: dict[str, tuple]) -> dict:
    """Who holds what: {blocks: [column names, the model's order], ranks: [{rank, coords, cells: [{params,
    grads, optimizer}]}]}, each a share 0–1 of the whole model's elements of that block this rank keeps at
    rest (its `holds`); optimizer against the one-process state (Adam: m and v, two tensors a parameter),
    None where the optimizer keeps none."""
    blocks: list[str] = []
    full: dict[str, int] = {}
    for name, shape in shapes.items():
        b = block_of(name)
        if b not in full:
            blocks.append(b)
            full[b] = 0
        full[b] += _numel(shape)
    k = max((h.get("optimizer_tensors", 0) for o in observed for h in o["holds"]), default=0)
    ranks = []
    for o in observed:
        got = {b: {"params": 0, "grads": 0, "optimizer": 0} for b in blocks}
        for h in o["holds"]:
            g = got[block_of(h["param"])]
            g["params"] += _numel(h["shape"])
            g["grads"] += h.get("grads", 0)
            g["optimizer"] += h.get("optimizer", 0)
        cells = [{"params": got[b]["params"] / full[b], "grads": got[b]["grads"] / full[b],
                  "optimizer": got[b]["optimizer"] / (k * full[b]) if k else None} for b in blocks]
        ranks.append({"rank": o["rank"], "coords": o["coords"], "cells": cells})
    return {"blocks": blocks, "ranks": ranks}
