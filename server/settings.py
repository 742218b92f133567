"""One Settings object: flags from the CLI, or FLOWSCOPE_* environment variables."""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLOWSCOPE_")

    host: str = "127.0.0.1"  # loopback unless the user opts in to more
    classroom: bool = False  # --classroom: serve the LAN, show a join URL and QR code
    public_url: str | None = None  # how others reach us (classroom mode fills it from the LAN address)
    allowed_hosts: list[str] = []  # Host names accepted besides loopback (classroom mode adds the LAN ones)
    max_sessions_per_client: int | None = None  # per client address (classroom mode: 10)
    port: int = Field(8000, ge=0, le=65535)
    open_browser: bool = True
    allowed_origins: list[str] = []  # besides same-origin pages, which are always allowed
    max_sessions: int = Field(200, ge=1)
    max_clients_per_session: int = Field(200, ge=1)
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
    max_builds: int = Field(2, ge=1)  # models being built at once (off the event loop)
    frame_hz: float = Field(30.0, gt=0, le=240)  # state frames per second while playing, at most
    send_timeout: float = Field(5.0, gt=0)  # a client that can't take a frame this long is dropped
    max_queue: int = Field(2000, ge=10)  # unsent ordered messages per client before it is dropped
    max_message_bytes: int = 1 << 20  # bigger text frames get a `too_large` error
    ws_max_size: int = 16 << 20  # bigger than this and uvicorn closes the socket (1009)

    @property
    def budget(self) -> tuple[float, float]:
        return self.max_model_mb * 2**20, self.max_step_gflop * 1e9

    @property
    def loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")
