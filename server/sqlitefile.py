"""Opening the server's SQLite files (rooms.sqlite3, runs.sqlite3) so that neither a busy nor a damaged
file stops it.

Busy: every connection is in WAL mode (a reader never waits for a writer, so a room being brought back
reads its checkpoint while another process writes a big one) and waits up to BUSY_SECONDS for the write
lock instead of Python's 5 s, after which "database is locked" once lost a room's revival.

Damaged ("file is not a database", "database disk image is malformed"): the file, with its -wal and
-shm, is renamed `<name>.damaged-<UTC time>` — kept, never deleted — and a new one is started; the
caller says in the log what that means for its data and may copy across what can still be read
(`salvage`).
"""
from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

log = logging.getLogger("flowscope.store")
BUSY_SECONDS = 30.0  # how long a statement waits for another connection's write lock


@dataclass
class SetAside:
    """A damaged file moved out of the way at start-up: where it went and why."""

    path: Path  # where the file was (and a new one is now)
    aside: Path  # where the damaged file is kept
    reason: str  # SQLite's words
    codes: set[str] | None = field(default=None)  # rooms.sqlite3: the room codes still readable in it (None: unknown)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode with the long busy timeout (used from several threads, one at a time)."""
    db = sqlite3.connect(path, timeout=BUSY_SECONDS, check_same_thread=False)
    try:
        db.execute("pragma journal_mode=wal")
    except BaseException:
        db.close()
        raise
    return db


def damage(path: Path, probe: str) -> str | None:
    """SQLite's words if the file at `path` is damaged, read without writing to it (its journal mode
    unchanged: a damaged file is kept as it was found); None if it reads, or can't say."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_SECONDS)
    except sqlite3.Error:
        return None
    try:
        table = probe.split()[-1]
        tables = {row[0] for row in db.execute("select name from sqlite_master where type = 'table'")}
        if table in tables:
            db.execute(probe).fetchone()
            # count(*) reads one b-tree (SQLite picks the smallest index): read the table's own and each index's
            db.execute(f"select count(*) from {table} not indexed").fetchone()
            indexes = [row[0] for row in db.execute("select name from sqlite_master where type = 'index' and "
                                                    "tbl_name = ? and sql is not null", (table,))]
            for name in indexes:  # an ordered read of an index's first column walks all of its pages
                column = db.execute(f"pragma index_info({name})").fetchone()[2]
                db.execute(f'select count(*) from (select "{column}" from {table} indexed by {name} '
                           f'order by "{column}")').fetchone()
        return None
    except sqlite3.OperationalError:  # locked, not permitted, a missing -shm: nothing known about the contents
        return None
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        db.close()


def open_checked(path: Path, prepare: Callable[[sqlite3.Connection], None], probe: str,
                 set_aside: bool = True) -> tuple[sqlite3.Connection, SetAside | None]:
    """Connect to `path` and run `prepare` (create tables); if SQLite says the file is damaged (first
    read-only, `probe`: a query that reads the table's pages), move it aside (with `set_aside`) and start
    a new one. Returns the connection and, when a file was set aside, where it went. A locked or
    unreadable file (an OperationalError: permissions, a full disk, a lock held past the timeout) is
    raised as it is: nothing is wrong with its contents."""
    reason = damage(path, probe)
    if reason is not None:
        if not set_aside:
            raise sqlite3.DatabaseError(f"{path}: {reason}")
        return _start_anew(path, prepare, reason)
    try:
        db = connect(path)
        try:
            with db:
                prepare(db)
            return db, None
        except BaseException:
            db.close()
            raise
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        if not set_aside:
            raise
        return _start_anew(path, prepare, str(exc))


def _start_anew(path: Path, prepare, reason: str) -> tuple[sqlite3.Connection, SetAside]:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-journal", "-wal", "-shm"):  # SQLite finds a database's journal by its name: they move together
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.rename(f"{aside}{suffix}")
    db = connect(path)
    with db:
        prepare(db)
    return db, SetAside(path, aside, reason)


def readable_rows(aside: Path, table: str, columns: list[str]) -> tuple[list[tuple], int | None]:
    """The rows of `table` in a damaged file that SQLite can still read, each alone (one bad page loses
    its own rows, not the rest), as tuples of `columns` (a column the file lacks reads None); and how many
    rows it lists (None: not even that could be read)."""
    rows: list[tuple] = []
    try:
        old = sqlite3.connect(f"file:{aside}?mode=ro", uri=True, timeout=BUSY_SECONDS)
    except sqlite3.DatabaseError:
        return rows, None
    try:
        try:
            have = {r[1] for r in old.execute(f"pragma table_info({table})")}
            ids, cursor = [], old.execute(f"select rowid from {table} not indexed")  # the table, not an index
            while True:  # row by row: a listing that breaks half-way still gives its first half
                try:
                    row = cursor.fetchone()
                except sqlite3.DatabaseError:
                    break
                if row is None:
                    break
                ids.append(row[0])
        except sqlite3.DatabaseError:
            return rows, None
        picked = ", ".join(c if c in have else "null" for c in columns)
        for rowid in ids:
            try:
                row = old.execute(f"select {picked} from {table} where rowid = ?", (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                continue
            if row is not None:
                rows.append(row)
        return rows, len(ids)
    finally:
        old.close()
