"""What one rank did in a step, measured: its collectives (op, group size, payload bytes, when), its
compute/comm/idle timeline, and the bytes it holds (parameters, gradients, optimizer state, and the
activations saved for backward at their peak).

Collectives are seen by a TorchDispatchMode: every c10d and functional-collective op goes through the
dispatcher (torch's CommDebugMode counts them the same way), whoever calls it — DDP's hook, DTensor,
FSDP2, the pipeline's send/recv. Times are seconds from the step's start (a barrier before it lines the
ranks up), read from the device's clock (clock.py: perf_counter on the CPU, CUDA events on a GPU).
"""
from __future__ import annotations

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from .clock import clock_for

# op name (the dispatcher's) → the vocabulary of the plan's communication stages
OPS = {"allreduce_": "allreduce", "all_reduce": "allreduce", "allreduce_coalesced_": "allreduce",
       "_allgather_base_": "allgather", "allgather_": "allgather", "allgather_into_tensor_coalesced_": "allgather",
       "all_gather_into_tensor": "allgather", "_reduce_scatter_base_": "reducescatter",
       "reduce_scatter_tensor_coalesced_": "reducescatter", "reduce_scatter_tensor": "reducescatter",
       "reduce_scatter_": "reducescatter", "send": "sendrecv", "recv_": "sendrecv", "broadcast_": "broadcast"}


def _tensors(x) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _tensors(v)]
    return []


def _nbytes(ts) -> int:
    return sum(t.numel() * t.element_size() for t in ts)


class Timeline:
    """Segments {kind, op, micro_batch, t0, t1} of one rank's step, seconds from its start, read from the
    device's clock (clock.py: perf_counter on the CPU, CUDA events on a GPU)."""

    def __init__(self, device="cpu"):
        self.clock = clock_for(device)
        self.segments: list[dict] = []
        self.end = None  # when the step ended (its optimizer step done)

    def now(self):
        """A mark: seconds (CPU), or a CUDA event that `resolve` turns into seconds after the step."""
        return self.clock.now()

    def add(self, kind: str, t0, t1, op: str | None = None, micro_batch: int | None = None) -> None:
        self.segments.append({"kind": kind, "op": op, "micro_batch": micro_batch, "t0": t0, "t1": t1})

    def resolve(self, calls: list[dict] = ()) -> None:
        """Every mark of the segments, the end and `calls` (the CommMeter's) in seconds, once the step is done."""
        sec = self.clock.seconds
        for x in [*self.segments, *calls]:
            x["t0"], x["t1"] = sec(x["t0"]), sec(x["t1"])
        self.end = None if self.end is None else sec(self.end)

    def filled(self, calls: list[dict] = ()) -> list[dict]:
        """The comm and idle segments as measured (a later one clipped to start where the earlier ended), and
        compute everywhere else up to the step's end, labelled with the pipeline chunk (forward or backward
        of a micro-batch) it falls in. `calls`: the CommMeter's collectives, each a comm segment (without
        them a step that is not a pipeline's had no segment at all: only the pipeline's chunks and waits
        are timed by `timed`)."""
        self.resolve(calls)
        comm = [{"kind": "comm", "op": c["op"], "micro_batch": None, "t0": c["t0"], "t1": c["t1"]} for c in calls]
        marked, t = [], 0.0
        for s in sorted([*comm, *(s for s in self.segments if s["kind"] != "compute")], key=lambda s: s["t0"]):
            if s["t1"] > t:
                marked.append({**s, "t0": max(s["t0"], t)})
                t = s["t1"]
        chunks = [s for s in self.segments if s["kind"] == "compute"]
        end = max([t, self.end or 0.0, *(c["t1"] for c in chunks)])
        cuts = sorted({0.0, end, *(x for s in marked + chunks for x in (s["t0"], s["t1"]))})
        out = list(marked)
        for a, b in zip(cuts, cuts[1:]):
            mid = (a + b) / 2
            if b <= a or any(m["t0"] <= mid <= m["t1"] for m in marked):
                continue
            c = next((c for c in chunks if c["t0"] <= mid <= c["t1"]), None)
            label = (c and c["op"], c and c["micro_batch"])
            last = out[-1] if out and out[-1]["kind"] == "compute" else None
            if last and (last["op"], last["micro_batch"]) == label and last["t1"] == a:
                last["t1"] = b
            else:
                out.append({"kind": "compute", "op": label[0], "micro_batch": label[1], "t0": a, "t1": b})
        return sorted(out, key=lambda s: s["t0"])


