"""A loaded or restored transformer run shows what the page showed before (issue 20, case 13): saved at
step 7, it loaded at step 7 with `state.gpt.last` empty and `state.loss` (a corpus estimate) measured
again on the restored weights (4.535 → 4.520). Now the last step's numbers, the per-layer bars and the
loss estimate with its step come back as they were — from a saved run, and from a room's checkpoint
when its process is killed."""
from __future__ import annotations

import os
import signal
import time

from test_shutdown import TINY
from ws_helpers import expect, recv_type, recv_until, send


def seven(ws) -> dict:
    """Seven steps in one command: the state once they are done (progress states may come before)."""
    send(ws, {"type": "step", "unit": "step", "count": 7})
    return recv_until(ws, lambda m: m["type"] == "state" and m["step"] == 7, timeout=60)


def create(ws) -> dict:
    send(ws, {"type": "create", "model": "transformer", "config": TINY})
    session = recv_type(ws, "session", timeout=90)  # building a model waits for a warm process: seconds
    recv_type(ws, "state", timeout=60)
    return session


def shown(state: dict) -> dict:
    gpt = state["gpt"]
    return {"step": state["step"], "loss": state["loss"], "test_loss": state["test_loss"], "layers": state["layers"],
            "last": gpt["last"], "eval": gpt["eval"], "eval_step": gpt["eval_step"]}


def test_a_loaded_transformer_shows_what_it_showed_when_saved(live_server):
    with live_server.connect() as ws:
        session = create(ws)
        before = shown(seven(ws))
        assert before["last"]["step"] == 7 and before["last"]["loss"] > 0
        send(ws, {"type": "save", "name": "step 7"})
        saved = expect(ws, "saved", timeout=60)
        send(ws, {"type": "load", "id": saved["id"], "token": session["token"]})
        expect(ws, "session", timeout=60)
        assert shown(expect(ws, "state", timeout=60)) == before


def test_a_room_restored_after_its_process_died_shows_the_same(server_factory):
    srv = server_factory(room_processes=1)
    with srv.connect() as ws:
        session = create(ws)
        before = shown(seven(ws))
        deadline = time.monotonic() + 20  # the room checkpoints as it falls idle
        while (kept := srv.rooms.checkpoints.get(session["id"])) is None or kept.packed.steps != 7:
            assert time.monotonic() < deadline, "no checkpoint of step 7"
            time.sleep(0.05)
        os.kill(srv.rooms.pool.links[0].process.pid, signal.SIGKILL)
        assert recv_type(ws, "session", timeout=90)["restored"]["step"] == 7
        assert shown(recv_type(ws, "state", timeout=60)) == before
