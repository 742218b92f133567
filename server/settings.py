"""One Settings object: flags from the CLI, or FLOWSCOPE_* environment variables.

Every limit a client meets is here, with its default; docs/protocol.md ("Limits") lists them.
"""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def usable_cores() -> int:
    """The cores this process may run on (a container's cpuset, taskset), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or less where a container's cgroup caps it."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 8 << 30
    try:
        capped = Path("/sys/fs/cgroup/memory.max").read_text().strip()  # "max" when not capped
        return min(total, int(capped)) if capped.isdigit() else total
    except OSError:
        return total


WORKER_MB = 400  # one data-parallel worker process: torch, its model copy, gloo (issue 20: 10 added 3.7 GB)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLOWSCOPE_")

    host: str = "127.0.0.1"  # loopback unless the user opts in to more
    classroom: bool = False  # --classroom: serve the LAN, show a join URL and QR code
    public_url: str | None = None  # how others reach us (classroom mode fills it from the LAN address)
    # Host header names accepted besides loopback (the CLI adds the LAN names for a non-loopback bind).
    # The check guards against DNS rebinding on every bind; allow_any_host (--allow-any-host) turns it off,
    # e.g. behind a reverse proxy that checks Host itself.
    allowed_hosts: list[str] = []
    allow_any_host: bool = False
    port: int = Field(8000, ge=0, le=65535)
    open_browser: bool = True
    allowed_origins: list[str] = []
    # reverse proxies whose X-Forwarded-For names the real client (uvicorn's forwarded_allow_ips, e.g.
    # "127.0.0.1" for nginx on this machine); None trusts nobody's: the socket's address is the client's
    forwarded_allow_ips: str | None = None  # besides same-origin pages, which are always allowed
    # ----- fair limits: one client address can't take what others need ----------------------------
    max_sessions: int = Field(200, ge=1)  # rooms on the whole server
    # rooms one client address may hold (created, forked or loaded; empty ones count until they expire).
    # Kept below max_sessions, so one address never fills the server (20 addresses would, at the defaults).
    max_sessions_per_client: int = Field(10, ge=1)
    max_clients_per_session: int = Field(200, ge=1)  # sockets in one room
    max_viewers_per_client: int = Field(3, ge=1)  # sockets one address may have in one room
    # a watcher's read-only queries (landscape, measure, …) in one room: at most this many waiting, and
    # this many seconds of the room's time a minute (rooms/queries.py); the owner's commands go first
    member_queries: int = Field(4, ge=1)
    member_query_seconds: float = Field(10.0, gt=0)
    # join attempts that fail (unknown room, wrong token) per address: a token bucket of this size that
    # refills at join_failures_per_minute; past it every join waits. See sessions.JoinLimiter for the
    # arithmetic that makes guessing a room impractical.
    join_failures_burst: int = Field(20, ge=1)
    join_failures_per_minute: float = Field(30.0, gt=0)
    # saved runs in the data directory (store.Budget): the server's bounds (at them the largest holder's
    # oldest runs make way), and each owner's and each client address's (past them a save is refused)
    max_saved_runs: int = Field(1000, ge=1)
    max_saved_mb: float = Field(1024.0, gt=0)
    max_saved_runs_per_owner: int = Field(100, ge=1)
    max_saved_mb_per_owner: float = Field(512.0, gt=0)
    max_saved_runs_per_address: int = Field(200, ge=1)
    max_saved_mb_per_address: float = Field(512.0, gt=0)
    max_width: int = Field(8, ge=1, le=64)  # units per hidden layer a network may have (teachers may raise it)
    # saved runs live here (a SQLite file); default: $XDG_DATA_HOME/flowscope or ~/.local/share/flowscope
    data_dir: Path = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "flowscope"
    history_steps: int = Field(50, ge=1, le=1000)
    # what one model may cost (engine/transformer/budget.py estimates it before building): past this,
    # create and configure are refused with the figures, rather than one room taking the machine
    max_model_mb: float = Field(2048, gt=0)
    max_step_gflop: float = Field(2000, gt=0)  # ≈ 30 s of this 2-core CPU for one step or loss estimate
    # data-parallel workers (processes) one transformer run may start: --max-workers; default the core count
    max_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    # the whole server's budget (rooms/limits.py), counted over every live room and every build in progress:
    # the memory its models need to train (engine/footprint.py's estimate; default a third of this machine's
    # memory: rooms used about 1.4× the estimate, 6 × 465 MB estimated took 3.9 GB) and the
    # data-parallel worker processes they run (default one per usable core, at least 2, as memory allows)
    max_models_mb: float = Field(default_factory=lambda: machine_memory() / 3 / 2**20, gt=0)
    max_worker_processes: int = Field(default_factory=lambda: max(2, min(usable_cores(), machine_memory() // 2**21
                                                                          // WORKER_MB)), ge=1)
    # processes the rooms train in (pool.py; --room-processes): one per core this process may use, at
    # most 8 by default (each holds torch: about 250 MB); 0 runs every room's runner as a thread of the
    # web process (one interpreter lock for all: busy rooms slow the rest)
    room_processes: int = Field(default_factory=lambda: min(8, usable_cores()), ge=0, le=256)
    max_builds: int = Field(2, ge=1)  # models being built at once (off the event loop)
    frame_hz: float = Field(30.0, gt=0, le=240)  # state frames per second while playing, at most
    send_timeout: float = Field(5.0, gt=0)  # a client that can't take a frame this long is dropped
    max_queue: int = Field(2000, ge=10)  # unsent ordered messages per client before it is dropped
    max_message_bytes: int = 1 << 20  # bigger text frames (in UTF-8 bytes) get a `too_large` error
    max_body_bytes: int = Field(64 << 10, ge=1024)  # bigger HTTP request bodies (POST /api/scale) get 413
    # at the socket (conns.py): a request's headers and body must have arrived this long after the connection
    # opened (or its last response ended), else it is closed; connections one address may hold at once
    request_timeout: float = Field(10.0, gt=0)
    max_connections_per_client: int = Field(64, ge=1)
    ws_max_size: int = 16 << 20  # bigger than this and uvicorn closes the socket (1009)
    shutdown_seconds: float = Field(1.5, gt=0)  # Ctrl+C/SIGTERM: how long training threads get to stop
    # …and past that, how long checkpoints being written then may take to finish (a 290 MB one took 2–4.5 s)
    checkpoint_wait_seconds: float = Field(30.0, ge=0)
    # a test hook for a slow disk: each checkpoint write holds its transaction open this long (0 in use)
    checkpoint_delay: float = Field(0.0, ge=0)
    # rooms outlive the server: checkpointed to the data directory (roomstore.py) and kept this long
    # after their last change; the same code then brings the same run back, its owner's token still owns it
    persist_rooms: bool = True
    room_days: float = Field(1.0, gt=0)

    @property
    def budget(self) -> tuple[float, float]:
        return self.max_model_mb * 2**20, self.max_step_gflop * 1e9

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS
