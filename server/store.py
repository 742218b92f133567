"""Saved runs in SQLite under the data directory: one row per run, the columns of a PackedRun
(engine/export.py) — config, own data, recent metrics (JSON), weights (a torch state_dict, as
torch.save bytes) and the state that lets a loaded run go on exactly (optimizer memory, batch order,
schedule, phase; torch.save bytes). They survive a server restart.

Each run belongs to the owner token of the room that saved it (`owner`): listing, downloading and
loading need that token. Runs saved before owners existed have none and are shown to nobody. The
data directory is bounded: `max_runs` runs, `max_bytes` in all, `max_per_owner` runs per token.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path

from flowscope.engine.export import PackedRun

from .sqlitefile import open_checked, readable_rows

log = logging.getLogger("flowscope.store")

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
    state blob,
    owner text
)"""
# a run's id: 16 hex digits (64 bits, not to be guessed; older runs have 8). Asked-for ids are ASCII letters
# and digits (anything else can't be an id: refused before the database sees it).
RUN_ID_PATTERN = r"^[A-Za-z0-9]{1,32}$"
_ANY = object()  # get() without an owner check (the server's own use)
_SIZE = ("length(weights) + length(coalesce(state, '')) + length(config) + length(coalesce(custom, ''))"
         " + length(metrics)")


class StoreFull(Exception):
    """Saving would pass one of the data directory's bounds; the message says which."""


class RunStore:
    def __init__(self, data_dir: Path, max_runs: int = 1000, max_bytes: int = 1 << 30, max_per_owner: int = 100):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "runs.sqlite3"
        self.max_runs, self.max_bytes, self.max_per_owner = max_runs, max_bytes, max_per_owner
        self.lock = threading.Lock()  # one connection, used from worker threads one at a time
        # a damaged file is kept aside and the runs still readable in it are copied into a new one (recover)
        self.db, aside = open_checked(self.path, _prepare, PROBE)
        if aside is not None:
            self._recover(aside)

    def _recover(self, aside) -> None:
        """Copy every run SQLite can still read from the damaged file set aside into the new one, and
        say in the log which file, what came across, and what to do."""
        columns = ["id", "name", "model", "created", "steps", "config", "custom", "metrics", "weights", "state",
                   "owner"]
        rows, listed = readable_rows(aside.aside, "runs", columns)
        rows = [r for r in rows if all(r[i] is not None for i in range(6)) and r[7] is not None and r[8] is not None]
        with self.lock, self.db:
            self.db.executemany(f"insert or ignore into runs ({', '.join(columns)}) values "
                                f"({', '.join('?' * len(columns))})", rows)
        kept = (f"{len(rows)} of its {listed} saved runs could be read and are served from a new {self.path.name}"
                if rows else "none of its saved runs could be read: the server starts with no saved runs")
        log.error("The saved-runs database %s is damaged (%s). It is kept, unchanged, as %s; %s. To try to "
                  "recover more, stop the server and run: sqlite3 %s .recover | sqlite3 recovered.sqlite3 — then "
                  "put recovered.sqlite3 in place of %s (or ask for help with the damaged file).", aside.path,
                  aside.reason, aside.aside, kept, aside.aside, self.path)

    def save(self, name: str, packed: PackedRun, owner: str | None = None) -> str:
        """Store one run; StoreFull (nothing written) when a bound would be passed. Blocking: call it
        from a worker thread, never the event loop."""
        run_id = secrets.token_hex(8)
        size = (len(packed.weights) + len(packed.state or b"") + len(packed.config.encode())
                + len(packed.custom.encode()) + len(packed.metrics.encode()))
        with self.lock, self.db:
            count, used = self.db.execute(f"select count(*), coalesce(sum({_SIZE}), 0) from runs").fetchone()
            mine = self.db.execute("select count(*) from runs where owner = ?", (owner,)).fetchone()[0]
            if count >= self.max_runs:
                raise StoreFull(f"The server keeps at most {self.max_runs} saved runs and has that many; "
                                "ask whoever runs it to make room (max_saved_runs).")
            if used + size > self.max_bytes:
                raise StoreFull(f"Saved runs may take {self.max_bytes / 2**20:.0f} MB on this server and this one "
                                f"({size / 2**20:.1f} MB) does not fit (max_saved_mb).")
            if owner is not None and mine >= self.max_per_owner:
                raise StoreFull(f"This room's owner has {mine} saved runs, the most one may keep "
                                "(max_saved_runs_per_owner).")
            self.db.execute("insert into runs (id, name, model, created, steps, config, custom, metrics, weights, "
                            "state, owner) values (?,?,?,?,?,?,?,?,?,?,?)",
                            (run_id, name, packed.model, time.time(), packed.steps, packed.config, packed.custom,
                             packed.metrics, packed.weights, packed.state, owner))
        return run_id

    def list(self, owner: str) -> list[dict]:
        """The runs of one owner token, newest first."""
        with self.lock:
            rows = self.db.execute("select id, name, model, created, steps from runs where owner = ? "
                                   "order by created desc", (owner,)).fetchall()
        return [dict(zip(("id", "name", "model", "created", "steps"), r)) for r in rows]

    def get(self, run_id: str, owner=_ANY) -> dict | None:
        """{"id", "name", "model", "steps", "weights", "owner", "packed": PackedRun}, or None. With
        `owner`, only if that token owns the run (None otherwise, as for no run)."""
        with self.lock:
            row = self.db.execute("select id, name, model, steps, config, custom, metrics, weights, state, owner "
                                  "from runs where id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        run_id, name, model, steps, config, custom, metrics, weights, state, stored_owner = row
        if owner is not _ANY and not (owner and stored_owner and secrets.compare_digest(owner, stored_owner)):
            return None
        packed = PackedRun(model=model, steps=steps, config=config, custom=custom or "null", metrics=metrics,
                           weights=weights, state=state)
        return {"id": run_id, "name": name, "model": model, "steps": steps, "weights": weights, "owner": stored_owner,
                "packed": packed}

    def close(self) -> None:
        with self.lock:
            self.db.close()


PROBE = "select count(*) from runs"  # reads the table's pages (or its smallest index's): a damaged file says so


def _prepare(db) -> None:
    db.execute(SCHEMA)
    columns = {row[1] for row in db.execute("pragma table_info(runs)")}
    if "state" not in columns:  # a data directory from before runs kept their optimizer state
        db.execute("alter table runs add column state blob")
    if "owner" not in columns:  # a data directory from before owners: its runs stay nobody's
        db.execute("alter table runs add column owner text")
    db.execute("create index if not exists runs_owner on runs (owner)")
    db.execute(PROBE).fetchone()
