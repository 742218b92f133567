"""Saved runs in SQLite under the data directory: one row per run, the columns of a PackedRun
(engine/export.py) — config, own data, recent metrics (JSON), weights (a torch state_dict, as
torch.save bytes) and the state that lets a loaded run go on exactly (optimizer memory, batch order,
schedule, phase; torch.save bytes). They survive a server restart."""
from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from pathlib import Path

from flowscope.engine.export import PackedRun

SCHEMA = """
create table if not exists runs (
    id text primary key,
    name text not null,
    model text not null,
    created real not null,
    steps integer not null,
    config text not null,
    custom text,
    metrics text not null,
    weights blob not null,
    state blob
)"""


class RunStore:
    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "runs.sqlite3"
        self.lock = threading.Lock()  # one connection, used from worker threads one at a time
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        with self.lock, self.db:
            self.db.execute(SCHEMA)
            columns = {row[1] for row in self.db.execute("pragma table_info(runs)")}
            if "state" not in columns:  # a data directory from before runs kept their optimizer state
                self.db.execute("alter table runs add column state blob")

    def save(self, name: str, packed: PackedRun) -> str:
        run_id = secrets.token_hex(4)
        with self.lock, self.db:
            self.db.execute("insert into runs (id, name, model, created, steps, config, custom, metrics, weights, state) "
                            "values (?,?,?,?,?,?,?,?,?,?)",
                            (run_id, name, packed.model, time.time(), packed.steps, packed.config, packed.custom,
                             packed.metrics, packed.weights, packed.state))
        return run_id

    def list(self) -> list[dict]:
        with self.lock:
            rows = self.db.execute("select id, name, model, created, steps from runs order by created desc").fetchall()
        return [dict(zip(("id", "name", "model", "created", "steps"), r)) for r in rows]

    def get(self, run_id: str) -> dict | None:
        """{"id", "name", "model", "steps", "weights", "packed": PackedRun}, or None."""
        with self.lock:
            row = self.db.execute("select id, name, model, steps, config, custom, metrics, weights, state "
                                  "from runs where id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        run_id, name, model, steps, config, custom, metrics, weights, state = row
        packed = PackedRun(model=model, steps=steps, config=config, custom=custom or "null", metrics=metrics,
                           weights=weights, state=state)
        return {"id": run_id, "name": name, "model": model, "steps": steps, "weights": weights, "packed": packed}

    def close(self) -> None:
        with self.lock:
            self.db.close()
