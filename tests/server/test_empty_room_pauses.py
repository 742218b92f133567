"""Work doesn't outlive its client (issue 20, case 8): a room nobody is in pauses at once — a long
command stops, play stops — and keeps its state for the grace period, so its owner comes back to it
as it was when the last member left."""
from __future__ import annotations

import json
import time

import pytest

from ws_helpers import recv_type, send

LONG = {"type": "step", "unit": "epoch", "count": 100}  # 100 epochs of 1,600 one-sample steps: minutes
ROOM = {"hidden": [8, 8], "n_samples": 2000, "batch_size": 1}


def state_where(ws, pred, timeout: float) -> dict:
    """The next `state` that satisfies `pred` (other messages and the binary field frames are passed over)."""
    deadline = time.monotonic() + timeout
    while True:
        raw = ws.recv(timeout=max(0.0, deadline - time.monotonic()))  # TimeoutError: the test fails
        if isinstance(raw, str) and raw.startswith('{"type":"state"') and pred(msg := json.loads(raw)):
            return msg


def started(srv, command: dict):
    """A room whose owner set `command` going; its code, token and the step it had reached."""
    ws = srv.connect()
    send(ws, {"type": "create", "model": "mlp", "config": ROOM})
    session = recv_type(ws, "session", timeout=60)
    recv_type(ws, "state", timeout=60)
    send(ws, command)
    state = state_where(ws, lambda m: m["step"] > 0, timeout=30)
    return ws, session["id"], session["token"], state["step"]


def steps_after_leaving(srv, ws, code: str, token: str) -> list[dict]:
    """The owner leaves, comes back 1 s later and watches 1 s: the states it sees."""
    ws.close()
    time.sleep(1.0)
    with srv.connect() as back:
        send(back, {"type": "join", "session": code, "token": token})
        seen = [recv_type(back, "state", timeout=10)]
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                raw = back.recv(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(raw, str) and raw.startswith('{"type":"state"'):
                seen.append(json.loads(raw))
    return seen


@pytest.mark.parametrize("command", [LONG, {"type": "play"}], ids=["long command", "play"])
def test_a_room_nobody_is_in_pauses_at_once(server_factory, command):
    srv = server_factory()
    ws, code, token, reached = started(srv, command)
    seen = steps_after_leaving(srv, ws, code, token)
    first = seen[0]
    assert first["playing"] is False
    # it stopped as its last member left (a chunk of work at most), not 1 s of training later
    assert all(s["step"] == first["step"] for s in seen), [s["step"] for s in seen]
    runner = srv.rooms.by_code[code].link
    assert runner.job is None and not runner.playing
    assert first["step"] >= reached  # its state was kept: the steps done before it emptied are there


def test_in_a_room_process_too(live_server):
    """The same with the room in a room process (the default): the member's leaving crosses the pipe."""
    ws, code, token, reached = started(live_server, LONG)
    seen = steps_after_leaving(live_server, ws, code, token)
    assert seen[0]["playing"] is False and seen[0]["step"] >= reached
    assert all(s["step"] == seen[0]["step"] for s in seen), [s["step"] for s in seen]


def test_a_member_who_stays_keeps_it_going(server_factory):
    """Only the last member's leaving pauses: the owner leaving a class that still watches does not."""
    srv = server_factory()
    ws, code, token, reached = started(srv, {"type": "play"})
    with srv.connect() as viewer:
        send(viewer, {"type": "join", "session": code})
        first = recv_type(viewer, "state", timeout=10)
        ws.close()
        later = state_where(viewer, lambda m: m["step"] > first["step"] + 5, timeout=10)
        assert later["playing"] is True