SLICE = 6  # entries of a collective's piece and result kept for the plan's stage values


class CommMeter(TorchDispatchMode):
    """Records every collective this rank calls: {op, group (its size), mesh (its dimension's name), bytes,
    t0, t1, direction, shape, before, after} (t from the timeline's start). `before`: the first entries of this rank's piece as it went in
    (for an all-gather its own shard; a reduce-scatter, an all-reduce, a send: the buffer); `after`: the
    first entries of the result, where it can be read — a functional collective's at its `wait_tensor`
    (also where its time ends) or at the step's end, an in-place c10d all-reduce's buffer at the step's
    end (`settle`); None
    elsewhere (FSDP frees its gathered buffers, a pipeline reuses its receive buffers), never a guess.
    `direction`: backward inside autograd's backward, else `phase` (the caller's: forward, backward
    for a gradient sync after it, update; a pipeline's last chunk)."""

    def __init__(self, timeline: Timeline, groups: dict[str, str] | None = None):
        """`groups`: a process group's name → the mesh dimension it is ("dp", "tp", "pp"), for each call's `mesh`."""
        super().__init__()
        self.timeline, self.calls, self.groups = timeline, [], groups or {}
        # a step shown stage by stage: an all-gather's or reduce-scatter's result is waited for and read at
        # once (FSDP frees its buffers before the step ends); the overlap with compute is lost in that step
        self.eager = False
        self.phase = "forward"
        self._open: dict[int, dict] = {}
        self._later: list[tuple[dict, torch.Tensor]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func._overloadpacket.__name__
        ns = func.namespace
        if name == "wait_tensor":
            t = args[0]
            out = func(*args, **kwargs)
            call = self._open.pop(_key(t), None)
            if call is not None:
                call["t1"] = self.timeline.now()
                call["after"] = _head(out)
            return out
        op = OPS.get(name) if ns in ("c10d", "_c10d_functional") else None
        if op is None:
            return func(*args, **kwargs)
        piece = _piece(op, ns, args)
        before = _head(piece[0]) if piece and name != "recv_" else None  # a receive buffer holds nothing yet
        backward = torch._C._current_graph_task_id() != -1
        t0 = self.timeline.now()
        out = func(*args, **kwargs)
        payload = _nbytes(_payload(op, ns, args, out))
        pg = _group(args)
        call = {"op": op, "group": pg.size() if pg else None, "mesh": self.groups.get(pg.group_name) if pg else None,
                "bytes": payload, "t0": t0, "t1": self.timeline.now(),
                "direction": "backward" if backward else self.phase,
                "shape": list(piece[0].shape) if piece else None, "before": before, "after": None}
        if op == "sendrecv":  # which way: "send" or "recv", and the peer's rank in the group
            call["p2p"], call["peer"] = ("send" if name == "send" else "recv"), next(
                (a for a in args[1:] if isinstance(a, int) and not isinstance(a, bool)), None)
        self.calls.append(call)
        if ns == "_c10d_functional" and isinstance(out, torch.Tensor):
            self._open[_key(out)] = call
            self._later.append((call, out))  # a wait this mode does not see (DTensor's forward): read at the end
        elif op in ("allreduce", "broadcast") and piece:  # in place: the buffer holds the result once done
            self._later.append((call, piece[0]))
        elif self.eager and ns == "c10d" and op in ("allgather", "reducescatter"):
            call["after"] = _settled(out, args)
        return out

    def settle(self) -> None:
        """At the step's end every collective has completed: read the results not read at their wait."""
        for call, t in self._later:
            if call["after"] is None:
                call["after"] = _head(t)
        self._later, self._open = [], {}


def _settled(out, args) -> list[float] | None:
    """A c10d all-gather's or reduce-scatter's output (its first argument), once its work is done."""
    import torch.distributed as dist

    works = [w for w in _flat(out) if isinstance(w, torch.ScriptObject)]
    for w in works:
        try:
            dist.distributed_c10d.Work.unbox(w).wait()
        except (RuntimeError, AttributeError):
            return None
    outs = _tensors(args[0]) if args else []
    return _head(outs[0]) if outs else None


def _flat(x) -> list:
    return [v for y in x for v in _flat(y)] if isinstance(x, (list, tuple)) else [x]


def _key(t: torch.Tensor) -> int:
    """A collective's output, whichever Python object wraps it when it is waited for: its storage."""
    return t.untyped_storage().data_ptr()


def _head(t) -> list[float] | None:
    if not isinstance(t, torch.Tensor) or not t.numel() or not t.untyped_storage().nbytes():
        return None
    return local(t).detach().reshape(-1)[:SLICE].float().tolist()


def _piece(op: str, ns: str, args) -> list[torch.Tensor]:
    """This rank's own tensor going in: an all-gather's input shard, else the payload's input."""
    if op == "allgather" and ns == "c10d":
        return _tensors(args[1]) if len(args) > 1 else []
    if op == "reducescatter" and ns == "c10d":
        return _tensors(args[1])
    return _tensors(args[0]) if args else []


def _payload(op: str, ns: str, args, out) -> list[torch.Tensor]:
    """The tensor(s) a collective moves, whole: the reduced or sent buffer; an all-gather's output; a
    reduce-scatter's input. c10d ops take (outputs, inputs, …) for both; functional ones (input, …)."""
    if op == "allgather":
        return _tensors(out)[:1] if ns == "_c10d_functional" else _tensors(args[0])
    if op == "reducescatter" and ns == "c10d":
        return _tensors(args[1])
    return _tensors(args[0]) if args else []


def _group(args):
    """The process group a collective ran in (a functional collective names it by string), or None."""
    import torch.distributed as dist

    for a in args:
        if isinstance(a, dist.ProcessGroup):
            return a
        if isinstance(a, torch.ScriptObject):  # a c10d op's process group, boxed (its reduce op is one too)
            try:
                return dist.ProcessGroup.unbox(a)
            except RuntimeError:
                continue
        if isinstance(a, str):
            try:
                from torch.distributed.distributed_c10d import _resolve_process_group

                return _resolve_process_group(a)
            except (RuntimeError, ValueError, KeyError):  # not a group's name (a reduce op's: "sum")
                continue
    return None


def timed(timeline: Timeline, kind: str, op: str, fn, micro_batch=None, before=None):
    """`fn` wrapped so each call becomes a segment of `kind` (the pipeline's chunk calls, its p2p waits);
    `before()` runs first (the chunk tells the meter its direction)."""

    def wrapper(*a, **k):
        if before:
            before()
        t0 = timeline.now()
        try:
            return fn(*a, **k)
        finally:
            mb = micro_batch(a, k) if callable(micro_batch) else micro_batch
            timeline.add(kind, t0, timeline.now(), op, mb)

    return wrapper


# ----- what a rank holds ------------------------------------------------------------------------------
def local(t: torch.Tensor) -> torch.Tensor:
    from torch.distributed.tensor import DTensor

    return t.to_local() if isinstance(t, DTensor) else t


def storage_bytes(tensors) -> int:
    """Bytes of the distinct storages behind `tensors` (a view is not counted twice)."""
    seen = {}
    for t in tensors:
        if t is None:
            continue
        s = local(t).untyped_storage()
        seen[s.data_ptr()] = s.nbytes()
    return sum(seen.values())


def optimizer_tensors(optimizer) -> list[torch.Tensor]:
    opt = getattr(optimizer, "optim", optimizer)  # ZeroRedundancyOptimizer keeps this rank's part in .optim
    return [v for st in opt.state.values() for v in st.values() if isinstance(v, torch.Tensor) and v.dim() > 0]


class SavedPeak:
    """Bytes saved for backward that are alive at once, at their peak: counted when saved (once per
    storage), released when autograd lets the saved tensor go (a weakref's callback)."""

    def __init__(self, params):
        self.params = {local(p).untyped_storage().data_ptr() for p in params}
        self.alive: dict[int, list] = {}  # storage ptr → [bytes, live references]
        self.now = self.peak = 0

    def pack(self, t: torch.Tensor):
        s = local(t).untyped_storage()  # a DTensor saved whole: its local shard is what this rank keeps
        ptr = s.data_ptr()
        if ptr in self.params or not s.nbytes():
            return t
        entry = self.alive.get(ptr)
        if entry is None:
            entry = self.alive[ptr] = [s.nbytes(), 0]
            self.now += entry[0]
            self.peak = max(self.peak, self.now)
        entry[1] += 1
        return _Held(t, self, ptr)

    def release(self, ptr: int) -> None:
        entry = self.alive.get(ptr)
        if entry is not None:
            entry[1] -= 1
            if entry[1] == 0:
                self.now -= entry[0]
                del self.alive[ptr]

    def hooks(self):
        return torch.autograd.graph.saved_tensors_hooks(self.pack, lambda h: h.t if isinstance(h, _Held) else h)


class _Held:
    """A saved tensor autograd holds; when autograd drops it (after its backward), the bytes are released."""

    def __init__(self, t, meter: SavedPeak, ptr: int):
        self.t = t
        weakref.finalize(self, meter.release, ptr)


class Observed:
    """One step observed on one rank: `with Observed(params) as o: step()`, then `o.view(...)`."""

    def __init__(self, params):
        self.device = next((p.device for p in params), "cpu")
        self.timeline = Timeline(self.device)
        self.comm = CommMeter(self.timeline)
        self.peak = SavedPeak(params)
        self._hooks = self.peak.hooks()

    def __enter__(self) -> "Observed":
        self.timeline.clock = clock_for(self.device)  # the step starts now
        self.comm.__enter__()
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.timeline.end = self.timeline.now()
        self._hooks.__exit__(*exc)
        self.comm.__exit__(*exc)
        self.comm.settle()


def rank_state(rank: int, coords: dict, names, params, full_shapes: dict, optimizer, calls: list[dict],
               segments: list[dict], activations: int) -> dict:
    """What observe.py serves for one rank: coords, holds, memory, its collectives and timeline."""
    state = getattr(optimizer, "optim", optimizer).state  # ZeroRedundancyOptimizer: this rank's part only

    def held(p) -> dict:
        """Elements of this parameter's gradient and optimizer state on this rank (0: held elsewhere)."""
        opt = [v for v in state.get(p, {}).values() if isinstance(v, torch.Tensor) and v.dim() > 0]
        return {"grads": local(p.grad).numel() if p.grad is not None else 0,
                "optimizer": sum(local(v).numel() for v in opt), "optimizer_tensors": len(opt)}

    holds = [{"param": n, "shape": list(local(p).shape), "full_shape": list(full_shapes[n]), **held(p)}
             for n, p in zip(names, params)]
    memory = {"params": storage_bytes(params), "grads": storage_bytes(p.grad for p in params),
              "optimizer": storage_bytes(optimizer_tensors(optimizer)), "activations": activations}
    return {"rank": rank, "coords": coords, "holds": holds, "memory": memory, "comm": calls, "segments": segments}
