"""Saved runs in SQLite under the data directory: one row per run, the columns of a PackedRun
(engine/export.py) — config, own data, recent metrics (JSON), weights (a torch state_dict, as
torch.save bytes) and the state that lets a loaded run go on exactly (optimizer memory, batch order,
schedule, phase; torch.save bytes). They survive a server restart and never expire with a room.

Each run belongs to an owner (`owner`): the saving browser's own key (the page keeps one in
localStorage and sends it with `save`), else the owner token of the room that saved it. Listing,
downloading, deleting and loading need it. A run can also be opened by whoever holds its `share`
key (a trained-run link): as a copy of their own, never as its owner. Runs saved before owners
existed have none and are shown to nobody.

Budgets (`Budget`): per owner and per client address, runs and bytes — past one the save is refused
(StoreFull, nothing written; the message says which and how to make room). The server's own bounds
never refuse: the oldest runs of the largest holder (the address holding the most) make way, so one
address can't lock everyone out, however many rooms or owners it uses.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
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
    owner text,
    address text,
    size integer,
    share text
)"""
# columns added since the first data directories (alter table adds them to an older file)
ADDED = {"address": "text", "size": "integer", "share": "text"}
# a run's id: 16 hex digits (64 bits, not to be guessed; older runs have 8). Asked-for ids are ASCII letters
# and digits (anything else can't be an id: refused before the database sees it).
RUN_ID_PATTERN = r"^[A-Za-z0-9]{1,32}$"
_ANY = object()  # get() without an owner check (the server's own use)
_SIZE = ("length(weights) + length(coalesce(state, '')) + length(config) + length(coalesce(custom, ''))"
         " + length(metrics)")
_HOLDER = "coalesce(address, '')"  # runs from before addresses were kept are one holder
log = logging.getLogger("flowscope.store")


class StoreFull(Exception):
    """Saving would pass one of the budgets; the message says which. Nothing was written."""


@dataclass(frozen=True)
class Budget:
    """What the data directory may hold (settings.py: max_saved_*). max_runs/max_bytes: the server's, kept by
    evicting the largest holder's oldest runs; the per-owner and per-address ones refuse the save."""
    max_runs: int = 1000
    max_bytes: int = 1 << 30
    max_per_owner: int = 100
    max_bytes_per_owner: int = 512 << 20
    max_per_address: int = 200
    max_bytes_per_address: int = 512 << 20

    @classmethod
    def of(cls, settings) -> "Budget":
        """The budget settings.Settings gives (its max_saved_* fields; sizes in MB)."""
        mb = lambda x: int(x * 2**20)  # noqa: E731
        return cls(settings.max_saved_runs, mb(settings.max_saved_mb), settings.max_saved_runs_per_owner,
                   mb(settings.max_saved_mb_per_owner), settings.max_saved_runs_per_address,
                   mb(settings.max_saved_mb_per_address))


def packed_size(packed: PackedRun) -> int:
    """The bytes a run takes in the store (the same sum as _SIZE)."""
    return (len(packed.weights) + len(packed.state or b"") + len(packed.config.encode())
            + len(packed.custom.encode()) + len(packed.metrics.encode()))


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


