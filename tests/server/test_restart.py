"""Rooms survive a restart (issue 13): the real `flowscope` process is stopped mid-run — politely
(SIGTERM) or not (SIGKILL) — and started again on the same data directory; the same code brings the
same run back (step, weights, lesson position), and the owner's token still owns it."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

import cliproc
from test_shutdown import TINY, _wait_for
from ws_helpers import ws_connect


def serve(port: int, data_dir) -> cliproc.Cli:
    return cliproc.start(data_dir, port=port)


def first_of(ws, kinds: set[str], timeout: float = 60) -> dict:
    """The first message of each kind, in whatever order they come."""
    got, deadline = {}, time.monotonic() + timeout
    while set(got) != kinds:
        raw = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(raw, str) and (msg := json.loads(raw))["type"] in kinds:
            got.setdefault(msg["type"], msg)
    return got


def stop(cli: cliproc.Cli, sig) -> None:
    cli.stop(sig)


@pytest.mark.parametrize("model,config,sig", [
    ("mlp", {"hidden": [3]}, signal.SIGKILL),
    ("transformer", TINY, signal.SIGTERM),
], ids=["network-killed", "transformer-terminated"])
def test_a_room_comes_back_after_a_restart(tmp_path, model, config, sig):
    port = cliproc.free_port()
    proc = serve(port, tmp_path)
    url = f"ws://127.0.0.1:{port}/ws"
    try:
        with ws_connect(url) as ws:
            ws.send(json.dumps({"type": "create", "model": model, "config": config}))
            session = _wait_for(ws, "session")
            ws.send(json.dumps({"type": "lesson", "id": "neuron-flow", "step": 2}))
            _wait_for(ws, "lesson")
            ws.send(json.dumps({"type": "step", "unit": "step", "count": 7}))
            while (state := _wait_for(ws, "state"))["step"] < 7:
                pass
            time.sleep(0.5)  # idle now: its checkpoint is written (even a kill -9 keeps it)
            stop(proc, sig)
        proc = serve(port, tmp_path)
        with ws_connect(url) as ws:  # the owner's page reconnects with its code and token
            ws.send(json.dumps({"type": "join", "session": session["id"], "token": session["token"]}))
            # `state` rides a mailbox: any order after session; a network's loss chart so far comes too
            got = first_of(ws, {"session", "state", "lesson"} | ({"metrics"} if model == "mlp" else set()))
            back, again = got["session"], got["state"]
            assert back["id"] == session["id"] and back["role"] == "owner" and back["restored"]["step"] == 7
            assert again["step"] == 7 and again["params"] == state["params"]
            if model == "mlp":  # the loss chart comes back too: the evaluated steps before the restart
                assert got["metrics"]["steps"][-1] == 7 and got["metrics"]["train_losses"][-1] == state["loss"]
            assert got["lesson"] == {"type": "lesson", "id": "neuron-flow", "step": 2}
            ws.send(json.dumps({"type": "step", "unit": "step"}))  # and it trains on from there
            assert _wait_for(ws, "state")["step"] == 8
        with ws_connect(url) as viewer:  # a student's phone: the same code, watching
            viewer.send(json.dumps({"type": "join", "session": session["id"]}))
            later = _wait_for(viewer, "session")
            assert later["role"] == "viewer"
            # the room moved on from its checkpoint (step 8 now): nothing stale about "back at step 7"
            assert later.get("restored") is None
    finally:
        proc.kill()


def test_a_wrong_token_does_not_own_a_restored_room(tmp_path):
    port = cliproc.free_port()
    proc = serve(port, tmp_path)
    try:
        with ws_connect(f"ws://127.0.0.1:{port}/ws") as ws:
            ws.send(json.dumps({"type": "create", "model": "neuron"}))
            session = _wait_for(ws, "session")
            _wait_for(ws, "state")
        stop(proc, signal.SIGTERM)
        proc = serve(port, tmp_path)
        with ws_connect(f"ws://127.0.0.1:{port}/ws") as ws:
            ws.send(json.dumps({"type": "join", "session": session["id"], "token": "not-the-token"}))
            assert _wait_for(ws, "error")["code"] == "not_owner"
    finally:
        proc.kill()
