"""Fixtures: a real uvicorn server, in-process on a free loopback port (shared, or one per test with
custom Settings), and a websocket connected to the shared one. Helpers live in ws_helpers.py."""
from __future__ import annotations

from typing import Callable, Iterator

import pytest
from websockets.sync.client import ClientConnection

from ws_helpers import LiveServer, start_server


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """One shared server with default settings (every test makes its own session in it); its rooms run
    in two room processes (pool.py), as on a 2-core machine by default."""
    srv = start_server(room_processes=2)
    yield srv
    srv.stop()


@pytest.fixture
def server_factory() -> Iterator[Callable[..., LiveServer]]:
    """make(**settings) → a fresh server with those Settings; all are stopped at teardown."""
    started: list[LiveServer] = []

    def make(**overrides) -> LiveServer:
        srv = start_server(**overrides)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def ws(live_server) -> Iterator[ClientConnection]:
    with live_server.connect() as conn:
        yield conn
