"""ParallelRun: one rank of a transformer run split by `parallel` (parallel.py) — data, tensor, pipeline
and sharded (ZeRO/FSDP) parallelism and their mixtures — taking the same steps as `workers: 1`.

Every rank builds the whole seeded GPT (the one-process run's exact starting point, engine/transformer),
then keeps its part (split.py). Every rank draws the same global batch and keeps its dp shard, so the
step's gradient is the whole batch's mean and the losses equal the one-process run's (tests).

Process groups come from one `init_device_mesh("cpu", (dp, pp, tp))`. Where PyTorch has no piece for
the job here it is explicit and small: the gradient all-reduce over dp beside tp or pp (DDP does not
take DTensor parameters, nor a pipeline stage), and the global gradient norm for clipping across
stages and shards (torch's clip_grad_norm_ sees one module).
"""
from __future__ import annotations

import math
import time
import warnings
from collections import UserDict

import torch
import torch.distributed as dist
import torch.nn.functional as F

from ..transformer.run import TransformerRun
from . import meter, split
from .parallel import Parallel


class ParallelRun:
    def __init__(self, config: dict, par: Parallel, rank: int, options: dict | None = None):
        from torch.distributed.device_mesh import init_device_mesh

        options = options or {}
        self.run = TransformerRun({**config, "device": "cpu", "threads": options.get("threads", 1)})
        self.par, self.rank, self.coords = par, rank, par.coords(rank)
        # dropout: one stream per replica (its shard differs), shared by the replica's tp ranks, whose
        # replicated activations must drop the same units
        torch.manual_seed(self.run.config.seed * 1000 + 17 + self.coords["dp"])
        self.device = torch.device("cpu")  # gloo; the timeline's clock follows it (clock.py)
        self.mesh = init_device_mesh(self.device.type, (par.dp, par.pp, par.tp), mesh_dim_names=("dp", "pp", "tp"))
        self.dp_group, self.pp_group, self.tp_group = (self.mesh[d].get_group() for d in ("dp", "pp", "tp"))
        self.group_names = {self.mesh[d].get_group().group_name: d for d in ("dp", "pp", "tp")}
        gpt = self.run.model
        self.full_shapes = {n: tuple(p.shape) for n, p in gpt.named_parameters()}
        names = {id(p): n for n, p in gpt.named_parameters()}
        self.schedule = self.stage = None
        self.first = self.last = True
        if par.tp > 1:
            split.tensor_parallel(gpt, self.mesh["tp"])
            names = {id(p): n for n, p in gpt.named_parameters()}
        if par.pp > 1:
            i = self.coords["pp"]
            module = split.pipeline_stage(gpt, i, par.pp)
            self.first, self.last = i == 0, i == par.pp - 1
            names = split.stage_names(gpt, module)
            rows = self.run.config.batch_size // (par.dp * par.micro_batches)  # windows per micro-batch
            self.stage, self.schedule = split.pipeline_schedule(module, i, par.pp, self.pp_group, par.micro_batches,
                                                                par.schedule, self._loss, rows, gpt.cfg)
        elif par.zero >= 2:
            split.fully_shard_gpt(gpt, self.mesh["dp"], par.zero)
            names = {id(p): n for n, p in gpt.named_parameters()}
            module = gpt
        else:
            module = gpt
        self.module = module
        self.forward = module
        if par.pp == 1 and par.tp == 1 and par.zero < 2 and par.dp > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            with warnings.catch_warnings():  # torch 2.13 renames the flag; the old one still means "never sync"
                warnings.simplefilter("ignore", FutureWarning)
                self.forward = DDP(gpt, process_group=self.dp_group, broadcast_buffers=False)
        self.params = list(module.parameters())
        self.names = [names[id(p)] for p in self.params]
        self.optimizer = self._make_optimizer()
        self.steps = 0
        self.timeline: meter.Timeline | None = None
        self.calls: list[dict] = []
        self.saved_peak = 0
        self._pending: dict | None = None  # a step begun and not yet applied

    # ----- optimizer ------------------------------------------------------------------------------
    def _make_optimizer(self):
        cfg = self.run.config
        if cfg.optimizer == "sgd":
            cls, kw, decay = torch.optim.SGD, {"lr": cfg.lr}, 0.0
        else:
            cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
            kw, decay = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2)}, cfg.weight_decay if cfg.optimizer == "adamw" else 0.0
        groups = [{"params": [p for p in self.params if p.dim() >= 2], "weight_decay": decay},
                  {"params": [p for p in self.params if p.dim() < 2], "weight_decay": 0.0}]
        if self.par.zero == 1:  # each dp rank keeps the optimizer state of 1/dp of the parameters
            from torch.distributed.optim import ZeroRedundancyOptimizer

            zero = ZeroRedundancyOptimizer(groups[0]["params"], optimizer_class=cls, process_group=self.dp_group,
                                           **{**kw, "weight_decay": decay} if cfg.optimizer != "sgd" else kw)
            zero.add_param_group(groups[1])
            return zero
        return cls(groups, **kw)

    # ----- a step ---------------------------------------------------------------------------------
    @staticmethod
    def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1))

    def _batch(self):
        x, y = self.run._batch()  # (B, T): the same global batch on every rank
        b, i = x.size(0) // self.par.dp, self.coords["dp"]
        return x[i * b:(i + 1) * b], y[i * b:(i + 1) * b]  # (B/dp, T)

    def step(self, observe: bool = False) -> dict:
        """One training step; with `observe`, the collectives, the timeline and the memory are measured."""
        self.begin(observe)
        return self.apply()

    def begin(self, observe: bool = False, record: bool = False) -> dict:
        """The step's first half: forward, backward, the gradients synchronized, the global ‖g‖ — no update
        yet (`apply`). With `record`, the forward takes the inspect path and rank 0's StepRecord is captured
        (engine/transformer/record.py: every rank joins its gathers) for the stage-by-stage story."""
        lr = self.run.lr_at()
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        x, y = self._batch()
        self.module.train()
        self.optimizer.zero_grad(set_to_none=True)
        if observe:
            dist.barrier()  # the ranks start the step together: their timelines share an origin
        tl = meter.Timeline(self.device)
        comm = meter.CommMeter(tl, self.group_names) if observe else None
        peak = meter.SavedPeak(self.params) if observe else None
        if comm:
            comm.eager = record
        t0 = time.perf_counter()
        inspect: dict | None = _Kept() if record else None
        with comm or _null(), peak.hooks() if peak else _null(), self._chunks_timed(tl, comm):
            loss = self._forward_backward(x, y, inspect)
            _phase(comm, "backward")  # a gradient sync after autograd's backward is still the backward's
            if self.par.dp > 1 and self.par.zero < 2 and (self.par.tp > 1 or self.par.pp > 1):
                self._allreduce_dp()
            _phase(comm, "update")
            norm = self._global_norm()
        if comm:
            comm.settle()  # the forward and backward's collectives are done: their results read now
        mine = torch.tensor([loss if self._holds_loss() else 0.0, 1.0 if self._holds_loss() else 0.0],
                            dtype=torch.float64)
        dist.all_reduce(mine)  # the global loss: the mean of the dp shards' losses, from whoever has one
        rec = None
        if inspect is not None:
            from ..transformer.record import StepRecord, capture

            cap = capture(self.module, inspect, x, y, self.run.tok.display())  # a pipeline's: this stage's part
            cap.setdefault("n_params", sum(math.prod(s) for s in self.full_shapes.values()))  # the whole model's
            rec = StepRecord(self.steps, self.run.phase, loss, tuple(x.shape), norm, cap)
            if self.schedule is not None:  # a pipeline stage: micro-batch 0 as it came in, its gradient as it came back
                out_grad = inspect["x_final"].grad
                rec.extra = {"received": inspect.get("received"),
                             "received_grad": None if self.last or out_grad is None
                             else out_grad.detach().reshape(-1)[:6].tolist()}
        self._pending = {"lr": lr, "tl": tl, "comm": comm, "peak": peak, "t0": t0, "norm": norm,
                         "loss": float(mine[0] / mine[1]), "paused": time.perf_counter(), "seconds": time.perf_counter() - t0}
        return {"loss": self._pending["loss"], "local_loss": loss, "grad_norm": norm, "lr": lr, "record": rec,
                "calls": comm.calls if comm else []}

    def apply(self) -> dict:
        """The step's second half: clip by the global ‖g‖, the optimizer's step. The time between the halves
        (a person reading the stages) is left out of the timeline and the step's seconds."""
        p, self._pending = self._pending, None
        tl, comm = p["tl"], p["comm"]
        tl.clock.skip(time.perf_counter() - p["paused"])  # the pause between the halves left out
        t0 = time.perf_counter()
        name, index = self.run.tracked
        held = dict(zip(self.names, self.params)).get(name)  # rank 0 holds the tracked weight's first rows
        before = self._state_of(held, index) if held is not None else None
        with comm or _null():
            _phase(comm, "update")
            self._clip(self.run.config.grad_clip, p["norm"])
            clipped_grad = float(meter.local(held.grad)[index]) if held is not None and held.grad is not None else None
            self.optimizer.step()
        tl.end = tl.now()
        if comm:
            comm.settle()
        seconds = p["seconds"] + time.perf_counter() - t0
        self.steps += 1
        self.run.steps = self.steps
        if comm:  # the observed step's collectives and timeline are kept together, until the next observed one
            self.calls, self.saved_peak, self.timeline = comm.calls, p["peak"].peak, tl
        clip = self.run.config.grad_clip
        out = {"loss": p["loss"], "grad_norm": p["norm"], "lr": p["lr"], "seconds": seconds, "step": self.steps}
        if before is not None:
            cfg = self.run.config
            opt = self.optimizer.param_groups[0]
            out["update"] = {"param": name, "index": list(index), "before": before, "after": self._state_of(held, index),
                             "grad_clipped": clipped_grad, "grad_norm": p["norm"], "max_norm": clip,
                             "clipped": clip > 0 and p["norm"] > clip, "optimizer": cfg.optimizer,
                             "betas": [cfg.beta1, cfg.beta2], "eps": 1e-8, "weight_decay": opt.get("weight_decay", 0.0),
                             "ratios": {}, "lr": p["lr"]}
        return out

    def _state_of(self, p, index: tuple) -> dict:
        """One entry of this rank's part of a weight (rank 0's part starts at the whole's first row), its
        gradient and optimizer moments, as engine/transformer/run.py's `_state_of` gives them."""
        w, g = meter.local(p).detach(), p.grad
        state = getattr(self.optimizer, "optim", self.optimizer).state.get(p, {})
        out = {"value": float(w[index]), "grad": float(meter.local(g)[index]) if g is not None else None,
               "step": int(state["step"]) if "step" in state else 0}
        for key in ("exp_avg", "exp_avg_sq", "momentum_buffer"):
            if state.get(key) is not None:
                out[key] = float(meter.local(state[key])[index])
        if "exp_avg_sq" in out:
            out["sqrt_v"] = out["exp_avg_sq"] ** 0.5
        return out

    def _holds_loss(self) -> bool:
        return self.last and self.coords["tp"] == 0

    def _forward_backward(self, x, y, inspect: dict | None = None) -> float:
        """`inspect`: a dict to keep the forward's intermediates in (not for a pipeline), their gradients kept."""
        if self.schedule is None:
            if inspect is None:
                _, loss = self.forward(x, y)
            else:
                _, loss = self.forward(x, y, record=inspect)
                for t in [s["x"] for s in inspect["sublayers"]] + [inspect["x_final"], inspect["logits"]]:
                    t.retain_grad()  # ∂L/∂ of the residual stream and the logits, for the gradient stages
            loss.backward()
            return loss.item()
        losses: list[torch.Tensor] = []
        st, keep = self.stage, self.stage.forward_one_chunk

        def first_chunk(*a, **k):  # micro-batch 0 of this stage's blocks on the inspect path (not the schedule's
            if inspect is not None and (a[0] if a else k.get("fwd_chunk_id")) == 0:  # first-step shape inference)
                st.submod.recording = inspect
            return keep(*a, **k)

        st.forward_one_chunk = first_chunk
        try:
            if self.first:
                self.schedule.step(x)
            elif self.last:
                self.schedule.step(target=y, losses=losses)
            else:
                self.schedule.step()
        finally:
            st.forward_one_chunk = keep
        return float(torch.stack(losses).detach().mean()) if self.last else 0.0

    def _allreduce_dp(self) -> None:
        """The replicas' gradients averaged: one flat all-reduce over the dp group (what DDP does in buckets)."""
        grads = [meter.local(p.grad) for p in self.params if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat, group=self.dp_group)
        flat /= self.par.dp
        torch._foreach_copy_(grads, [f.view_as(g) for f, g in zip(flat.split([g.numel() for g in grads]), grads)])

    def _global_norm(self) -> float:
        """‖g‖ of the whole model: shards summed over their group, stages over the pipeline."""
        from torch.distributed.tensor import DTensor

        sums: dict[tuple, torch.Tensor] = {}  # by the mesh dims a gradient is sharded over: () = held whole
        for p in self.params:
            if p.grad is None:
                continue
            g = p.grad
            dims = ()
            if isinstance(g, DTensor):
                names = g.device_mesh.mesh_dim_names or ()
                # sharded over a dim unless replicated there (FSDP2 over TP shards with _StridedShard, which
                # is_shard() does not count)
                dims = tuple(sorted(names[i] for i, pl in enumerate(g.placements) if not pl.is_replicate()))
            sums[dims] = sums.get(dims, torch.zeros((), dtype=torch.float32)) + meter.local(g).float().pow(2).sum()
        total = torch.zeros((), dtype=torch.float32)
        for dims in sorted(sums):  # the same order on every rank of a group: collectives must pair up
            for d in dims:
                dist.all_reduce(sums[dims], group=self.mesh[d].get_group())
            total += sums[dims]
        if self.par.pp > 1:
            dist.all_reduce(total, group=self.pp_group)
        return float(total.sqrt())

    def _clip(self, max_norm: float, norm: float) -> None:
        """The scale torch's clip_grad_norm_ applies, max_norm/(‖g‖ + 1e-6) capped at 1."""
        if max_norm > 0:  # on the local tensors: a DTensor gradient times a plain scalar tensor is refused
            grads = [meter.local(p.grad) for p in self.params if p.grad is not None]
            torch._foreach_mul_(grads, torch.clamp(max_norm / (torch.tensor(norm) + 1e-6), max=1.0))

    def _chunks_timed(self, tl: meter.Timeline, comm: meter.CommMeter | None):
        """A pipeline stage's forward/backward of each micro-batch as compute segments, its waits for the
        neighbour's activations or gradients as idle (the bubble), for the step's timeline."""
        import contextlib

        if self.stage is None:
            return _null()
        from torch.distributed.pipelining import schedules

        @contextlib.contextmanager
        def patched():
            st, wait = self.stage, schedules._wait_batch_p2p
            keep = st.forward_one_chunk, st.backward_one_chunk
            st.forward_one_chunk = meter.timed(tl, "compute", "forward", keep[0], lambda a, k: a[0] if a else k.get("fwd_chunk_id"),
                                               lambda: _phase(comm, "forward"))
            st.backward_one_chunk = meter.timed(tl, "compute", "backward", keep[1],
                                                lambda a, k: a[0] if a else k.get("bwd_chunk_id"),
                                                lambda: _phase(comm, "backward"))
            schedules._wait_batch_p2p = meter.timed(tl, "idle", "wait", wait)
            try:
                yield
            finally:
                del st.forward_one_chunk, st.backward_one_chunk
                schedules._wait_batch_p2p = wait

        return patched()

    # ----- what this rank holds -------------------------------------------------------------------
    def observed(self) -> dict:
        """coords, holds ([{param, shape, full_shape}] at rest), memory (bytes of parameters, gradients and
        optimizer state at rest, saved activations at their peak in the last observed step), collectives, timeline."""
        return meter.rank_state(self.rank, self.coords, self.names, self.params, self.full_shapes, self.optimizer,
                                self.calls, self.timeline.filled(self.calls) if self.timeline else [], self.saved_peak)

    def full_state(self) -> dict[str, torch.Tensor]:
        """The one-process weights (a collective over tp or dp; a pipeline stage gives its own blocks)."""
        return split.full_state(self.module, self.par.tp)


class _Kept(UserDict):
    """The inspect path's record: a mapping FSDP2's hooks pass on as it is (a dict argument holding tensors
    that need gradients is rebuilt on its way into a sharded module, and the intermediates were lost)."""


def _phase(comm, phase: str) -> None:
    if comm is not None:
        comm.phase = phase


def _null():
    import contextlib

    return contextlib.nullcontext()

