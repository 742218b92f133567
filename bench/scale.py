"""The Scale page's two costs: "Measure here" for the Transformer page's default GPT (target ≤ 10 s on
the 2-core CPU), and the calculator's reply time (engine alone, and POST /api/scale through FastAPI).

    .venv/bin/python bench/scale.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flowscope.engine.scale import LADDER, estimate  # noqa: E402


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    from flowscope.engine.transformer.trainer import GPTTrainer

    t0 = time.perf_counter()
    trainer = GPTTrainer()  # the Transformer page's default config
    print(f"build the default GPT session: {time.perf_counter() - t0:.2f} s")
    runs = timed(trainer.measure, 3)  # the first includes the matmul-peak measurement (cached after)
    m = trainer.measure()
    print(f"measure (default GPT, {m['device']}): first {runs[0]:.2f} s, then {min(runs[1:]):.2f}–{max(runs[1:]):.2f} s "
          f"(target ≤ 10 s)")
    print(f"  params {m['predicted']['params']:,}; saved plain {m['saved']['plain']:,} B (formula "
          f"{m['predicted']['saved']['plain']:,.0f}), checkpoint {m['saved']['checkpoint']:,} B, "
          f"bf16 {m['saved']['bf16']:,} B")
    print(f"  step {m['step_seconds']['plain'] * 1000:.0f} ms plain, {m['step_seconds']['checkpoint'] * 1000:.0f} ms "
          f"checkpointed; {m['achieved_flops'] / 1e9:.1f} GFLOP/s of a {m['peak_flops'] / 1e9:.1f} GFLOP/s matmul peak "
          f"(MFU {m['mfu']:.0%})")

    for name in LADDER:
        estimate({"preset": name})  # warm: the transformer rung reads the corpus for its vocabulary once
    engine = [min(timed(lambda: estimate({"preset": name}), 20)) for name in LADDER]
    print(f"engine estimate(): {statistics.median(engine) * 1000:.2f} ms median over the ladder, "
          f"{max(engine) * 1000:.2f} ms the slowest")

    from fastapi.testclient import TestClient

    from flowscope.server.app import create_app

    client = TestClient(create_app())
    body = {"preset": "llama-3.1-405b", "parallel": {"zero": 3}, "training": {"recompute": "full"}}
    client.post("/api/scale", json=body)
    http = timed(lambda: client.post("/api/scale", json=body), 50)
    print(f"POST /api/scale (in-process client): median {statistics.median(http) * 1000:.2f} ms, "
          f"p90 {sorted(http)[int(0.9 * len(http))] * 1000:.2f} ms (a frame is 16.7 ms)")


if __name__ == "__main__":
    main()
