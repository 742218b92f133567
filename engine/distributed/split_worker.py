"""A worker of a split run (tensor, pipeline or sharded parallelism): a ParallelRun answering the same
commands over the same pipe as worker.py's data-parallel ShardedRun, so the controller and the trainer
drive both alike.

Whole steps only: `steps` (the last of each call observed: collectives, timeline, memory), `observe`,
`evaluate` (every rank; not for pipelines), `live`, `ping`. Not yet for split runs (each refused with a message saying so): the
stage-by-stage inspect path (`begin`/`apply`), the page's looks, `export`, checkpoints (a restart begins
again at step 0).
"""
from __future__ import annotations

import hashlib
import math

import torch
import torch.distributed as dist

from .meter import local
from .parallel import Parallel
from .parallel_run import ParallelRun


class SplitRun:
    def __init__(self, config: dict, par: Parallel, rank: int, options: dict):
        self.p = ParallelRun(config, par, rank, options)
        self.rank, self.par = rank, par
        self.tokens_per_s: float | None = None

    @property
    def steps(self) -> int:
        return self.p.steps

    def resume(self) -> dict:
        return {"step": 0, "checksum": self.checksum(), "checkpoint": 0}

    def handle(self, msg: dict) -> dict:
        op = msg["op"]
        if op == "steps":
            return self._steps(msg["count"])
        if op == "observe":
            return {"observed": self.p.observed()}
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
        out = [self.p.step(observe=i == count - 1) for i in range(count)]
        seconds = sum(s["seconds"] for s in out)
        tokens = self.p.run.config.batch_size * self.p.run.config.block_size * count // self.par.world
        rate = tokens / seconds if seconds else None
        self.tokens_per_s = rate
        clip = self.p.run.config.grad_clip
        comm = sum(c["t1"] - c["t0"] for c in self.p.calls)
        return {"losses": [s["loss"] for s in out], "grad_norms": [s["grad_norm"] for s in out],
                "lrs": [s["lr"] for s in out], "clipped": [clip > 0 and s["grad_norm"] > clip for s in out],
                "allreduce_s": comm, "seconds": seconds, "tokens": tokens, "local_grad_norm": out[-1]["grad_norm"],
                "bytes": sum(c["bytes"] for c in self.p.calls), "stats": {}, "step": self.p.steps,
                "checksum": self.checksum(), "tokens_per_s": rate, "checkpoint": 0,
                "view": self._view(out[-1]) if self.rank == 0 else None,
                "params_view": {"n_params": sum(math.prod(s) for s in self.p.full_shapes.values()), "norms": {}}
                if self.rank == 0 else None,
                "observed": self.p.observed()}

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
