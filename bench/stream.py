"""Streaming while playing: steps/s and frames/s a websocket client receives from a real uvicorn
server, against the same Trainer loop run bare in this process; frame sizes and encode times.

    .venv/bin/python bench/stream.py [model]
"""
from __future__ import annotations

import json
import os
import socket
import sys
import subprocess
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.sync.client import connect  # noqa: E402

from bench.common import rate  # noqa: E402
from flowscope.engine.trainer import Trainer  # noqa: E402
from flowscope.server import messages as m  # noqa: E402
from flowscope.server.wire import encode, encode_tensors  # noqa: E402

SECONDS = 4.0


# a benchmark plays many clients from one address: lift the per-address limits (docs/protocol.md, Limits)
MANY_CLIENTS = {"FLOWSCOPE_MAX_SESSIONS_PER_CLIENT": "1000", "FLOWSCOPE_MAX_VIEWERS_PER_CLIENT": "1000"}


def serve(env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """The real CLI in its own process, so this client doesn't share its GIL. `env`: settings for it
    (FLOWSCOPE_*; default MANY_CLIENTS, `{}` for the defaults)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "flowscope.server.cli", "--port", str(port), "--no-browser"], cwd=root,
                            stdout=subprocess.DEVNULL, env={**os.environ, **(MANY_CLIENTS if env is None else env)})
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def encode_cost(trainer: Trainer) -> None:
    trainer.run(3)
    cases = [("state", lambda: encode(m.state_msg(trainer, True))),
             ("metrics (1 step)", lambda: encode(m.metrics_msg([trainer.history[-1].metrics]))),
             ("stage (gradients)", lambda: encode(m.stage_msg(trainer.back(2))))]
    if trainer.field() is not None:
        cases.append(("field (binary)", lambda: encode_tensors({"type": "field"}, trainer.field())))
    for name, build in cases:
        frame = build()
        per_s = rate(build, seconds=0.5, chunk=20)
        size = len(frame) if isinstance(frame, bytes) else len(frame.encode())
        print(f"  {name:18s}: {size:7,d} bytes, computed+encoded in {1e6 / per_s:7.1f} µs")


# TF Playground's default network: 2 inputs, hidden 4-2, tanh, batch 10, lr 0.03
CONFIGS = {"mlp": {"hidden": [4, 2], "activation": "tanh", "batch_size": 10, "lr": 0.03}}


def main(model: str = "neuron") -> None:
    config = {**CONFIGS.get(model, {}), "speed": 100000.0}
    bare = Trainer(model, config)
    # the bare loop runs the same Trainer.run in the same chunks (64) that play uses, minus streaming;
    # measured before and after the streamed run (their mean), so a machine whose load changes meanwhile
    # moves both sides of the ratio alike
    bare_rates = [64 * rate(lambda: bare.run(64), seconds=2.0, chunk=4)]

    server, port = serve()
    with connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        ws.send(json.dumps({"type": "create", "model": model, "config": config}))
        for _ in range(3):
            ws.recv(timeout=60)  # the first room waits for a room process to warm up
        ws.send(json.dumps({"type": "play"}))
        steps, states, fields, field_bytes, first_step, start = 0, 0, 0, 0, None, time.perf_counter()
        while time.perf_counter() - start < SECONDS:
            raw = ws.recv(timeout=5)
            if isinstance(raw, bytes):  # a binary `field` frame (networks)
                fields, field_bytes = fields + 1, len(raw)
                continue
            msg = json.loads(raw)
            if msg["type"] == "metrics":
                steps += len(msg["steps"])
                first_step = msg["steps"][0] if first_step is None else first_step
            elif msg["type"] == "state":
                states += 1
        elapsed = time.perf_counter() - start
        ws.send(json.dumps({"type": "pause"}))
    server.terminate()
    bare_rates.append(64 * rate(lambda: bare.run(64), seconds=2.0, chunk=4))
    bare_rate = sum(bare_rates) / 2

    streamed = steps / elapsed
    print(f"{model}: playing at full speed for {elapsed:.1f} s over a real websocket")
    print(f"  bare Trainer.run loop : {bare_rate:9,.0f} steps/s (before {bare_rates[0]:,.0f}, after {bare_rates[1]:,.0f})")
    print(f"  streamed (client saw) : {streamed:9,.0f} steps/s   ratio {streamed / bare_rate:.2f}")
    print(f"  state frames received : {states / elapsed:9.1f} frames/s (server cap 30)")
    if fields:
        print(f"  field frames received : {fields / elapsed:9.1f} frames/s, {field_bytes:,d} bytes each")
    encode_cost(Trainer(model, CONFIGS.get(model, {})))


if __name__ == "__main__":
    main(*sys.argv[1:])
