"""How many GPUs a setting needs to fit, and when it does not fit: what blocks it and the smallest
setting that does fit. Memory per GPU is fixed + sharded / dp (ZeRO divides the sharded model states
over the dp copies; activations and unsharded states stay), so the fewest copies are solved for."""
from __future__ import annotations

import math

from . import fmt
from .memory import RECOMPUTE, activations, held_params, per_gpu, states_split
from .params import Shape

MAX_GPUS = 1_000_000  # more than any cluster a run has used; a request beyond it is refused


def min_dp(shape: Shape, n_params: int, training: dict, par: dict, capacity: float, act: float | None = None) -> int | None:
    """The fewest data-parallel copies whose share fits in `capacity` bytes, keeping tp, pp, the ZeRO
    stage and the recomputation; None when none up to MAX_GPUS GPUs does."""
    if act is None:
        act = activations(shape, training["micro_batch"], training["recompute"], training["precision"], par["tp"],
                          par["pp"], par["sp"] and par["tp"] > 1)
    fixed, sharded = states_split(n_params, training["precision"], training["optimizer"], par["tp"], par["pp"],
                                  par["zero"], held_params(shape, par["tp"], par["pp"]))
    room = capacity - fixed - act
    if room < 0 or (room == 0 and sharded > 0):
        return None
    dp = 1 if sharded <= room else math.ceil(sharded / room)
    while dp > 1 and fixed + act + sharded / (dp - 1) <= capacity:  # rounding: the ceiling may be one high
        dp -= 1
    while fixed + act + sharded / dp > capacity:
        dp += 1
    return dp if dp * par["tp"] * par["pp"] <= MAX_GPUS else None


def min_gpus(shape: Shape, n_params: int, training: dict, par: dict, capacity: float) -> int | None:
    dp = min_dp(shape, n_params, training, par, capacity)
    return None if dp is None else dp * par["tp"] * par["pp"]


def _divisors(n: int, limit: int) -> list[int]:
    return [d for d in range(1, min(n, limit) + 1) if n % d == 0]


def smallest_fit(shape: Shape, n_params: int, training: dict, par: dict, capacity: float) -> dict | None:
    """The setting with the fewest GPUs that fits, moving only what costs no accuracy: tp (dividing the
    key/value heads), sequence parallelism beside it, pp (up to the layers), the ZeRO stage and the
    recomputation, never below the ones set. Ties go to the setting that changes the fewest things."""
    levels = list(RECOMPUTE)
    best = None
    for recompute in levels[levels.index(training["recompute"]):]:
        tr = {**training, "recompute": recompute}
        for tp in _divisors(shape.n_kv_head, 64):
            for sp in sorted({bool(par["sp"]), True}) if tp > 1 else [bool(par["sp"])]:
                act = activations(shape, tr["micro_batch"], recompute, tr["precision"], tp, 1, sp and tp > 1)
                if act >= capacity:
                    continue
                pps = sorted({par["pp"], *(p for p in (1, 2, 4, 8, 16, 32, 64, 128) if p <= shape.n_layer)})
                for pp in pps:
                    for zero in range(par["zero"], 4):
                        cand = {**par, "tp": tp, "pp": pp, "zero": zero, "sp": sp}
                        dp = min_dp(shape, n_params, tr, cand, capacity, act)
                        if dp is None:
                            continue
                        cand.update(dp=dp, recompute=recompute)
                        changed = sum(cand[k] != v for k, v in {**par, "recompute": training["recompute"]}.items()
                                      if k != "dp")
                        key = (dp * tp * pp, changed)
                        if best is None or key < best[0]:
                            best = (key, cand)
    if best is None:
        return None
    (n_gpus, _), cand = best
    tr = {**training, "recompute": cand["recompute"]}
    mem = per_gpu(shape, n_params, tr, cand)
    return {**cand, "n_gpus": n_gpus, "memory_total": mem["total"]}


def advice(shape: Shape, n_params: int, training: dict, par: dict, mem: dict, gpu: dict, needed: int | None) -> dict | None:
    """When the setting does not fit: the part of memory that blocks it (the one more GPUs of the same
    setting cannot shrink, when that is what blocks it), and the smallest setting that fits."""
    capacity = gpu["memory_bytes"]
    if mem["total"] <= capacity:
        return None
    fixed, _ = states_split(n_params, training["precision"], training["optimizer"], par["tp"], par["pp"], par["zero"],
                            held_params(shape, par["tp"], par["pp"]))
    B = fmt.nbytes
    if needed is not None:
        blocker = "memory"
        why = (f"{B(mem['total'])} per GPU on {fmt.whole(par['dp'] * par['tp'] * par['pp'])} GPUs; ZeRO-{par['zero']} "
               f"over more data-parallel copies brings it under {B(capacity)} at {fmt.whole(needed)} GPUs")
    elif mem["activations"] >= capacity:
        blocker = "activations"
        why = (f"the activations alone, {B(mem['activations'])} per GPU, exceed the {B(capacity)} of a "
               f"{gpu['name']}: more data-parallel copies do not divide them (more tp with sequence parallelism, "
               "or recomputation, does)")
    else:
        blocker = "activations" if mem["activations"] >= fixed else "states"
        kept = ("weights, gradients and optimizer state ZeRO-" + str(par["zero"]) + " does not shard"
                if par["zero"] < 3 else "nothing of the model states (ZeRO-3 shards them all)")
        why = (f"activations {B(mem['activations'])} + {kept}, {B(fixed)}, leave no room in {B(capacity)} for "
               "the sharded states, however many data-parallel copies")
    fit = smallest_fit(shape, n_params, training, par, capacity)
    block = {"memory": f"more data-parallel copies: {fmt.whole(needed or 0)} GPUs",
             "activations": f"blocked by the activations, {B(mem['activations'])} per GPU",
             "states": "blocked by the model states ZeRO does not shard"}[blocker]
    if fit is None:
        setting = "no tp, pp, ZeRO stage or recomputation fits this model on these GPUs"
    else:
        setting = (f"the smallest setting that fits: tp {fit['tp']}, pp {fit['pp']}, dp {fmt.whole(fit['dp'])}, "
                   f"ZeRO-{fit['zero']}, recompute {fit['recompute']}"
                   + (", sequence parallel" if fit["sp"] and fit["tp"] > 1 else "")
                   + f" = {fmt.whole(fit['n_gpus'])} GPUs at {B(fit['memory_total'])} each")
    return {"blocker": blocker, "fit": fit, "text": f"{why}; {setting}", "summary": f"{block}; {setting}"}
