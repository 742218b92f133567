"""Shutdown with big checkpoints in flight (issue 20, case 3): three transformer rooms {n_layer 8,
n_embd 512, n_head 8, block 64, batch 4} (a 304 MB checkpoint each), two steps each, SIGTERM 3 s later,
then a restart: how long the shutdown took, what it logged, and the step each room comes back at (all
were at 2). Needs about 4 GB of memory and a few minutes on 2 cores.

    .venv/bin/python bench/shutdown.py
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import httpx
from websockets.sync.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import wait  # noqa: E402

BIG = {"n_layer": 8, "n_embd": 512, "n_head": 8, "block_size": 64, "batch_size": 4, "eval_iters": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int, data: str, log) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "flowscope.server.cli", "--port", str(port), "--no-browser",
                             "--data-dir", data], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # until every room process serves
        try:
            got = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).json()
            if got["warm"] is None or got["warm"] == got["room_processes"]:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError("flowscope did not start")


def main() -> None:
    port, data = free_port(), tempfile.mkdtemp(prefix="fs-shutdown-")
    log_path = os.path.join(data, "server.log")
    with open(log_path, "wb") as log:
        proc = serve(port, data, log)
        url = f"ws://127.0.0.1:{port}/ws"
        with contextlib.ExitStack() as stack:
            socks = [stack.enter_context(connect(url, open_timeout=30, max_size=None)) for _ in range(3)]
            sessions = []
            for ws in socks:
                ws.send(json.dumps({"type": "create", "model": "transformer", "config": BIG}))
                sessions.append(wait(ws, lambda m: m["type"] == "session"))
            for ws in socks:
                wait(ws, lambda m: m["type"] == "state")
                ws.send(json.dumps({"type": "step", "unit": "step", "count": 2}))
            for ws in socks:
                wait(ws, lambda m: m["type"] == "state" and m["step"] == 2)
            time.sleep(3)
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=120)
            took = time.monotonic() - start
        log.flush()
        first = os.path.getsize(log_path)  # the first server's lines end here
        proc = serve(port, data, log)
        back = []
        for s in sessions:
            with connect(url, open_timeout=30, max_size=None) as ws:
                ws.send(json.dumps({"type": "join", "session": s["id"], "token": s["token"]}))
                back.append(wait(ws, lambda m: m["type"] in ("session", "error")).get("restored", {}).get("step"))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    print(f"SIGTERM with three 304 MB checkpoints in flight: exit {rc} after {took:.1f} s")
    with open(log_path, "rb") as f:
        lines = f.read(first).decode(errors="replace").splitlines(keepends=True)
    print("".join(line for line in lines if "shutdown" in line), end="")
    print(f"back at steps {back} (all were at 2)")


if __name__ == "__main__":
    main()
