"""A worker of a split run (tensor, pipeline or sharded parallelism): a ParallelRun answering the same
commands over the same pipe as worker.py's data-parallel ShardedRun, so the controller and the trainer
drive both alike.

`steps` (the last of each call observed: collectives, timeline, memory); a step stage by stage: `begin`
(forward on the inspect path, backward, observed: each rank's collectives, rank 0's record) then `apply`;
`observe`,
`evaluate` (every rank; not for pipelines), `export` (the run as one process holds it, on rank 0: the
room's save), `live`, `ping`; checkpoints every `checkpoint_every` steps (each stage's state gathered
whole; not with zero 1). Not yet (the trainer refuses them first): the page's looks.
"""
from __future__ import annotations

import hashlib
import json
import math
import os

import torch
import torch.distributed as dist

from . import split
from .meter import local
from .parallel import Parallel
from .parallel_run import ParallelRun


class SplitRun:
    def __init__(self, config: dict, par: Parallel, rank: int, options: dict):
        self.p = ParallelRun(config, par, rank, options)
        self.rank, self.par, self.options = rank, par, options
        self.tokens_per_s: float | None = None
        self.checkpoint_step = 0

    @property
    def steps(self) -> int:
        return self.p.steps

    # ----- checkpoints: each pipeline stage's whole (gathered) state, written by its first rank ------------
    def _path(self) -> str:
        return os.path.join(self.options["dir"], f"split-stage{self.p.coords['pp']}.pt")

    def _checkpoint(self) -> None:
        """Every checkpoint_every steps: the stage's model and optimizer state gathered whole
        (torch.distributed.checkpoint's full state dicts: collectives over the stage's tp and dp ranks),
        the batch order, the step; its first rank writes it, rank 0 the step beside it for the parent."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

        every = self.options.get("checkpoint_every", 0)
        if self.par.zero == 1:  # ZeroRedundancyOptimizer has no full state dict here: not checkpointed yet
            return
        if not every or self.p.steps % every or self.p.steps == self.checkpoint_step:
            return
        self.checkpoint_step = self.p.steps
        model, optim = get_state_dict(self.p.module, self.p.optimizer,
                                      options=StateDictOptions(full_state_dict=True))  # (cpu_offload would give rank 0 alone the state)
        dist.barrier()
        if self.p.coords["dp"] == 0 and self.p.coords["tp"] == 0:
            state = {"model": model, "optimizer": optim, "batch_gen": self.p.run.batch_gen.get_state(),
                     "steps": self.p.steps, "parallel": self.par.as_dict()}
            torch.save(state, self._path() + ".tmp")
            os.replace(self._path() + ".tmp", self._path())
        dist.barrier()  # every stage's file is whole before rank 0 names the step
        if self.rank == 0:
            with open(os.path.join(self.options["dir"], "checkpoint.pt.json"), "w") as f:
                json.dump({"step": self.p.steps}, f)

    def resume(self) -> dict:
        """A restart loads the last checkpoint (each rank its stage's file, resharded to its part)."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

        if self.options.get("resume") and os.path.exists(self._path()):
            state = torch.load(self._path(), weights_only=False)
            set_state_dict(self.p.module, self.p.optimizer, model_state_dict=state["model"],
                           optim_state_dict=state["optimizer"], options=StateDictOptions(full_state_dict=True))
            self.p.run.batch_gen.set_state(state["batch_gen"])
            self.p.steps = self.p.run.steps = self.checkpoint_step = state["steps"]
        # none yet: a fresh start is step 0 exactly (the seeded model). No step-0 file: a full optimizer state
        # dict of an empty optimizer is made by a step with zero gradients, which counts in Adam's t
        return {"step": self.p.steps, "checksum": self.checksum(), "checkpoint": self.checkpoint_step}

    def handle(self, msg: dict) -> dict:
        op = msg["op"]
        if op == "steps":
            return self._steps(msg["count"])
        if op == "begin":
            got = self.p.begin(observe=True, record=True)
            return {"rank": self.rank, "loss": got["loss"], "local_loss": got["local_loss"], "grad_norm": got["grad_norm"],
                    "calls": got["calls"], "coords": self.p.coords,
                    # rank 0's record; a pipeline's: each stage's part, from its first rank
                    "record": got["record"] if self.rank == 0 or (self.par.pp > 1 and self.p.coords["dp"] == 0
                                                                  and self.p.coords["tp"] == 0) else None}
        if op == "apply":
            st = self.p.apply()
            self._checkpoint()
            return {**self._after(st), "update": st.get("update") if self.rank == 0 else None, "lr": st["lr"],
                    "loss": st["loss"], "grad_norm": st["grad_norm"], "seconds": st["seconds"],
                    "observed": self.p.observed()}
        if op == "observe":
            return {"observed": self.p.observed()}
        if op == "export":  # every rank joins the gathers; rank 0 answers the one-process RunExport
            return {"export": self._export()}
        if op == "evaluate":
            return {"eval": self._evaluate()}
        if op == "live":
            run = self.p.run
            run.config = run.config.replace(**msg["changes"])
            if "lr" in msg["changes"]:
                run.set_live(lr=msg["changes"]["lr"])
            return {}
        if op == "ping":
            t = torch.ones(1)
            dist.all_reduce(t)
            return {"sum": float(t)}
        raise ValueError(f"'{op}' is not available for a {self.par.name()} run yet: train it in whole steps")

    def _steps(self, count: int) -> dict:
        out = []
        for i in range(count):
            out.append(self.p.step(observe=i == count - 1))
            self._checkpoint()
        seconds = sum(s["seconds"] for s in out)
        tokens = self.p.run.config.batch_size * self.p.run.config.block_size * count // self.par.world
        rate = tokens / seconds if seconds else None
        self.tokens_per_s = rate
        clip = self.p.run.config.grad_clip
        comm = sum(c["t1"] - c["t0"] for c in self.p.calls)
        return {"losses": [s["loss"] for s in out], "grad_norms": [s["grad_norm"] for s in out],
                "lrs": [s["lr"] for s in out], "clipped": [clip > 0 and s["grad_norm"] > clip for s in out],
                "allreduce_s": comm, "seconds": seconds, "tokens": tokens, "local_grad_norm": out[-1]["grad_norm"],
                "bytes": sum(c["bytes"] for c in self.p.calls), "stats": {}, **self._after(out[-1]),
                "observed": self.p.observed()}

    def _after(self, last: dict) -> dict:
        """What the trainer keeps after any command that moved the weights (rank 0 adds the views)."""
        return {"step": self.p.steps, "checksum": self.checksum(), "tokens_per_s": self.tokens_per_s,
                "checkpoint": self.checkpoint_step, "view": self._view(last) if self.rank == 0 else None,
                "params_view": {"n_params": sum(math.prod(s) for s in self.p.full_shapes.values()), "norms": {}}
                if self.rank == 0 else None}

    # ----- saving: the run as one process would hold it ------------------------------------------------
    def _whole(self, name: str, t):
        """A parameter or optimizer tensor whole (a DTensor gathered: a collective over its mesh), tp's qkv
        rows back in the one-process [q; k; v] order."""
        from torch.distributed.tensor import DTensor

        if isinstance(t, DTensor):
            t = t.full_tensor()
        if self.par.tp > 1 and t.dim() > 0 and name.rsplit(".", 1)[0].endswith("attn.qkv"):
            t = split.qkv_major(t, self.par.tp)
        return t.detach().clone()

    def _export(self):
        """engine/export.py's RunExport of this run as `workers: 1` holds it (weights, Adam's moments, schedule,
        batch order), on rank 0; None on the others. Each stage's pieces are gathered whole (DTensors over tp
        and FSDP's dp; zero 1's ZeroRedundancyOptimizer consolidated on rank 0), the stages' sent to rank 0
        (`gather_object`), and loaded by name into a one-process TransformerRun of the same config."""
        from ..transformer.run import TransformerRun
        from .worker import run_export

        opt = self.p.optimizer
        if self.par.zero == 1:  # each dp rank holds the state of its own parameters: consolidated on rank 0
            opt.consolidate_state_dict(to=0)
            whole = opt.state_dict() if self.rank == 0 else None
            params = [p for g in opt.param_groups for p in g["params"]]
            names = dict(zip(map(id, self.p.params), self.p.names))
            state = {names[id(params[i])]: st for i, st in whole["state"].items()} if whole else {}
        else:
            by_param = dict(zip(self.p.params, self.p.names))
            state = {by_param[p]: st for p, st in opt.state.items()}
        mine = {n: (self._whole(n, p), {k: self._whole(n, v) for k, v in state.get(n, {}).items()})
                for n, p in zip(self.p.names, self.p.params)}
        keep = self.p.coords["dp"] == 0 and self.p.coords["tp"] == 0  # one copy of each stage
        got = [None] * self.par.world if self.rank == 0 else None
        dist.gather_object(mine if keep else None, got, dst=0)
        if self.rank != 0:
            return None
        src = self.p.run
        run = TransformerRun({**src.config.to_dict(), "workers": 1, "parallel": None})
        by_name = dict(run.model.named_parameters())
        with torch.no_grad():
            for part in filter(None, got):
                for n, (w, st) in part.items():
                    by_name[n].copy_(w)
                    if st:
                        run.optimizer.state[by_name[n]] = st
        run.steps, run.phase, run.schedule, run.history = src.steps, src.phase, src.schedule, src.history
        run.batch_gen.set_state(src.batch_gen.get_state())
        return run_export(run, self.p.steps)

    def _view(self, last: dict) -> dict:
        v = self.p.run.view()
        v["last"] = {"step": last["step"], "loss": last["loss"], "lr": last["lr"], "grad_norm": last["grad_norm"]}
        return v

    def _evaluate(self) -> dict | None:
        """Held-out losses: the tensor-parallel or sharded model runs forward whole on every rank (each must
        join its collectives); a pipeline's stages can't (None: not measured, never a guess)."""
        if self.par.pp > 1:
            return None
        return self.p.run.evaluate()

    def checksum(self) -> str:
        """SHA-1 of this rank's own parameters (its shards): equal across ranks only where they hold the same."""
        h = hashlib.sha1()
        for p in self.p.params:
            h.update(local(p).detach().numpy().tobytes())
        return h.hexdigest()[:12]
