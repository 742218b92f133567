"""Rooms that outlive the server: each room's run and its place in a class, checkpointed to SQLite.

A room's runner writes a checkpoint — the run as a PackedRun (engine/export.py: config, data,
weights, optimizer state, batch order, recent metrics) plus what makes it the class's room (its code,
the owner's token, the lesson it is at, whether viewers may save) — a few seconds after a change,
whenever it falls idle (a pause), and when it stops (a shutdown, or the room emptied). After a restart
the same code brings the same run back, and the owner's token still owns it (rooms.Rooms).
Checkpoints older than `room_days` are deleted when the server starts and on every write.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flowscope.engine.export import PackedRun

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
    def __init__(self, data_dir: Path, room_days: float):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.max_age = room_days * 86_400
        self.lock = threading.Lock()  # one connection; runner threads write one at a time
        self.db = sqlite3.connect(data_dir / "rooms.sqlite3", check_same_thread=False)
        with self.lock, self.db:
            self.db.execute(SCHEMA)
        self.expire()

    def put(self, code: str, model: str, owner_token: str, meta: dict, packed: PackedRun) -> None:
        """Write (or replace) a room's checkpoint. Blocking: called from the room's own thread."""
        with self.lock, self.db:
            self.db.execute("insert or replace into rooms (code, model, owner_token, meta, updated, steps, config, "
                            "custom, metrics, weights, state) values (?,?,?,?,?,?,?,?,?,?,?)",
                            (code, model, owner_token, json.dumps(meta), time.time(), packed.steps, packed.config,
                             packed.custom, packed.metrics, packed.weights, packed.state))
            self.db.execute("delete from rooms where updated < ?", (time.time() - self.max_age,))

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
