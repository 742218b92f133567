"""The edges' figures (issue 12): against the real `flowscope` with its default settings, in its own
process — how many sessions one client address holds, how many failed joins it gets before it must
wait (and the guessing time that implies), and how Ctrl+C and SIGTERM end a server whose transformer
is in the middle of a 10,000-step command (exit code and seconds).

    .venv/bin/python bench/edges.py
"""
from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.sync.client import connect  # noqa: E402

from bench.stream import serve  # noqa: E402
from flowscope.server.rooms.rooms import ALPHABET, CODE_LENGTH  # noqa: E402
from flowscope.server.settings import Settings  # noqa: E402

TINY = {"n_layer": 1, "n_head": 1, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1,
        "text": "the quick brown fox jumps over the lazy dog. " * 20}


def reply(ws, *types: str) -> dict:
    """The next text message of one of `types` (binary frames and others pass by)."""
    while True:
        raw = ws.recv(timeout=60)
        if isinstance(raw, str) and (msg := json.loads(raw))["type"] in types:
            return msg


def sessions_and_joins(url: str, health: str) -> None:
    with contextlib.ExitStack() as stack:  # pages that each stay in the room they made
        held = 0
        while held < 250:
            ws = stack.enter_context(connect(url, max_size=None))
            ws.send(json.dumps({"type": "create", "model": "neuron"}))
            if (msg := reply(ws, "session", "error"))["type"] == "error":
                break
            held += 1
        print(f"rooms in use one client address holds: {held}  (then {msg['code']}: {msg['message']})")
    with connect(url, max_size=None) as ws:  # one page making room after room: its empty ones make way
        for _ in range(50):
            ws.send(json.dumps({"type": "create", "model": "neuron"}))
            if (msg := reply(ws, "session", "error"))["type"] == "error":
                break
        rooms = json.load(urllib.request.urlopen(health))["sessions"]
        print(f"one page creating 50 rooms in a row: {'all made' if msg['type'] == 'session' else msg['code']}, "
              f"{rooms} rooms on the server after")
        tries = 0
        while True:
            ws.send(json.dumps({"type": "join", "session": "ZZZZZ"}))  # almost surely no such room
            if (msg := reply(ws, "error"))["code"] == "busy":
                break
            tries += 1
        print(f"failed joins before waiting: {tries}  (then: {msg['message']})")
    s = Settings()
    codes = len(ALPHABET) ** CODE_LENGTH
    days = codes / 30 / s.join_failures_per_minute / 60 / 24
    print(f"guessing one of 30 rooms among {codes:,} codes at {s.join_failures_per_minute:g} failures/min: "
          f"{codes / 30:,.0f} guesses ≈ {days:.1f} days per address")


def shutdown(sig: signal.Signals) -> None:
    proc, port = serve({})
    with connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        ws.send(json.dumps({"type": "create", "model": "transformer", "config": TINY}))
        reply(ws, "state")
        ws.send(json.dumps({"type": "step", "unit": "step", "count": 10000}))
        time.sleep(1.0)
        start = time.perf_counter()
        proc.send_signal(sig)
        code = proc.wait(timeout=30)
        print(f"{sig.name} during a 10,000-step transformer command: exit {code} after "
              f"{time.perf_counter() - start:.2f} s")


def main() -> None:
    proc, port = serve({})  # the defaults, not the benchmarks' lifted per-address limits
    try:
        sessions_and_joins(f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}/api/health")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    for sig in (signal.SIGINT, signal.SIGTERM):
        shutdown(sig)


if __name__ == "__main__":
    main()