class RunStore:
    def __init__(self, data_dir: Path, budget: Budget | None = None, **bounds):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "runs.sqlite3"
        self.budget = budget or Budget(**bounds)  # bounds: Budget's fields by name
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
            _fill(self.db)  # the copied runs' sizes and share keys
        kept = (f"{len(rows)} of its {listed} saved runs could be read and are served from a new {self.path.name}"
                if rows else "none of its saved runs could be read: the server starts with no saved runs")
        log.error("The saved-runs database %s is damaged (%s). It is kept, unchanged, as %s; %s. To try to "
                  "recover more, stop the server and run: sqlite3 %s .recover | sqlite3 recovered.sqlite3 — then "
                  "put recovered.sqlite3 in place of %s (or ask for help with the damaged file).", aside.path,
                  aside.reason, aside.aside, kept, aside.aside, self.path)

    def save(self, name: str, packed: PackedRun, owner: str | None = None, address: str | None = None) -> str:
        """Store one run of `owner`, saved from `address`; StoreFull (nothing written) past the owner's or
        the address's budget. Blocking: call it from a worker thread, never the event loop."""
        run_id, size = secrets.token_hex(8), packed_size(packed)
        b = self.budget
        if size > b.max_bytes:
            raise StoreFull(f"This run ({_mb(size)}) is larger than all saved runs together may be on this server "
                            f"({_mb(b.max_bytes)}, max_saved_mb).")
        with self.lock, self.db:
            if owner is not None:
                self._check(("owner = ?", owner), size, b.max_per_owner, b.max_bytes_per_owner,
                            "You", "max_saved_runs_per_owner", "max_saved_mb_per_owner")
            if address is not None:
                self._check(("address = ?", address), size, b.max_per_address, b.max_bytes_per_address,
                            "Your computer's address", "max_saved_runs_per_address", "max_saved_mb_per_address")
            self._make_room(size)
            self.db.execute("insert into runs (id, name, model, created, steps, config, custom, metrics, weights, "
                            "state, owner, address, size, share) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            (run_id, name, packed.model, time.time(), packed.steps, packed.config, packed.custom,
                             packed.metrics, packed.weights, packed.state, owner, address, size,
                             secrets.token_hex(12)))
        return run_id

    def _check(self, where: tuple[str, str], size: int, max_runs: int, max_bytes: int, who: str,
               runs_setting: str, bytes_setting: str) -> None:
        count, used = self.db.execute(f"select count(*), coalesce(sum(size), 0) from runs where {where[0]}",
                                      (where[1],)).fetchone()
        if count >= max_runs:
            raise StoreFull(f"{who} already keeps {count} saved runs, the most this server allows "
                            f"({runs_setting}): delete some you no longer need, then save again.")
        if used + size > max_bytes:
            raise StoreFull(f"{who} keeps {_mb(used)} of saved runs and this one ({_mb(size)}) would pass "
                            f"{_mb(max_bytes)} ({bytes_setting}): delete some you no longer need, then save again.")

    def _make_room(self, size: int) -> None:
        """Within the server's bounds for one more run of `size` bytes: while over one, the oldest run of
        the holder with the most (runs for the count, bytes for the size) goes. Inside save's transaction."""
        while True:
            count, used = self.db.execute("select count(*), coalesce(sum(size), 0) from runs").fetchone()
            by_count = count + 1 > self.budget.max_runs
            if not by_count and used + size <= self.budget.max_bytes:
                return
            order = "count(*)" if by_count else "sum(size)"
            holder, held = self.db.execute(f"select {_HOLDER}, {order} from runs group by {_HOLDER} "
                                           f"order by {order} desc, min(created) asc limit 1").fetchone()
            run_id, owner_of = self.db.execute(f"select id, owner from runs where {_HOLDER} = ? "
                                               "order by created asc limit 1", (holder,)).fetchone()
            self.db.execute("delete from runs where id = ?", (run_id,))
            log.warning("saved runs full (%s): removed run %s, the oldest of the largest holder (%s, %s %s)",
                        "count" if by_count else "size", run_id, holder or "unknown address", held,
                        "runs" if by_count else "bytes")

    def list(self, owner: str) -> list[dict]:
        """The runs of one owner, newest first, with their share keys (only the owner sees them)."""
        keys = ("id", "name", "model", "created", "steps", "bytes", "share")
        with self.lock:
            rows = self.db.execute("select id, name, model, created, steps, size, share from runs where owner = ? "
                                   "order by created desc", (owner,)).fetchall()
        return [dict(zip(keys, r)) for r in rows]

    def get(self, run_id: str, owner=_ANY) -> dict | None:
        """{"id", "name", "model", "steps", "weights", "owner", "packed": PackedRun}, or None. With
        `owner`, only if that owner holds the run (None otherwise, as for no run)."""
        return self._get(run_id, owner, None)

    def shared(self, run_id: str, share: str) -> dict | None:
        """The run as get() gives it, only if `share` is its share key (a trained-run link)."""
        return self._get(run_id, _ANY, share)

    def _get(self, run_id: str, owner, share: str | None) -> dict | None:
        with self.lock:
            row = self.db.execute("select id, name, model, steps, config, custom, metrics, weights, state, owner, "
                                  "share from runs where id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        run_id, name, model, steps, config, custom, metrics, weights, state, stored_owner, stored_share = row
        if share is not None:
            if not (stored_share and secrets.compare_digest(share, stored_share)):
                return None
        elif owner is not _ANY and not _same(owner, stored_owner):
            return None
        packed = PackedRun(model=model, steps=steps, config=config, custom=custom or "null", metrics=metrics,
                           weights=weights, state=state)
        return {"id": run_id, "name": name, "model": model, "steps": steps, "weights": weights, "owner": stored_owner,
                "packed": packed}

    def delete(self, run_id: str, owner: str) -> bool:
        """Delete one run of `owner`; False (nothing deleted) when it is not theirs or not there."""
        with self.lock, self.db:
            row = self.db.execute("select owner from runs where id = ?", (run_id,)).fetchone()
            if row is None or not _same(owner, row[0]):
                return False
            self.db.execute("delete from runs where id = ?", (run_id,))
        return True

    def move(self, owner: str, to: str) -> int:
        """Every run of `owner` becomes `to`'s (a browser's runs, when its teacher names the owner):
        how many moved. Their share keys stay, so links given out go on opening them."""
        with self.lock, self.db:
            return self.db.execute("update runs set owner = ? where owner = ?", (to, owner)).rowcount

    def close(self) -> None:
        with self.lock:
            self.db.close()


def _same(owner: str | None, stored: str | None) -> bool:
    return bool(owner and stored and secrets.compare_digest(owner, stored))


PROBE = "select count(*) from runs"  # reads the table's pages (or its smallest index's): a damaged file says so


def _prepare(db) -> None:
    db.execute(SCHEMA)
    columns = {row[1] for row in db.execute("pragma table_info(runs)")}
    if "state" not in columns:  # a data directory from before runs kept their optimizer state
        db.execute("alter table runs add column state blob")
    if "owner" not in columns:  # a data directory from before owners: its runs stay nobody's
        db.execute("alter table runs add column owner text")
    db.execute("create index if not exists runs_owner on runs (owner)")
    for name, kind in ADDED.items():  # columns of later versions: the saver's address, the size, the share key
        if name not in columns:
            db.execute(f"alter table runs add column {name} {kind}")
    db.execute("create index if not exists runs_address on runs (address)")
    _fill(db)
    db.execute(PROBE).fetchone()


def _fill(db) -> None:
    """Runs from before sizes and share keys (budgets sum the sizes; a trained-run link needs its key)."""
    db.execute(f"update runs set size = {_SIZE} where size is null")
    db.execute("update runs set share = lower(hex(randomblob(12))) where share is null")
