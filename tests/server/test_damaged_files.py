"""A damaged SQLite file does not stop the server (issue 20, case 10; it ended with a raw
sqlite3.DatabaseError naming no file). rooms.sqlite3 (a day's cache of checkpoints) is set aside —
renamed, logged — and a page asking for a room that was in it is told why it can't come back; the
saved-runs database is kept as it was, the log names it and says what to do, and the server starts with
the runs that can still be read (none: it starts empty, and says that)."""
from __future__ import annotations

import json
import random
import sqlite3

import httpx

import cliproc
from flowscope.engine.trainers import make_trainer
from flowscope.server.store import RunStore
from test_shutdown import _wait_for
from ws_helpers import ws_connect

NOT_A_DATABASE = b"this is not a database: a disk's bad sector, a copy cut short " * 200


def saved_runs(data_dir, owner: str, n: int) -> list[str]:
    store = RunStore(data_dir)
    ids = []
    for i in range(n):
        trainer = make_trainer("neuron", {"seed": i})
        trainer.run(i)
        ids.append(store.save(f"run {i}", trainer.export().pack(), owner))
    store.close()
    return ids


def damage_page(path, page_of: str) -> None:
    """Overwrite the page where `page_of` (a table or an index) starts with seeded noise."""
    with sqlite3.connect(path) as db:
        page_size = db.execute("pragma page_size").fetchone()[0]
        root = db.execute("select rootpage from sqlite_master where name = ?", (page_of,)).fetchone()[0]
    db.close()
    noise = random.Random(20).randbytes(page_size)
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(noise)


def test_damaged_files_are_set_aside_and_the_server_starts(tmp_path):
    owner = "owner-token-1"
    ids = saved_runs(tmp_path, owner, 3)
    damage_page(tmp_path / "runs.sqlite3", "runs_owner")  # an index page: the runs themselves can be read
    damaged = (tmp_path / "runs.sqlite3").read_bytes()
    (tmp_path / "rooms.sqlite3").write_bytes(NOT_A_DATABASE)
    cli = cliproc.start(tmp_path, "--room-processes", "1")
    try:
        log = cli.output()
        rooms_aside = [p for p in tmp_path.iterdir() if p.name.startswith("rooms.sqlite3.damaged-")]
        runs_aside = [p for p in tmp_path.iterdir() if p.name.startswith("runs.sqlite3.damaged-")
                      and not p.name.endswith(("-wal", "-shm"))]
        assert len(rooms_aside) == 1 and rooms_aside[0].read_bytes() == NOT_A_DATABASE  # kept as it was
        assert len(runs_aside) == 1 and runs_aside[0].read_bytes() == damaged
        assert str(tmp_path / "rooms.sqlite3") in log and str(rooms_aside[0]) in log, log
        assert str(tmp_path / "runs.sqlite3") in log and str(runs_aside[0]) in log, log
        assert "3 of its 3 saved runs could be read" in log and ".recover" in log, log
        listed = httpx.get(f"{cli.url}/api/runs", headers={"X-Flowscope-Token": owner}, timeout=10).json()
        assert sorted(r["id"] for r in listed) == sorted(ids)
        with ws_connect(f"ws://127.0.0.1:{cli.port}/ws") as ws:  # a page asks for a room from before
            ws.send(json.dumps({"type": "join", "session": "ABCDE"}))
            told = _wait_for(ws, "error")
            assert told["code"] == "no_session" and "damaged and set aside" in told["message"], told
            ws.send(json.dumps({"type": "load", "id": ids[1], "token": owner}))  # a salvaged run loads
            assert _wait_for(ws, "state")["step"] == 1
    finally:
        cli.kill()


def test_a_saved_runs_file_with_nothing_readable_starts_empty_and_says_so(tmp_path):
    (tmp_path / "runs.sqlite3").write_bytes(NOT_A_DATABASE)
    cli = cliproc.start(tmp_path, "--room-processes", "0")
    try:
        log = cli.output()
        aside = [p for p in tmp_path.iterdir() if p.name.startswith("runs.sqlite3.damaged-")]
        assert len(aside) == 1 and aside[0].read_bytes() == NOT_A_DATABASE
        assert str(aside[0]) in log and "none of its saved runs could be read" in log, log
        assert httpx.get(f"{cli.url}/api/runs", headers={"X-Flowscope-Token": "x"}, timeout=10).json() == []
    finally:
        cli.kill()
