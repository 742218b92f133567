"""Run split transformer jobs on N local gloo processes and bring back plain numbers (tests, bench).

`train(world, jobs)`: each job is {"config", "parallel", "steps"}; every rank trains each job in turn
(one process group, a mesh per job: starting processes costs seconds each here, a job milliseconds)
and returns per job: the global losses, step seconds, and the last step observed (coords, holds,
memory, collectives, timeline). Every wait is bounded: the process group's timeout, the queue's.
"""
from __future__ import annotations

import os
import queue as queues
import time
from datetime import timedelta

from .controller import free_port


def _rank_main(rank: int, world: int, port: int, jobs: list[dict], out, timeout: float) -> None:
    import torch

    torch.set_num_threads(1)
    import torch.distributed as dist

    from .parallel import resolve
    from .parallel_run import ParallelRun

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=timeout))
    try:
        results = []
        for job in jobs:
            cfg = job["config"]
            par = resolve(job.get("parallel"), world, n_head=cfg["n_head"], n_layer=cfg["n_layer"],
                          batch_size=cfg["batch_size"])
            run = ParallelRun(cfg, par, rank)
            steps = [run.step(observe=i == job["steps"] - 1) for i in range(job["steps"])]
            results.append({"name": par.name(), "parallel": par.as_dict(), "losses": [s["loss"] for s in steps],
                            "grad_norms": [s["grad_norm"] for s in steps], "seconds": [s["seconds"] for s in steps],
                            **run.observed()})
        out.put((rank, results))
    except Exception as exc:  # the parent reports it; the others' collective fails or times out
        out.put((rank, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        dist.destroy_process_group()


def train(world: int, jobs: list[dict], timeout: float = 120.0) -> list[list[dict]]:
    """Per rank, per job, what it measured; RuntimeError naming the rank when one fails."""
    import torch.multiprocessing as mp

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=_rank_main, args=(r, world, port, jobs, out, timeout / 2), daemon=True)
             for r in range(world)]
    for p in procs:
        p.start()
    got: dict[int, object] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(got) < world:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"ranks {sorted(set(range(world)) - set(got))} gave no result in {timeout:.0f} s")
            try:
                rank, res = out.get(timeout=min(left, 1.0))
            except queues.Empty:
                dead = [r for r, p in enumerate(procs) if not p.is_alive() and r not in got]
                if dead and len(got) + len(dead) == world:
                    raise RuntimeError(f"ranks {dead} exited without a result") from None
                continue
            if isinstance(res, str):
                raise RuntimeError(f"rank {rank}: {res}")
            got[rank] = res
    finally:
        for p in procs:
            p.join(5.0)
            if p.is_alive():
                os.kill(p.pid, 9)
                p.join(5.0)
    return [got[r] for r in range(world)]
