"""Tensor, pipeline and sharded parallelism on this machine (engine/distributed): per strategy — dp2, tp2,
pp2 GPipe and 1F1B, ZeRO 1–3 on 2 workers, dp2×tp2 on 4 — steps/s against one process in the same run,
the bytes each rank sent per step measured against the plan's formula (ring all-reduce 2(N−1)/N of the
gradients on the wire, all-gather and reduce-scatter (N−1)/N; here the payload each rank hands its
collective, as `comm_plan` states it), the pipeline bubble measured against (p−1)/(m+p−1), and each
rank's memory at rest against the Scale page's calculator for its pipeline stage (engine/scale/memory.py: fp32
weights and gradients, Adam's two buffers, split as the run splits them), every comparison printed as a ratio.

    .venv/bin/python bench/parallel.py [--steps 20] [--four]

The Transformer page's model (2 blocks of 64, context 32) on a global batch of 16 windows; one torch
thread a rank. `--four` adds the 4-rank mixtures beyond dp2×tp2 (dp2×pp2, dp2×tp2×zero3, tp2×pp2). On a
2-core machine shared with other work, steps/s vary about 2× between runs and 4 ranks share 2 cores:
read the ratios of bytes, bubble and memory as the results, the speeds as this machine's.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

PAGE = dict(n_layer=2, n_head=2, n_embd=64, block_size=32, batch_size=16, seed=0, eval_iters=1, decay_steps=3000,
            threads=1)
TWO = [{"dp": 2}, {"tp": 2}, {"pp": 2, "micro_batches": 4, "schedule": "gpipe"}, {"pp": 2, "micro_batches": 4},
       {"dp": 2, "zero": 1}, {"dp": 2, "zero": 2}, {"dp": 2, "zero": 3}]
FOUR = [{"dp": 2, "tp": 2}]
MORE = [{"dp": 2, "pp": 2, "micro_batches": 2}, {"dp": 2, "tp": 2, "zero": 3}, {"tp": 2, "pp": 2, "micro_batches": 4}]


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else f"{a / b:.3f}"


def one_process(steps: int) -> float:
    """Steps/s of the same model and batch in one process (no torch.distributed): the baseline."""
    from flowscope.engine.transformer.run import TransformerRun

    run = TransformerRun(PAGE)
    for _ in range(3):
        run.step(stats=False)
    secs = []
    for _ in range(steps):
        t0 = time.perf_counter()
        run.step(stats=False)
        secs.append(time.perf_counter() - t0)
    return 1 / statistics.median(secs)


def report(jobs: list[dict], shapes: dict, base: float) -> None:
    from flowscope.engine.distributed.observe import calculator, idle_share, measured_bytes
    from flowscope.engine.distributed.parallel import Parallel, bubble, comm_plan

    par = Parallel(**jobs[0]["parallel"])
    rate = 1 / statistics.median(jobs[0]["seconds"][2:-1])  # warm-up and the observed step left out
    print(f"\n  {jobs[0]['name']:<16} {rate:6.1f} steps/s · ×{rate / base:.2f} of one process")
    if par.pp > 1:
        shares = [idle_share(r["segments"]) for r in jobs]
        f = bubble(par.pp, par.micro_batches)
        mean = sum(shares) / len(shares)
        print(f"    bubble measured {mean:.3f} (per rank {', '.join(f'{x:.2f}' for x in shares)}) · formula "
              f"(p−1)/(m+p−1) = {f:.3f} · ratio {ratio(mean, f)}")
    calc = calculator(par, shapes, "adamw")
    for r in jobs:
        formula: dict[str, int] = {}
        for st in comm_plan(par, shapes, PAGE["batch_size"], PAGE["block_size"], PAGE["n_embd"], PAGE["n_layer"],
                            r["rank"]):
            formula[st["stage"]] = formula.get(st["stage"], 0) + st["bytes"]
        got = measured_bytes(r["comm"])
        comm = " · ".join(f"{op} {got.get(op, 0):,} B / {formula.get(op, 0):,} = {ratio(got.get(op), formula.get(op))}"
                          for op in sorted(set(got) | set(formula))) or "none"
        m, c = r["memory"], calc["per_rank"][r["rank"]]  # the calculator's figure for this rank's pipeline stage
        mem = " · ".join(f"{k} {m[k]:,} B / {c[k]:,.0f} = {ratio(m[k], c[k])}" for k in ("params", "grads", "optimizer"))
        print(f"    rank {r['rank']} {r['coords']}\n      comm measured/formula: {comm}\n"
              f"      memory measured/calculator: {mem} · activations (peak saved) {m['activations']:,} B")
    for g in calc["gaps"]:
        print(f"    gap: {g}")


def main(argv: list[str] | None = None) -> None:
    from flowscope.engine.distributed.launch import train
    from flowscope.engine.transformer.run import TransformerRun

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--four", action="store_true", help="also dp2×pp2, dp2×tp2×zero3, tp2×pp2 on 4 ranks")
    args = ap.parse_args(argv)
    shapes = {n: tuple(p.shape) for n, p in TransformerRun(PAGE).model.named_parameters()}
    n_params = sum(math.prod(s) for s in shapes.values())
    base = one_process(args.steps)
    print(f"the Transformer page's model: {n_params:,} parameters · global batch 16×32 · {args.steps} steps, the last "
          f"observed · gloo, one torch thread a rank · one process: {base:.1f} steps/s")
    for world, pars in ((2, TWO), (4, FOUR + (MORE if args.four else []))):
        t0 = time.perf_counter()
        ranks = train(world, [{"config": PAGE, "parallel": p, "steps": args.steps} for p in pars], timeout=900)
        print(f"\n{world} workers (start-up and all jobs: {time.perf_counter() - t0:.0f} s)")
        for j in range(len(pars)):
            report([r[j] for r in ranks], shapes, base)


if __name__ == "__main__":
    main()
