"""A class on loopback: one owner playing, 100 viewers. Prints the viewers' frame lag (time a viewer
gets a state after the owner got the same one; p50/p99) and the owner's step rate with and
without viewers, as a ratio. The server runs in its own process.

    .venv/bin/python bench/classroom.py [viewers [client processes]]
"""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.asyncio.client import connect  # noqa: E402

from bench.stream import serve  # noqa: E402

SECONDS = 5.0
CONFIG = {"speed": 2000.0}  # a neuron at 2,000 steps/s: 30 state frames/s to every member


def viewer_process(url: str, code: str, n: int, seconds: float, out) -> None:
    """`n` viewers of room `code` in this process: each state's (step, arrival time); time.monotonic is
    the machine's clock, so arrivals compare with the owner's across processes."""
    async def viewer() -> list[tuple[int, float]]:
        got = []
        async with connect(url, max_size=None, open_timeout=30) as ws:
            await ws.send(json.dumps({"type": "join", "session": code}))
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 1))
                except asyncio.TimeoutError:
                    continue
                if msg["type"] == "state" and msg["playing"]:
                    got.append((msg["step"], time.monotonic()))
        return got

    async def crowd():
        return await asyncio.gather(*(viewer() for _ in range(n)))

    out.put([pair for one in asyncio.run(crowd()) for pair in one])


async def owner_run(url: str, viewers: int, processes: int) -> tuple[float, list[float]]:
    """Play for SECONDS with `viewers` watching from `processes` other processes; returns (owner
    steps/s, viewer lags in seconds)."""
    async with connect(url, max_size=None) as owner:
        await owner.send(json.dumps({"type": "create", "model": "neuron", "config": CONFIG}))
        code = json.loads(await owner.recv())["id"]
        out = mp.get_context("spawn").Queue()
        shares = [viewers // processes + (k < viewers % processes) for k in range(processes)] if viewers else []
        procs = [mp.get_context("spawn").Process(target=viewer_process, args=(url, code, n, SECONDS + 6, out))
                 for n in shares if n]
        for p in procs:
            p.start()
        await asyncio.sleep(4 if viewers else 0)  # every viewer in (each process imports and connects)
        seen: dict[int, float] = {}
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
        arrivals = [pair for _ in procs for pair in await asyncio.to_thread(out.get, True, 60)]
        for p in procs:
            p.join(10)
        lags = [t - seen[step] for step, t in arrivals if step in seen]
        return (last - first) / elapsed, lags


def main(viewers: int = 100, processes: int = 4) -> None:
    proc, port = serve()
    url = f"ws://127.0.0.1:{port}/ws"
    try:
        alone, _ = asyncio.run(owner_run(url, 0, processes))
        crowded, lags = asyncio.run(owner_run(url, viewers, processes))
    finally:
        proc.terminate()
    lags_ms = sorted(1000 * lag for lag in lags)
    p99 = lags_ms[int(0.99 * (len(lags_ms) - 1))] if lags_ms else float("nan")
    p50 = statistics.median(lags_ms) if lags_ms else float("nan")
    print(f"one owner playing a neuron at {CONFIG['speed']:.0f} steps/s, server in its own process, loopback;")
    print(f"{viewers} viewers spread over {processes} client processes (the lag is the server's, not one client's queue)")
    print(f"  owner step rate alone          : {alone:8,.0f} steps/s")
    print(f"  owner step rate, {viewers:3d} viewers   : {crowded:8,.0f} steps/s   ratio {crowded / alone:.2f}")
    print(f"  viewer frame lag behind the owner ({len(lags_ms)} frames): p50 {p50:.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
