"""Data-parallel training (engine/distributed): how long N workers take to be ready, tokens/s for
1, 2 and 4 workers, and the share of each step spent in the all-reduce.

    .venv/bin/python bench/distributed.py [--workers 1 2 4] [--steps 40] [--device cpu|cuda] [--ddp-of-one]
    .venv/bin/python bench/distributed.py --split [--steps 20]

`--split`: per strategy (dp, tp, pp GPipe/1F1B, ZeRO 1–3 on 2 workers; dp×tp, dp×pp, dp×tp×zero3, tp×pp on
4): steps/s, the
payload bytes per step measured on each rank beside the plan's formula, the pipeline bubble measured beside
(p−1)/(m+p−1), and per-rank memory (parameters, gradients, optimizer state, peak saved activations)
beside the Scale page's calculator (engine/scale/memory.py, fp32 Adam: 4 + 4 + 8 bytes per parameter).

Every run trains the Transformer page's small model (2 blocks of 64, context 32) on the same
global batch of 16 windows; `workers: 1` is the in-process GPTTrainer (no torch.distributed). On a
2-core machine N > 2 workers share two cores: expect tokens/s to fall, not rise — data parallelism
pays when each worker has its own core (or GPU), and the all-reduce's share shows what it costs.
"""
from __future__ import annotations

import argparse
import math
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


SPLITS = {2: [{"dp": 2}, {"tp": 2}, {"pp": 2, "micro_batches": 4, "schedule": "gpipe"}, {"pp": 2, "micro_batches": 4},
              {"dp": 2, "zero": 1}, {"dp": 2, "zero": 2}, {"dp": 2, "zero": 3}],
          4: [{"dp": 2, "tp": 2}, {"dp": 2, "pp": 2, "micro_batches": 2}, {"dp": 2, "tp": 2, "zero": 3},
              {"tp": 2, "pp": 2, "micro_batches": 4}]}
def split(steps: int) -> None:
    from flowscope.engine.distributed.launch import train
    from flowscope.engine.distributed.observe import calculator, idle_share, measured_bytes
    from flowscope.engine.distributed.parallel import Parallel, bubble, comm_plan
    from flowscope.engine.transformer.run import TransformerRun

    cfg = {**PAGE, "threads": 1}
    shapes = {n: tuple(p.shape) for n, p in TransformerRun(cfg).model.named_parameters()}
    n_params = sum(math.prod(s) for s in shapes.values())
    print(f"the Transformer page's model: {n_params:,} parameters · global batch 16×32 · {steps} steps, the last "
          "observed · gloo on this machine's cores, one torch thread per rank")
    for world, pars in SPLITS.items():
        t0 = time.perf_counter()
        ranks = train(world, [{"config": cfg, "parallel": p, "steps": steps} for p in pars], timeout=600)
        print(f"\n{world} workers (start-up and all jobs: {time.perf_counter() - t0:.0f} s)")
        for j, _ in enumerate(pars):
            jobs = [r[j] for r in ranks]
            par = Parallel(**jobs[0]["parallel"])
            secs = sorted(jobs[0]["seconds"][2:-1])  # warm-up and the observed step left out
            print(f"  {jobs[0]['name']:<16} {1 / secs[len(secs) // 2]:6.1f} steps/s (median; the observed step "
                  f"{1000 * jobs[0]['seconds'][-1]:.0f} ms)")
            if par.pp > 1:
                shares = [idle_share(r["segments"]) for r in jobs]
                print(f"    bubble measured {', '.join(f'{x:.2f}' for x in shares)} per rank · formula "
                      f"(p−1)/(m+p−1) = {bubble(par.pp, par.micro_batches):.2f}")
            calc = calculator(par, n_params, "adamw")
            for r in jobs:
                plan = comm_plan(par, shapes, cfg["batch_size"], cfg["block_size"], cfg["n_embd"], cfg["n_layer"],
                                 r["rank"])
                formula: dict = {}
                for st in plan:
                    formula[st["stage"]] = formula.get(st["stage"], 0) + st["bytes"]
                got = measured_bytes(r["comm"])
                comm = "; ".join(f"{op} {got.get(op, 0):,} B (formula {formula.get(op, 0):,})"
                                 for op in sorted(set(got) | set(formula))) or "none"
                m = r["memory"]
                mem = (f"params {m['params']:,} (calc {calc['params']:,.0f}) · grads {m['grads']:,} "
                       f"(calc {calc['grads']:,.0f}) · optimizer {m['optimizer']:,} (calc {calc['optimizer']:,.0f})"
                       f" · activations {m['activations']:,}")
                print(f"    rank {r['rank']} {r['coords']}: {comm}\n      {mem}")
            for g in calc["gaps"]:
                print(f"    gap: {g}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--split", action="store_true", help="tensor, pipeline and sharded strategies (see above)")
    ap.add_argument("--ddp-of-one", action="store_true", help="also time 1 worker under torch.distributed "
                    "(NCCL's process group of one on a GPU) against the in-process run")
    args = ap.parse_args(argv)
    if args.split:
        split(args.steps)
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
