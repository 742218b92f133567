"""A class on loopback: one owner playing, 100 viewers. Prints the viewers' frame lag (time a viewer
gets a state after the owner got the same one; p50/p99) and the owner's step rate with and
without viewers, as a ratio. The server runs in its own process.

    .venv/bin/python bench/classroom.py [viewers]
"""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.asyncio.client import connect  # noqa: E402

from bench.stream import serve  # noqa: E402

SECONDS = 5.0
CONFIG = {"speed": 2000.0}  # a neuron at 2,000 steps/s: 30 state frames/s to every member


async def owner_run(url: str, viewers: int) -> tuple[float, list[float]]:
    """Play for SECONDS with `viewers` watching; returns (owner steps/s, viewer lags in seconds)."""
    async with connect(url, max_size=None) as owner:
        await owner.send(json.dumps({"type": "create", "model": "neuron", "config": CONFIG}))
        code = json.loads(await owner.recv())["id"]
        seen: dict[int, float] = {}
        lags: list[float] = []

        async def viewer() -> None:
            async with connect(url, max_size=None, open_timeout=20) as ws:
                await ws.send(json.dumps({"type": "join", "session": code}))
                end = time.monotonic() + SECONDS + 3
                while time.monotonic() < end:
                    try:
                        msg = json.loads(await asyncio.wait_for(ws.recv(), 1))
                    except asyncio.TimeoutError:
                        continue
                    if msg["type"] == "state" and msg["playing"]:
                        got = time.monotonic()
                        await asyncio.sleep(0)  # let the owner's copy be read if it is waiting
                        if msg["step"] in seen:
                            lags.append(got - seen[msg["step"]])

        crowd = [asyncio.create_task(viewer()) for _ in range(viewers)]
        await asyncio.sleep(1.5 if viewers else 0)  # everyone in
        await owner.send(json.dumps({"type": "play"}))
        start, first, last = time.monotonic(), None, None
        while time.monotonic() - start < SECONDS:
            msg = json.loads(await owner.recv())
            if msg["type"] == "state" and msg["playing"]:
                seen[msg["step"]] = time.monotonic()
                first = msg["step"] if first is None else first
                last = msg["step"]
        elapsed = time.monotonic() - start
        await owner.send(json.dumps({"type": "pause"}))
        await asyncio.gather(*crowd)
        return (last - first) / elapsed, lags


def main(viewers: int = 100) -> None:
    proc, port = serve()
    url = f"ws://127.0.0.1:{port}/ws"
    try:
        alone, _ = asyncio.run(owner_run(url, 0))
        crowded, lags = asyncio.run(owner_run(url, viewers))
    finally:
        proc.terminate()
    lags_ms = sorted(1000 * lag for lag in lags)
    p99 = lags_ms[int(0.99 * (len(lags_ms) - 1))] if lags_ms else float("nan")
    print(f"one owner playing a neuron at {CONFIG['speed']:.0f} steps/s, server in its own process, loopback")
    print(f"  owner step rate alone        : {alone:8,.0f} steps/s")
    print(f"  owner step rate, {viewers} viewers: {crowded:8,.0f} steps/s   ratio {crowded / alone:.2f}")
    print(f"  viewer frame lag behind the owner ({len(lags_ms)} frames): p50 {statistics.median(lags_ms):.1f} ms, "
          f"p99 {p99:.1f} ms")
    print("  (viewers and owner share one client process here, so the lag includes that process's queueing)")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
