"""How a distributed transformer run is split: `parallel: {dp, tp, pp, zero, micro_batches, schedule}`,
the same names as the Scale page's calculator (`POST /api/scale`), checked against the model here.

- dp: data-parallel replicas (each a shard of every global batch);
- tp: tensor-parallel ranks per replica (Megatron: attention heads and the MLP's hidden units split);
- pp: pipeline stages (n_layer/pp blocks each), fed `micro_batches` micro-batches by GPipe or 1F1B;
- zero: 0 plain replicas; 1 optimizer state sharded over dp; 2 and gradients; 3 and parameters.

dp·tp·pp is the number of worker processes. torch-free (the server checks a request with it), and
the communication formulas the measured bytes are compared with live here too.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

SCHEDULES = ("1f1b", "gpipe")


class ParallelError(ValueError):
    """A `parallel` that does not fit the run; `field` names the setting at fault."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"parallel.{field}: {message}")


@dataclass(frozen=True)
class Parallel:
    dp: int = 1
    tp: int = 1
    pp: int = 1
    zero: int = 0
    micro_batches: int = 1
    schedule: str = "1f1b"

    @property
    def world(self) -> int:
        return self.dp * self.tp * self.pp

    def coords(self, rank: int) -> dict[str, int]:
        """Rank → its place on the (dp, pp, tp) mesh: tp innermost, so a tp group is neighbouring ranks
        (on a real cluster, the GPUs of one machine: tp sends the most, most often)."""
        return {"dp": rank // (self.pp * self.tp), "pp": rank // self.tp % self.pp, "tp": rank % self.tp}

    def as_dict(self) -> dict:
        return asdict(self)

    def name(self) -> str:
        parts = [f"{k}{v}" for k, v in (("dp", self.dp), ("tp", self.tp), ("pp", self.pp)) if v > 1]
        if self.zero:
            parts.append(f"zero{self.zero}")
        if self.pp > 1:
            parts.append(f"{self.schedule}×{self.micro_batches}")
        return "·".join(parts) or "one"


def resolve(parallel: dict | None, workers: int | None, *, n_head: int, n_layer: int, batch_size: int) -> Parallel:
    """`parallel` (any fields) and `workers` → the split that runs, or ParallelError naming the field.
    `workers: N` alone means dp = N; dp left out is what workers leaves for it."""
    given = dict(parallel or {})
    unknown = set(given) - set(Parallel.__dataclass_fields__)
    if unknown:
        name = sorted(unknown)[0]
        raise ParallelError(name, f"is not a setting; choose from {', '.join(Parallel.__dataclass_fields__)}")
    for key in ("dp", "tp", "pp", "micro_batches"):
        v = given.get(key, 1)
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 64:
            raise ParallelError(key, f"must be a whole number from 1 to 64, not {v!r}")
    zero = given.get("zero", 0)
    if zero not in (0, 1, 2, 3) or isinstance(zero, bool):
        raise ParallelError("zero", f"must be 0, 1, 2 or 3, not {zero!r}")
    if given.get("schedule", "1f1b") not in SCHEDULES:
        raise ParallelError("schedule", f"must be one of {', '.join(SCHEDULES)}, not {given['schedule']!r}")
    tp, pp = given.get("tp", 1), given.get("pp", 1)
    if "dp" not in given:
        w = workers or 1
        if w % (tp * pp):
            raise ParallelError("dp", f"workers {w} is not a multiple of tp·pp = {tp}·{pp} = {tp * pp}")
        given["dp"] = w // (tp * pp)
    if pp > 1 and "micro_batches" not in given:
        given["micro_batches"] = pp  # the fewest a pipeline's schedules take (1F1B refuses fewer than its stages)
    p = Parallel(**given)
    if workers is not None and p.world != workers:
        raise ParallelError("dp", f"dp·tp·pp = {p.dp}·{p.tp}·{p.pp} = {p.world}, but workers is {workers}")
    if n_head % p.tp:
        raise ParallelError("tp", f"tp {p.tp} must divide n_head {n_head} (each rank takes whole heads)")
    if n_layer % p.pp:
        raise ParallelError("pp", f"pp {p.pp} must divide n_layer {n_layer} (each stage takes whole blocks)")
    if p.zero and p.dp < 2:
        raise ParallelError("zero", f"zero {p.zero} shards over the dp replicas: it needs dp ≥ 2 (dp is {p.dp})")
    if p.zero and p.pp > 1:
        raise ParallelError("zero", "zero with pp is not run here yet: use zero with dp (and tp)")
    if p.zero == 1 and p.tp > 1:
        raise ParallelError("zero", "zero 1 with tp is not run here yet: use zero 2 or 3 with tp (FSDP2 over TP)")
    if p.pp > 1 and p.schedule == "1f1b" and p.micro_batches < p.pp:
        raise ParallelError("micro_batches", f"1F1B needs at least one micro-batch per stage: micro_batches ≥ pp {p.pp} "
                                             f"(or schedule gpipe)")
    if p.micro_batches > 1 and p.pp < 2:
        raise ParallelError("micro_batches", "micro-batches feed a pipeline: set pp ≥ 2 (accum_steps does it for dp)")
    if batch_size % (p.dp * p.micro_batches):
        raise ParallelError("micro_batches", f"batch_size {batch_size} must split into dp {p.dp} shards of "
                                             f"{p.micro_batches} micro-batch(es)")
    return p


# ----- the formulas the measured bytes and idle time are compared with ------------------------------
def allreduce_bytes(nbytes: int, n: int) -> float:
    """Bytes each rank sends in a ring all-reduce of `nbytes`: reduce-scatter then all-gather, 2(N−1)/N ×
    (Patarasuk & Yuan 2009)."""
    return 2 * (n - 1) / n * nbytes


def gather_bytes(nbytes: int, n: int) -> float:
    """All-gather or reduce-scatter of a `nbytes` whole in a ring: each rank sends (N−1)/N of it."""
    return (n - 1) / n * nbytes


def bubble(pp: int, micro_batches: int) -> float:
    """The idle share of a GPipe or 1F1B pipeline step with equal stages: (p−1)/(m+p−1) (GPipe, Huang et
    al. 2019; 1F1B has the same bubble, Narayanan et al. 2021 §2.2, and holds fewer activations)."""
    return (pp - 1) / (micro_batches + pp - 1)


def local_shape(name: str, shape: tuple, tp: int) -> tuple:
    """The part of one parameter a tp rank keeps: qkv's and fc's rows split, the output projections'
    weight columns split, everything else whole (split.py's plan)."""
    if tp > 1 and name.startswith("blocks."):
        if ".qkv." in name or ".fc." in name:
            return (shape[0] // tp, *shape[1:])
        if name.endswith("proj.weight"):
            return (shape[0], shape[1] // tp)
    return tuple(shape)


def _numel(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def comm_plan(par: Parallel, shapes: dict[str, tuple], batch: int, block_size: int, n_embd: int,
              n_layer: int, rank: int = 0, elem: int = 4) -> list[dict]:
    """The communication stages of one step on `rank`, in order: {stage (the op), direction, group, bytes
    (the payload: the reduced or sent buffer, an all-gather's whole output, a reduce-scatter's whole
    input), count, sent (bytes this rank sends by the ring formulas), why}. `shapes`: the whole model's."""
    out = []
    b = batch // par.dp  # rows of this replica
    act = b * block_size * n_embd * elem  # one (b, T, C) activation

    def add(op, direction, group, n, nbytes, count, why):
        sent = {"allreduce": allreduce_bytes, "allgather": gather_bytes, "reducescatter": gather_bytes}
        per = sent[op](nbytes, n) if op in sent else nbytes
        out.append({"stage": op, "direction": direction, "group": group, "group_size": n, "bytes": nbytes * count,
                    "count": count, "sent": per * count, "why": why})

    mine = _stage_params(shapes, par, rank, n_layer)
    blocks, m = n_layer // par.pp, par.micro_batches
    if par.tp > 1:  # per block and micro-batch: two in the forward, two in the backward, of (b/m, T, C)
        add("allreduce", "forward", "tp", par.tp, act // m, 2 * blocks * m,
            "after each row-parallel layer (attention output, MLP output): the partial sums added")
        add("allreduce", "backward", "tp", par.tp, act // m, 2 * blocks * m,
            "before each column-parallel layer (qkv, fc): the input's gradient summed over the heads' ranks")
    if par.pp > 1:
        i = par.coords(rank)["pp"]
        edges = (i > 0) + (i < par.pp - 1)  # neighbours: one at either end, two in the middle
        add("sendrecv", "forward", "pp", 2, act // par.micro_batches, edges * par.micro_batches,
            "activations to the next stage, one per micro-batch" if i < par.pp - 1 else
            "activations from the previous stage, one per micro-batch")
        add("sendrecv", "backward", "pp", 2, act // par.micro_batches, edges * par.micro_batches,
            "gradients back to the previous stage, one per micro-batch")
    if par.dp > 1:
        if par.zero >= 2:
            padded = sum(fsdp_units(mine, par, elem=1).values())
            add("allgather", "forward", "dp", par.dp, padded * elem, 1, "each block's parameters gathered before its forward")
            if par.zero == 3:
                add("allgather", "backward", "dp", par.dp, padded * elem, 1,
                    "gathered again before its backward (zero 3 freed them after the forward)")
            add("reducescatter", "backward", "dp", par.dp, padded * elem, 1,
                "gradients summed and each rank keeps its 1/dp shard")
        else:
            local = sum(_numel(local_shape(n, s, par.tp)) for n, s in mine.items())
            add("allreduce", "backward", "dp", par.dp, local * elem, 1, "the replicas' gradients averaged")
            if par.zero == 1:
                add("broadcast", "update", "dp", par.dp, local * elem, 1,
                    "each rank updates its 1/dp of the parameters and sends them to the others")
    return out


def fsdp_units(shapes: dict[str, tuple], par: Parallel, elem: int = 4) -> dict[str, int]:
    """Bytes FSDP2 gathers for each of its units (split.py: `root` — embeddings, ln_f, lm_head — then
    `block 0`, `block 1`, …): each parameter's (this tp rank's part's) dim 0 padded to a multiple of dp."""
    out: dict[str, int] = {}
    for name, shape in shapes.items():
        local = local_shape(name, shape, par.tp)
        unit = f"block {name.split('.')[1]}" if name.startswith("blocks.") else "root"
        out[unit] = out.get(unit, 0) + -(-local[0] // par.dp) * par.dp * _numel(local[1:]) * elem
    return out


def _stage_params(shapes: dict[str, tuple], par: Parallel, rank: int, n_layer: int) -> dict[str, tuple]:
    if par.pp == 1:
        return shapes
    i, per = par.coords(rank)["pp"], n_layer // par.pp

    def mine(name: str) -> bool:
        if name.startswith("blocks."):
            return i * per <= int(name.split(".")[1]) < (i + 1) * per
        return (i == 0) if name.startswith(("wte", "wpe")) else (i == par.pp - 1)

    return {n: s for n, s in shapes.items() if mine(n)}
