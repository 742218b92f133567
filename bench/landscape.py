"""A 61×61 loss landscape for TF Playground's default network (2 inputs, hidden 4-2, tanh): the
batched pass against the naive 3,721 separate loss evaluations, in the same process.

    .venv/bin/python bench/landscape.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from flowscope.engine.landscape import directions  # noqa: E402
from flowscope.engine.trainer import Trainer  # noqa: E402

RES = 61


def best_of(fn, n=5) -> float:
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    t = Trainer("mlp", {"hidden": [4, 2], "activation": "tanh", "batch_size": 10, "lr": 0.03})
    t.run(200)

    def fresh():  # the trainer caches its last grid: time the computation, not the cache
        t.grids.clear()
        t.landscape(RES, kind="random", seed=0)

    batched = best_of(fresh)
    t.landscape(RES, kind="random", seed=0)
    start = time.perf_counter()
    t.landscape(RES, kind="random", seed=0)
    cached = time.perf_counter() - start

    d1, d2, _ = directions(t.model, "random", np.random.default_rng(0))
    saved = {k: v.copy() for k, v in t.model.params.items()}
    axis = np.linspace(-1, 1, RES)

    def naive():
        for b in axis:
            for a in axis:
                for k in saved:
                    t.model.params[k] = saved[k] + a * d1[k] + b * d2[k]
                t.train_loss()
        t.model.params.update(saved)

    loop = best_of(naive, n=1)
    print(f"{RES}×{RES} landscape, TF Playground default network, {len(t.data)} training points")
    print(f"  batched (one pass) : {batched * 1000:7.1f} ms   (goal ≤ 200 ms)")
    print(f"  naive {RES * RES} loops : {loop * 1000:7.1f} ms   speed-up {loop / batched:.1f}×")
    print(f"  asked again (cached) : {cached * 1000:7.3f} ms")
    neuron = Trainer("neuron", {"batch_size": 40})

    def start_grid():  # the race's picture: the start-to-minimum search plus the grid
        neuron.grids.clear()
        neuron.landscape(RES, at="start")

    print(f"  neuron start landscape (minimum search + {RES}×{RES}) : {best_of(start_grid) * 1000:7.1f} ms")
    print("once a landscape is asked, every step reports its place on it (race mode); steps/s, best of 7:")
    for model, config in (("neuron", {"batch_size": 40}), ("mlp", {})):
        bare, placed = step_rate(model, config, False), step_rate(model, config, True)
        print(f"  {model:6}: {bare:8,.0f} bare, {placed:8,.0f} with positions   ratio {placed / bare:.2f}")


def step_rate(model: str, config: dict, placed: bool, steps: int = 2000) -> float:
    t = Trainer(model, config)
    if placed:
        t.landscape(41, at="start")
    t.run(200)
    return steps / best_of(lambda: t.run(steps), n=7)


if __name__ == "__main__":
    main()
