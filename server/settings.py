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
    # join attempts that fail (unknown room, wrong token) per address: a token bucket of this size that
    # refills at join_failures_per_minute; past it every join waits. See sessions.JoinLimiter for the
    # arithmetic that makes guessing a room impractical.
    join_failures_burst: int = Field(20, ge=1)
    join_failures_per_minute: float = Field(30.0, gt=0)
    # saved runs in the data directory: all of them, and per owner token
    max_saved_runs: int = Field(1000, ge=1)
    max_saved_mb: float = Field(1024.0, gt=0)
    max_saved_runs_per_owner: int = Field(100, ge=1)
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
