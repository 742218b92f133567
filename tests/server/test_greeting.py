"""A member's greeting (issue 21, cases 2 and 3): a late joiner sees the stage the owner has lit, and
an owner who comes back with the token gets the roster after its `session`, whatever the model."""
from __future__ import annotations

import json
import time

from ws_helpers import command, create, join, recv_until, send

RAW_TIMEOUT = 10


def raw_until(ws, type_: str, seen: list) -> dict:
    """Read raw frames (rosters included) until one of `type_`, keeping every text one's type in order."""
    deadline = time.monotonic() + RAW_TIMEOUT
    while True:
        raw = ws.recv(timeout=max(0.05, deadline - time.monotonic()))
        if isinstance(raw, bytes):
            continue
        msg = json.loads(raw)
        seen.append(msg["type"])
        if msg["type"] == type_:
            return msg


def test_a_late_joiner_sees_the_lit_stage(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        lit = [command(owner, {"type": "step", "unit": "stage"}, until="stage")[-1] for _ in range(3)][-1]
        assert lit["stage"] == "linear" and lit["index"] == 2
        send(viewer, {"type": "join", "session": session["id"]})
        seen: list = []
        got = {}
        deadline = time.monotonic() + RAW_TIMEOUT
        while not {"state", "stage"} <= set(got) and time.monotonic() < deadline:
            raw = viewer.recv(timeout=RAW_TIMEOUT)
            if isinstance(raw, str):
                msg = json.loads(raw)
                seen.append(msg["type"])
                got.setdefault(msg["type"], msg)
        assert "stage" in got, seen  # the state rides a mailbox: it may come before or after the stage
        t = got["stage"]
        assert {k: t[k] for k in ("step", "stage", "index", "values")} == \
               {k: lit[k] for k in ("step", "stage", "index", "values")}
        assert got["state"]["step"] == 0


def test_after_whole_steps_a_late_joiner_gets_no_stale_stage(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "line")
        command(owner, {"type": "step", "unit": "stage"}, until="stage")
        send(owner, {"type": "step", "unit": "step", "count": 3})  # the walk's step finished, two more
        recv_until(owner, lambda m: m["type"] == "state" and m["step"] == 3)
        send(viewer, {"type": "join", "session": session["id"]})
        seen: list = []
        raw_until(viewer, "state", seen)
        time.sleep(0.3)
        while True:
            try:
                raw = viewer.recv(timeout=0.2)
            except TimeoutError:
                break
            if isinstance(raw, str):
                seen.append(json.loads(raw)["type"])
        assert "stage" not in seen, seen


def test_an_owner_back_with_the_token_gets_the_roster_after_its_session(live_server):
    with live_server.connect() as owner, live_server.connect() as a, live_server.connect() as b:
        session, _, _ = create(owner, "neuron")
        join(a, session["id"], name="Ana")
        join(b, session["id"], name="Ben")
        # a lesson that changes model: the owner's room switches, every member is greeted again
        send(owner, {"type": "switch", "model": "line"})
        seen: list = []
        raw_until(owner, "session", seen)
        roster = raw_until(owner, "roster", seen)
        assert seen.index("session") < len(seen) - 1 and seen[-1] == "roster"
        assert {m["name"] for m in roster["members"]} >= {"Ana", "Ben"}
        owner.close()
        with live_server.connect() as again:  # the teacher's page reloads
            send(again, {"type": "join", "session": session["id"], "token": session["token"]})
            seen = []
            raw_until(again, "session", seen)
            roster = raw_until(again, "roster", seen)
            assert seen[0] == "session", seen  # the page clears its roster on `session`: the roster comes after
            assert {m["name"] for m in roster["members"]} >= {"Ana", "Ben"}
