"""Saved runs in SQLite under the data directory: config, own data, weights (a torch state_dict,
as torch.save bytes) and the recent metrics. They survive a server restart."""
from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path

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
    weights blob not null
)"""


class RunStore:
    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "runs.sqlite3"
        self.lock = threading.Lock()  # one connection, used from worker threads one at a time
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        with self.lock, self.db:
            self.db.execute(SCHEMA)

    def save(self, name: str, exported: dict, weights: bytes) -> str:
        run_id = secrets.token_hex(4)
        with self.lock, self.db:
            self.db.execute("insert into runs values (?,?,?,?,?,?,?,?,?)",
                            (run_id, name, exported["model"], time.time(), exported["steps"],
                             json.dumps(exported["config"]), json.dumps(exported["custom"]),
                             json.dumps(exported["metrics"]), weights))
        return run_id

    def list(self) -> list[dict]:
        with self.lock:
            rows = self.db.execute("select id, name, model, created, steps from runs order by created desc").fetchall()
        return [dict(zip(("id", "name", "model", "created", "steps"), r)) for r in rows]

    def get(self, run_id: str) -> dict | None:
        with self.lock:
            row = self.db.execute("select id, name, model, steps, config, custom, metrics, weights from runs where id = ?",
                                  (run_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "name", "model", "steps", "config", "custom", "metrics", "weights")
        run = dict(zip(keys, row))
        for k in ("config", "custom", "metrics"):
            run[k] = json.loads(run[k])
        return run

    def close(self) -> None:
        with self.lock:
            self.db.close()
