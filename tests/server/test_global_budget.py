"""One budget for the whole server (issue 20, case 7): the memory its models need to train and the
data-parallel worker processes they run, counted over every live room, whoever made it. Before, 6 rooms
of 25M parameters from one address added 3.9 GB and 5 clients started 10 worker processes: each was
checked alone. Every way a run comes in (create, fork, switch, configure, load; a restore too, through
the same `admit_config`) is refused past it, with the figures in words; a room that closes gives its
share back."""
from __future__ import annotations

import time

from flowscope.engine.footprint import footprint
from flowscope.server.configs import validate_config
from flowscope.server.rooms.limits import size
from test_shutdown import TINY
from ws_helpers import create, expect, recv_type, recv_until, send

CFG = {**TINY, "n_embd": 32}
BIG = footprint("transformer", validate_config("transformer", CFG))  # the engine's estimate of one room's run


def made(ws, model: str = "transformer", config: dict = CFG) -> dict:
    """A room of `model` (a first transformer imports torch: seconds); its `session`."""
    send(ws, {"type": "create", "model": model, "config": config})
    session = expect(ws, "session", timeout=60)
    expect(ws, "state")
    return session


def refused(ws, msg: dict) -> str:
    """`msg` is answered with a `busy` error naming the server's budget; its message."""
    send(ws, msg)
    err = recv_type(ws, "error", timeout=30)
    assert err["code"] == "busy", err
    return err["message"]


def test_rooms_of_every_client_share_one_memory_budget(server_factory, monkeypatch):
    import flowscope.server.rooms.rooms as rooms_module

    monkeypatch.setattr(rooms_module, "GRACE_SECONDS", 0.2)
    budget_mb = 2.5 * BIG.bytes / 2**20  # two such rooms fit, a third doesn't
    srv = server_factory(max_models_mb=budget_mb)
    with srv.connect() as a, srv.connect() as b, srv.connect() as c:
        session_a = made(a)
        made(b)
        # a third client's room: refused with the figures (what the server holds, this model, the budget)
        message = refused(c, {"type": "create", "model": "transformer", "config": CFG})
        assert f"holds {size(2 * BIG.bytes)} of models" in message, message
        assert f"{BIG.params:,} parameters" in message and f"{size(budget_mb * 2**20)} budget" in message, message
        assert "max_models_mb" in message
        create(c, "neuron")  # a small run still fits
        # every other way in meets the same budget
        assert "max_models_mb" in refused(c, {"type": "switch", "model": "transformer", "config": CFG})
        assert "max_models_mb" in refused(a, {"type": "fork"})
        assert "max_models_mb" in refused(a, {"type": "configure", "config": {"n_embd": 64, "n_head": 1}})
        send(a, {"type": "configure", "config": {"lr": 0.002}})  # a change that costs nothing more is applied
        recv_until(a, lambda m: m["type"] == "state" and m["config"]["lr"] == 0.002, timeout=10)
        assert any(r.held.config.get("lr") == 0.002 for r in srv.rooms.by_code.values())  # its runner said so
        send(a, {"type": "save", "name": "budget"})
        saved = recv_type(a, "saved", timeout=30)
        assert "max_models_mb" in refused(c, {"type": "load", "id": saved["id"], "token": session_a["token"]})
        assert len(srv.rooms.by_code) == 3  # nothing refused was made
    # the rooms close (their members left): their share comes back
    deadline = time.monotonic() + 10
    while srv.rooms.by_code:
        assert time.monotonic() < deadline, "the rooms did not close after their grace period"
        time.sleep(0.05)
    with srv.connect() as d, srv.connect() as e, srv.connect() as f:
        made(d)
        made(e)
        # a room kept from before (its checkpoint) comes back through the same check: not past the budget
        send(f, {"type": "join", "session": session_a["id"]})
        message = recv_type(f, "error", timeout=30)
        assert message["code"] == "busy" and "can't come back yet" in message["message"], message
        assert "max_models_mb" in message["message"] and session_a["id"] not in srv.rooms.by_code


def test_worker_processes_are_counted_on_the_whole_server(server_factory):
    """A run's workers pass its own limit (--max-workers 2) but not the server's (max_worker_processes 1):
    refused before any process starts, for a create and for a configure alike. The rooms train in a room
    process here: what a run holds reaches the server from there after each change."""
    srv = server_factory(max_workers=2, max_worker_processes=1, room_processes=1)
    with srv.connect() as ws:
        message = refused(ws, {"type": "create", "model": "transformer", "config": {**CFG, "workers": 2}})
        assert "runs 0 data-parallel worker processes; 2 more would pass its budget of 1" in message, message
        made(ws)
        assert "max_worker_processes" in refused(ws, {"type": "configure", "config": {"workers": 2}})
        assert srv.rooms.holding().workers == 0
        send(ws, {"type": "configure", "config": {"n_embd": 16}})  # smaller: applied, and the server counts it
        recv_until(ws, lambda m: m["type"] == "state" and m["config"]["n_embd"] == 16, timeout=30)
        # the run it replaced is kept for `undo` (engine/undo.py): counted beside it
        small = footprint("transformer", validate_config("transformer", {**CFG, "n_embd": 16})) + BIG
        deadline = time.monotonic() + 5
        while srv.rooms.holding().params != small.params:  # the room process's report follows its frames
            assert time.monotonic() < deadline, (srv.rooms.holding(), small)
            time.sleep(0.02)
