"""Fairness between rooms on one server (issue 12, items 3 and 13). The server runs in its own
process (bench/stream.py's serve); this client measures:

1. `/api/health` latency (p50/p99 over ~100 requests) on an idle server, and while another room
   runs a 10,000-step command on a network (TF Playground's default);
2. one room's single step (`step` → `state` round trip, p50/p99) on an idle server, and while 10
   other rooms play a network at full speed — the ratio is the figure (issue 12 asks ≤ 2×). The
   players are another process (other people's browsers), so this client's reads don't wait on theirs.

With the rooms in one room process per core (the default), in one room process, and as threads of
the web process; for each, also the steps per second the 10 playing rooms make together (what more
cores buy). `--load N` runs each measurement again beside N busy-loop processes (other programs on
the machine: issue 20 measured 6.2–7.9× on a loaded 2-core machine and asks ≤ 3× at a load of 4);
the idle figure is then measured under the same load, and the machine's load average is printed.

    .venv/bin/python bench/fairness.py [room processes …] [--load N …]   # default: the core count, 1, 0; load 0
    .venv/bin/python bench/fairness.py 2 --load 0 4                      # issue 20's figures
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.sync.client import connect  # noqa: E402

from bench.stream import MANY_CLIENTS, serve  # noqa: E402

NET = {"hidden": [4, 2], "activation": "tanh", "batch_size": 10, "lr": 0.03, "speed": 100000}


def open_room(url: str, model: str, config: dict):
    ws = connect(url, max_size=None, open_timeout=30)
    ws.send(json.dumps({"type": "create", "model": model, "config": config}))
    until(ws, "state")
    return ws


def until(ws, kind: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        raw = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(raw, str):
            msg = json.loads(raw)
            if msg["type"] == kind:
                return msg


STATE = '{"type":"state","step":'


def drain(ws, stop: threading.Event, steps=None, i: int = 0) -> None:
    """Keep reading a playing room's frames, as a browser would (noting each state's step)."""
    while not stop.is_set():
        try:
            raw = ws.recv(timeout=0.2)
        except TimeoutError:
            continue
        except Exception:
            return
        if steps is not None and isinstance(raw, str) and raw.startswith(STATE):  # cheap: no JSON parse
            steps[i] = int(raw[len(STATE):raw.index(",", len(STATE))])


def play_rooms(url: str, n: int, playing, stop, steps) -> None:
    """In a process of its own: open `n` rooms, play them all, read their frames until `stop`;
    `steps[i]`: the step room i's latest state showed."""
    rooms = [open_room(url, "mlp", NET) for _ in range(n)]
    done = threading.Event()
    readers = [threading.Thread(target=drain, args=(ws, done, steps, i), daemon=True) for i, ws in enumerate(rooms)]
    for ws, reader in zip(rooms, readers):
        ws.send(json.dumps({"type": "play"}))
        reader.start()
    playing.set()
    stop.wait()
    done.set()
    for ws in rooms:
        ws.close()


def health_ms(port: int, n: int = 100) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=30).read()
        out.append(1000 * (time.perf_counter() - t))
        time.sleep(0.01)
    return out


def step_ms(ws, n: int = 100) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        ws.send(json.dumps({"type": "step", "unit": "step"}))
        until(ws, "state")
        out.append(1000 * (time.perf_counter() - t))
        time.sleep(0.01)
    return out


def show(label: str, ms: list[float], base: list[float] | None = None) -> None:
    p50, p99 = statistics.median(ms), sorted(ms)[int(0.99 * (len(ms) - 1))]
    ratio = f"   p50 {p50 / statistics.median(base):.1f}× idle" if base else ""
    print(f"  {label:42s} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms{ratio}")


def spin() -> None:
    while True:
        pass


@contextlib.contextmanager
def load(n: int):
    """`n` processes that only burn a core each (other programs on the machine), for the block's length."""
    ctx = multiprocessing.get_context("spawn")
    hogs = [ctx.Process(target=spin, daemon=True) for _ in range(n)]
    for hog in hogs:
        hog.start()
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.join(5)


def main(argv: list[str]) -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("processes", type=int, nargs="*", help="--room-processes to measure (default: cores, 1, 0)")
    parser.add_argument("--load", type=int, nargs="+", default=[0], help="busy-loop processes beside the server")
    parser.add_argument("--steps-only", action="store_true", help="only the step beside 10 playing rooms")
    args = parser.parse_args(argv)
    for processes in args.processes or [cores, 1, 0]:
        for n in args.load:
            title = ("rooms as threads of the web process" if processes == 0 else
                     f"rooms in {processes} room process{'es' if processes > 1 else ''}"
                     + (" (one per core: the default)" if processes == cores else ""))
            print(f"== {title} (--room-processes {processes}), load {n} (busy loops) on {cores} cores")
            measure({"FLOWSCOPE_ROOM_PROCESSES": str(processes)}, n, not args.steps_only)


def measure(env: dict, hogs: int, health: bool) -> None:
    """Start the server, then (beside `hogs` busy loops) measure."""
    proc, port = serve({**MANY_CLIENTS, **env})
    url = f"ws://127.0.0.1:{port}/ws"
    try:
        open_room(url, "neuron", {}).close()  # the room processes are warm
        with load(hogs):
            time.sleep(1.0)
            print(f"  (load average now: {os.getloadavg()[0]:.1f}, other programs included)")
            if health:
                health_part(url, port)
            step_part(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def health_part(url: str, port: int) -> None:
    print("/api/health while another room runs `step count=10000` (network 4-2):")
    idle = health_ms(port)
    show("idle server", idle)
    busy = open_room(url, "mlp", NET)
    busy.send(json.dumps({"type": "step", "unit": "step", "count": 10000}))
    start = time.perf_counter()
    loaded = health_ms(port)
    show("during the 10,000-step command", loaded, idle)
    until(busy, "state")
    while until(busy, "state", timeout=300)["step"] < 10000:
        pass
    print(f"  (the command took {time.perf_counter() - start:.1f} s)")
    busy.close()


def step_part(url: str) -> None:
    print("one room's single step while 10 other rooms play a network at full speed:")
    me = open_room(url, "neuron", {})
    alone = step_ms(me)
    show("alone", alone)
    # the players are other people's browsers: their own process, so this client's reads don't
    # queue behind theirs (the figure is the server's)
    ctx = multiprocessing.get_context("spawn")
    stop, playing = ctx.Event(), ctx.Event()
    steps = ctx.Array("i", 10)
    players = ctx.Process(target=play_rooms, args=(url, 10, playing, stop, steps), daemon=True)
    players.start()
    assert playing.wait(120), "the 10 rooms did not start playing"
    time.sleep(1.0)
    before, t = sum(steps[:]), time.perf_counter()
    time.sleep(3.0)  # how much the playing rooms train together: what more cores buy
    rate = (sum(steps[:]) - before) / (time.perf_counter() - t)
    print(f"  {'10 rooms playing: steps per second, all':42s} {rate:9,.0f}")
    show("10 rooms playing: one more room's step", step_ms(me), alone)
    stop.set()
    players.join(30)
    me.close()


if __name__ == "__main__":
    main(sys.argv[1:])
