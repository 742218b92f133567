"""Rooms that outlive the server: each room's run and its place in a class, checkpointed to SQLite.

A room's runner writes a checkpoint — the run as a PackedRun (engine/export.py: config, data,
weights, optimizer state, batch order, recent metrics) plus what makes it the class's room (its code,
the owner's token, the lesson it is at, whether viewers may save) — a few seconds after a change,
whenever it falls idle (a pause), and when it stops (a shutdown, or the room emptied). After a restart
the same code brings the same run back, and the owner's token still owns it (rooms.Rooms).
Checkpoints older than `room_days` are deleted when the server starts and on every write.

A write is one SQLite transaction: a process killed at any moment of it leaves the previous checkpoint
whole. The file is a cache of a day's rooms: one found damaged at start-up is set aside (renamed, logged,
and a page asking for a room that was in it is told) and the server starts with a new one.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flowscope.engine.export import PackedRun

from .sqlitefile import SetAside, open_checked, readable_rows

log = logging.getLogger("flowscope.store")

SCHEMA = """
create table if not exists rooms (
    code text primary key,
    model text not null,
    owner_token text not null,
    meta text not null,
    updated real not null,
    steps integer not null,
    config text not null,
    custom text,
    metrics text not null,
    weights blob not null,
    state blob
)"""


@dataclass
class RoomCheckpoint:
    code: str
    model: str
    owner_token: str
    meta: dict  # {"lesson": {"id", "step"} | None, "allow_save": bool}
    updated: float  # time.time() of the checkpoint
    packed: PackedRun


class RoomStore:
    def __init__(self, data_dir: Path, room_days: float, write_delay: float = 0.0, set_aside: bool = True):
        """`write_delay`: seconds each write holds its transaction open before it commits (a slow disk;
        the tests of shutdown and locking set it, 0 otherwise). `set_aside`: move a damaged file out of
        the way (the web process, which opens it first) or raise (a room process)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.max_age, self.write_delay = room_days * 86_400, write_delay
        self.lock = threading.Lock()  # one connection; runner threads write one at a time
        self.db, self.set_aside = open_checked(data_dir / "rooms.sqlite3", _prepare, PROBE, set_aside)
        if self.set_aside is not None:
            self.set_aside.codes = _codes_in(self.set_aside)
            aside = self.set_aside
            log.error("The room checkpoints file %s is damaged (%s). It was set aside as %s and the server starts "
                      "with a new one: rooms from before this start cannot come back (%s readable in it); saved "
                      "runs are not affected. Delete the set-aside file once you no longer need it.", aside.path,
                      aside.reason, aside.aside, "none" if not aside.codes else f"{len(aside.codes)} room codes")
        self.expire()

    def lost_in_damage(self, code: str) -> bool:
        """Whether room `code` may have been in a damaged file set aside at start-up (can't come back)."""
        aside = self.set_aside
        return aside is not None and (aside.codes is None or code in aside.codes)

    def put(self, code: str, model: str, owner_token: str, meta: dict, packed: PackedRun) -> None:
        """Write (or replace) a room's checkpoint. Blocking: called from the room's own thread."""
        with self.lock, self.db:
            self.db.execute("insert or replace into rooms (code, model, owner_token, meta, updated, steps, config, "
                            "custom, metrics, weights, state) values (?,?,?,?,?,?,?,?,?,?,?)",
                            (code, model, owner_token, json.dumps(meta), time.time(), packed.steps, packed.config,
                             packed.custom, packed.metrics, packed.weights, packed.state))
            self.db.execute("delete from rooms where updated < ?", (time.time() - self.max_age,))
            if self.write_delay:  # in the transaction: a kill now must leave the previous checkpoint whole
                time.sleep(self.write_delay)

    def get(self, code: str) -> RoomCheckpoint | None:
        with self.lock:
            row = self.db.execute("select code, model, owner_token, meta, updated, steps, config, custom, metrics, "
                                  "weights, state from rooms where code = ? and updated >= ?",
                                  (code, time.time() - self.max_age)).fetchone()
        if row is None:
            return None
        code, model, token, meta, updated, steps, config, custom, metrics, weights, state = row
        packed = PackedRun(model=model, steps=steps, config=config, custom=custom or "null", metrics=metrics,
                           weights=weights, state=state)
        return RoomCheckpoint(code, model, token, json.loads(meta), updated, packed)

    def codes(self) -> set[str]:
        """Every room code with a checkpoint (a new room must not take one)."""
        with self.lock:
            return {row[0] for row in self.db.execute("select code from rooms")}

    def delete(self, code: str) -> None:
        with self.lock, self.db:
            self.db.execute("delete from rooms where code = ?", (code,))

    def expire(self) -> int:
        with self.lock, self.db:
            return self.db.execute("delete from rooms where updated < ?", (time.time() - self.max_age,)).rowcount

    def close(self) -> None:
        with self.lock:
            self.db.close()


PROBE = "select count(*) from rooms"  # reads the table's pages (or its smallest index's): a damaged file says so


def _prepare(db) -> None:
    db.execute(SCHEMA)
    db.execute(PROBE).fetchone()


def _codes_in(aside: SetAside) -> set[str] | None:
    rows, listed = readable_rows(aside.aside, "rooms", ["code"])
    return None if listed is None or len(rows) < listed else {row[0] for row in rows}
