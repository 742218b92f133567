"""Data-parallel training (engine/distributed): how long N workers take to be ready, tokens/s for
1, 2 and 4 workers, and the share of each step spent in the all-reduce.

    .venv/bin/python bench/distributed.py [--workers 1 2 4] [--steps 40] [--device cpu|cuda] [--ddp-of-one]

Tensor, pipeline and sharded parallelism: bench/parallel.py (`--split` here runs it).

Every run trains the Transformer page's small model (2 blocks of 64, context 32) on the same
global batch of 16 windows; `workers: 1` is the in-process GPTTrainer (no torch.distributed). On a
2-core machine N > 2 workers share two cores: expect tokens/s to fall, not rise — data parallelism
pays when each worker has its own core (or GPU), and the all-reduce's share shows what it costs.
"""
from __future__ import annotations

import argparse
import time

PAGE = dict(n_layer=2, n_head=2, n_embd=64, block_size=32, batch_size=16, seed=0, eval_iters=1, decay_steps=3000)


def one_process(steps: int, device: str) -> dict:
    from flowscope.engine.transformer.trainer import GPTTrainer

    t = GPTTrainer({**PAGE, "device": device, "threads": 0})
    t.run(3)  # warm-up
    t0 = time.perf_counter()
    t.run(steps)
    seconds = time.perf_counter() - t0
    return {"ready_s": 0.0, "step_ms": 1000 * seconds / steps, "tokens_per_s": steps * 16 * 32 / seconds,
            "allreduce_share": None}


def many(workers: int, steps: int, device: str) -> dict:
    from flowscope.engine.distributed.trainer import DistributedTrainer

    t0 = time.perf_counter()
    t = DistributedTrainer({**PAGE, "device": device, "workers": workers, "checkpoint_every": 10_000})
    built = time.perf_counter() - t0
    try:
        assert t.controller.wait_ready(600), "workers did not start"
        ready = time.perf_counter() - t0
        t.run(3)  # warm-up: DDP rebuilds its buckets after the first iteration
        shares = []
        t1 = time.perf_counter()
        for _ in range(steps):
            t.run(1)
            shares.append(t.comm["share"])
        seconds = time.perf_counter() - t1
        return {"ready_s": ready, "built_s": built, "step_ms": 1000 * seconds / steps,
                "tokens_per_s": steps * 16 * 32 / seconds, "allreduce_share": sum(shares) / len(shares),
                "bytes_per_worker": t.comm["bytes_per_worker"], "threads": t.controller.options["threads"]}
    finally:
        t.close()


def ddp_of_one(steps: int, device: str) -> dict:
    """One worker under torch.distributed (NCCL on a GPU, gloo on the CPU): a process group of one,
    so DDP's all-reduce has nobody to talk to — its cost against the in-process run is the overhead."""
    from flowscope.engine.distributed.controller import Controller

    c = Controller({**PAGE, "device": device}, 1, 10_000)
    t0 = time.perf_counter()
    c.start()
    try:
        assert c.wait_ready(600), "the worker did not start"
        ready = time.perf_counter() - t0
        c.call("steps", count=3)
        t1 = time.perf_counter()
        out = c.call("steps", count=steps)[0]
        seconds = time.perf_counter() - t1
        return {"ready_s": ready, "step_ms": 1000 * seconds / steps, "tokens_per_s": steps * 16 * 32 / seconds,
                "allreduce_share": out["allreduce_s"] / out["seconds"], "bytes_per_worker": 0}
    finally:
        c.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--split", action="store_true", help="tensor, pipeline and sharded strategies (bench/parallel.py)")
    ap.add_argument("--ddp-of-one", action="store_true", help="also time 1 worker under torch.distributed "
                    "(NCCL's process group of one on a GPU) against the in-process run")
    args = ap.parse_args(argv)
    if args.split:
        from bench.parallel import main as split

        split(["--steps", str(args.steps), "--four"])
        return
    import os

    print(f"{os.cpu_count()} cores · global batch 16×32 tokens · {args.steps} timed steps · device {args.device}")
    print(f"{'workers':>7} {'ready s':>8} {'step ms':>8} {'tokens/s':>9} {'all-reduce share':>17}  sent/worker/step")
    for n in args.workers:
        r = one_process(args.steps, args.device) if n == 1 else many(n, args.steps, args.device)
        share = "—" if r["allreduce_share"] is None else f"{100 * r['allreduce_share']:.0f} %"
        sent = f"{r['bytes_per_worker']:,} B" if "bytes_per_worker" in r else "—"
        print(f"{n:>7} {r['ready_s']:>8.1f} {r['step_ms']:>8.1f} {r['tokens_per_s']:>9.0f} {share:>17}  {sent}", flush=True)
    if args.ddp_of_one:
        r = ddp_of_one(args.steps, args.device)
        print(f"{'1 (DDP)':>7} {r['ready_s']:>8.1f} {r['step_ms']:>8.1f} {r['tokens_per_s']:>9.0f} "
              f"{100 * r['allreduce_share']:>15.0f} %  —", flush=True)


if __name__ == "__main__":
    main()
