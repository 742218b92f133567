"""The real `flowscope` command in a child process, for tests of start-up, shutdown and restarts.

Every wait is bounded and the child's output goes to a file, never a pipe: a pipe nobody reads fills
and stalls the server, and reading a live process's pipe to report a failure blocks for good."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cli:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def health(self, timeout: float = 1.0) -> dict | None:
        try:
            r = httpx.get(f"{self.url}/api/health", timeout=timeout)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None

    def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            got = self.health()
            if got is not None:
                return got
            if self.proc.poll() is not None:
                pytest.fail(f"flowscope exited with {self.proc.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"flowscope did not answer /api/health within {timeout} s:\n{self.output()}")
            time.sleep(0.05)

    def wait_warm(self, timeout: float = 120) -> None:
        """Until every room process serves (each imports torch: seconds, more under load)."""
        deadline = time.monotonic() + timeout
        while (got := self.health()) is None or got["warm"] is not None and got["warm"] < got["room_processes"]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"room processes not warm within {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def stop(self, sig=None, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig) if sig is not None else self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            pytest.fail(f"flowscope still ran {timeout} s after the signal:\n{self.output()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def start(data_dir, *args: str, port: int | None = None, env: dict | None = None, healthy: bool = True,
          wrap: tuple[str, ...] = ()) -> Cli:
    """`flowscope --no-browser` on a free port (or `port`), its data in `data_dir`; waits for /api/health
    unless `healthy` is False. `wrap`: a command it runs under (e.g. `prlimit --nofile=200`)."""
    port = port or free_port()
    fd, log = tempfile.mkstemp(prefix="flowscope-cli-", suffix=".log")
    with os.fdopen(fd, "wb") as out:
        proc = subprocess.Popen([*wrap, sys.executable, "-m", "flowscope.server.cli", "--port", str(port), "--no-browser",
                                 "--data-dir", str(data_dir), *args], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    cli = Cli(proc, port, Path(log))
    if healthy:
        try:
            cli.wait_healthy()
        except BaseException:
            cli.kill()
            raise
    return cli
