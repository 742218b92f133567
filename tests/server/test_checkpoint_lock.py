"""A killed room comes back even while the checkpoint file is locked (issue 20, case 4): once, another
process held SQLite's lock for a big checkpoint, the revival's read failed with "database is locked",
and the members were told the run was gone although its checkpoint existed. The files are in WAL mode
(a reader never waits for a writer), wait 30 s for a lock, and a read that still fails is retried; a
checkpoint that can't be read is never called gone."""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

from flowscope.server.rooms import rooms as rooms_module
from flowscope.server.roomstore import RoomStore
from ws_helpers import command, create, join, recv_type, recv_until, send


def checkpointed(srv, code: str, steps: int) -> None:
    deadline = time.monotonic() + 10  # the room checkpoints as it falls idle
    while (kept := srv.rooms.checkpoints.get(code)) is None or kept.packed.steps != steps:
        assert time.monotonic() < deadline, f"no checkpoint of step {steps}"
        time.sleep(0.05)


def hold_write_lock(path, seconds: float, held: threading.Event) -> None:
    """Another writer (a room process writing a big checkpoint) holds the lock for `seconds`: longer
    than Python's default 5 s busy timeout, under which the revival's read failed."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("begin exclusive")
        db.execute("update rooms set updated = updated")
        held.set()
        time.sleep(seconds)
        db.execute("commit")
    finally:
        db.close()


def test_a_room_comes_back_while_another_writer_holds_the_lock(server_factory):
    srv = server_factory(room_processes=1)
    path = srv.settings.data_dir / "rooms.sqlite3"
    with srv.connect() as owner:
        session, _, _ = create(owner, "neuron", {"seed": 4})
        state = command(owner, {"type": "step", "unit": "step", "count": 5})[-1]
        checkpointed(srv, session["id"], 5)
        held = threading.Event()
        holder = threading.Thread(target=hold_write_lock, args=(path, 7.0, held), daemon=True)
        holder.start()
        assert held.wait(10)
        os.kill(srv.rooms.pool.links[0].process.pid, signal.SIGKILL)
        assert recv_type(owner, "error", timeout=30)["code"] == "room_lost"
        back = recv_until(owner, lambda m: m["type"] in ("session", "error"), timeout=90)
        assert back["type"] == "session", back  # never told the run is gone (it was, under the old lock)
        assert back["restored"]["step"] == 5
        assert recv_type(owner, "state")["params"] == state["params"]
        holder.join(15)
    with sqlite3.connect(path) as db:  # how: a reader never waits for a writer
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_a_failed_read_is_retried_and_never_called_gone(server_factory, monkeypatch):
    srv = server_factory()  # rooms in threads: the store below is the one the joins read
    monkeypatch.setattr(rooms_module, "READ_BACKOFF", 0.05, raising=False)
    real_get, failures = RoomStore.get, {"left": 2}

    def get(self, code):
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database is locked")
        return real_get(self, code)

    with srv.connect() as owner:
        session, _, _ = create(owner, "neuron", {"seed": 5})
        command(owner, {"type": "step", "unit": "step", "count": 2})
        checkpointed(srv, session["id"], 2)
    srv.rooms._close(srv.rooms.by_code[session["id"]])  # emptied and closed: only its checkpoint is left
    deadline = time.monotonic() + 10
    while srv.rooms.checkpoints.get(session["id"]) is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    monkeypatch.setattr(RoomStore, "get", get)
    with srv.connect() as ws:  # locked twice, read the third time: the room comes back
        back, _, again = join(ws, session["id"], token=session["token"])
        assert back["restored"]["step"] == 2 and again["step"] == 2
    srv.rooms._close(srv.rooms.by_code[session["id"]])
    failures["left"] = 1000  # locked for good: the join says so, and that it is kept — not "no such room"
    with srv.connect() as ws:
        send(ws, {"type": "join", "session": session["id"], "token": session["token"]})
        told = recv_until(ws, lambda m: m["type"] == "error", timeout=30)
        assert told["code"] == "busy" and "could not be read just now" in told["message"], told
        assert "it is kept" in told["message"]
