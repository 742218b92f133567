"""No leaked trainers (issue 21, point 6): the room process's memory after trainers are built and dropped.

Against the real CLI with one room process, `--rounds` times each:
1. two pages of one computer (one room allowed) create a 3.2M-parameter transformer at once: both
   pass the check, both build, the second is refused after its build and its trainer dropped;
2. a room switches to that transformer and its only member leaves at once (the built trainer
   replaces the old one in a room nobody is in; the old one is dropped).
The room process's RSS is read (/proc) after one warm-up round of each and at the end: the figure is
the ratio (issue 21 asks ≤ 1.10 after 50 of each).

    .venv/bin/python bench/leaks.py [--rounds 50]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.sync.client import connect  # noqa: E402

from bench.common import wait  # noqa: E402
from bench.stream import serve  # noqa: E402

SMALL = {"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1}
BIG = {**SMALL, "n_layer": 4, "n_head": 4, "n_embd": 256, "block_size": 32}  # ≈ 3.2M parameters: 13 MB each


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and its parts: RssAnon (the heap: what a leak grows) and RssFile (library code and data
    mapped from files, paged in as new code paths first run)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) / 1024
    return out


def room_process(server_pid: int) -> int:
    """The server's one room process (a child of its web process)."""
    children = []
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        children += (task / "children").read_text().split()
    pythons = [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    if len(pythons) != 1:
        raise RuntimeError(f"expected one room process, found {pythons}")
    return pythons[0]


def refused_create(url: str) -> bool:
    with connect(url, max_size=None) as a, connect(url, max_size=None) as b:
        for ws in (a, b):
            ws.send(json.dumps({"type": "create", "model": "transformer", "config": BIG}))
        got = [wait(ws, lambda m: m["type"] in ("session", "error")) for ws in (a, b)]
    return any(g["type"] == "error" and g.get("code") == "busy" for g in got)


def switch_and_leave(url: str) -> None:
    for _ in range(20):  # the last round's page may not have been seen leaving yet: its room isn't empty
        with connect(url, max_size=None) as ws:
            ws.send(json.dumps({"type": "create", "model": "transformer", "config": SMALL}))
            got = wait(ws, lambda m: m["type"] in ("state", "error"))
            if got["type"] == "state":
                ws.send(json.dumps({"type": "switch", "model": "transformer", "config": BIG}))
                return time.sleep(0.5)  # the build goes on in the room process after the page is gone
        time.sleep(0.5)
    raise RuntimeError(f"create refused: {got['message']}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    # one room a computer: each new create closes the last round's room, now empty (Rooms.admit)
    proc, port = serve({"FLOWSCOPE_ROOM_PROCESSES": "1", "FLOWSCOPE_MAX_SESSIONS_PER_CLIENT": "1"})
    url = f"ws://127.0.0.1:{port}/ws"
    try:
        pid = room_process(proc.pid)
        refused_create(url), switch_and_leave(url)  # warm: torch's first transformer, the allocator's arenas
        time.sleep(2)
        start = memory_mb(pid)
        refused = sum(refused_create(url) for _ in range(args.rounds))
        for _ in range(args.rounds):
            switch_and_leave(url)
        time.sleep(3)
        end = memory_mb(pid)
        print(f"{args.rounds} racing creates ({refused} refused after their build), {args.rounds} switches left at once")
        for key, what in (("VmRSS", "RSS"), ("RssAnon", "  of it the heap (RssAnon)"), ("RssFile", "  of it files (RssFile)")):
            print(f"room process {what}: {start[key]:.0f} MB after warm-up → {end[key]:.0f} MB   ×{end[key] / start[key]:.2f}")
        print("issue 21 asks RSS ≤ ×1.10")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main(sys.argv[1:])
