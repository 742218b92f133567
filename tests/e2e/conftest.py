"""Browser tests: a real server in a subprocess and headless Chromium driving the page.

Chromium: $FLOWSCOPE_CHROMIUM, else Debian's /usr/bin/chromium, else Playwright's own build.
Set FLOWSCOPE_E2E_URL to test a server that is already running instead of starting one.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=1) as r:
            return r.status == 200 and json.load(r).get("status") == "ok"
    except OSError:
        return False


@pytest.fixture(scope="session")
def server_url(tmp_path_factory):
    given = os.environ.get("FLOWSCOPE_E2E_URL")
    if given:
        yield given.rstrip("/")
        return
    # every page connects from 127.0.0.1: lift the per-address limits for the whole browser suite
    with running_server(tmp_path_factory, {"FLOWSCOPE_MAX_SESSIONS_PER_CLIENT": "1000",
                                           "FLOWSCOPE_MAX_VIEWERS_PER_CLIENT": "1000",
                                           "FLOWSCOPE_MAX_CONNECTIONS_PER_CLIENT": "10000",
                                           # rooms of earlier tests keep their workers for their grace period
                                           "FLOWSCOPE_MAX_WORKER_PROCESSES": "64"}) as url:
        yield url


@contextlib.contextmanager
def running_server(tmp_path_factory, env: dict):
    """A real `flowscope` on a free port with the settings in `env` (FLOWSCOPE_*): its URL once
    /api/health answers (30 s at most); stopped, bounded, at the end."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowscope.server.cli", "--port", str(port), "--no-browser",
         "--data-dir", str(tmp_path_factory.mktemp("runs"))],  # saved runs stay out of the home folder
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /api/health in 30 s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _chromium_path() -> str | None:
    env = os.environ.get("FLOWSCOPE_CHROMIUM")
    if env:
        return env
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return None  # Playwright's own build


@pytest.fixture(scope="module")  # per module: Playwright's sync API holds a running loop while alive
def browser(tmp_path_factory):
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Frames:
    """Every JSON text frame the page received over its websocket, in order."""

    def __init__(self, page):
        self.items: list[dict] = []
        page.on("websocket", self._attach)

    def _attach(self, ws):
        ws.on("framereceived", self._received)

    def _received(self, payload):
        if isinstance(payload, (bytes, bytearray)):
            return
        try:
            self.items.append(json.loads(payload))
        except ValueError:
            pass

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.items if m.get("type") == kind]

    def last(self, kind: str) -> dict | None:
        found = self.of(kind)
        return found[-1] if found else None


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.errors = []  # uncaught exceptions in the page: every test must end with none
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.frames_seen = Frames(pg)
    yield pg
    errors = list(pg.errors)
    context.close()
    assert not errors, f"page threw: {errors}"


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        page.wait_for_timeout(400)  # let the 250 ms stage animation and the highlight settle
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
