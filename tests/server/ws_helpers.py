"""Helpers for the server tests: a real uvicorn server in a thread, and websocket client helpers.

Every receive has a timeout: a test that waits for a message that never comes fails, it never hangs.
"""
from __future__ import annotations

import json
import tempfile
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.sync.client import ClientConnection, connect

from flowscope.server.app import create_app
from flowscope.server.cli import uvicorn_options
from flowscope.server.settings import Settings

RECV_TIMEOUT = 15.0  # seconds any single message may take to arrive (a build under load: several)
# a create waits for its build, and for a room process that is (re)starting: on a loaded 2-core machine
# a fresh process's `import torch` alone took over 20 s
BUILD_TIMEOUT = 60.0


@dataclass
class LiveServer:
    app: Any
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread
    port: int
    sock: socket.socket

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}/ws"

    @property
    def rooms(self):
        return self.app.state.rooms

    def connect(self, **kwargs) -> ClientConnection:
        return ws_connect(self.ws_url, **kwargs)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.http_url + path, timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "uvicorn did not shut down within 10 s"
        self.sock.close()


def start_server(sndbuf: int | None = None, **overrides) -> LiveServer:
    """uvicorn in a thread on a socket bound here (port 0: no race for a free port).
    `sndbuf` caps SO_SNDBUF on the listening socket, which accepted connections inherit (Linux): a stalled
    reader then fills its buffers in a second instead of the ~4 MB loopback autotuning allows."""
    # saved runs go to a fresh temporary folder, never the user's data directory
    # every test connects from 127.0.0.1, so the per-address limits are lifted here (tests of the limits
    # set them back); rooms of earlier tests stay for their grace period
    # rooms run as threads here unless a test asks for room processes (each takes seconds to start)
    base = dict(open_browser=False, send_timeout=2.0, room_processes=0, max_sessions=1000, data_dir=tempfile.mkdtemp(prefix="fs-runs-"),
                max_sessions_per_client=1000, max_viewers_per_client=1000, join_failures_burst=10_000,
                max_saved_runs_per_address=10_000, max_connections_per_client=10_000,
                max_worker_processes=64)  # and the workers of lingering rooms
    settings = Settings(**{**base, **overrides})
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sndbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                            **{**uvicorn_options(settings), "timeout_graceful_shutdown": 2})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # room processes (room_processes > 0) take seconds to start
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        thread.join(timeout=5)
        raise RuntimeError("uvicorn did not start")
    pool = app.state.rooms.pool  # the server answers before its room processes are warm: tests wait for them
    while pool is not None and pool.warm < settings.room_processes and time.monotonic() < deadline:
        time.sleep(0.02)
    return LiveServer(app, settings, server, thread, port, sock)


# ----- client helpers ----------------------------------------------------------------------------
def ws_connect(url: str, **kwargs) -> ClientConnection:
    kwargs.setdefault("open_timeout", 5)
    kwargs.setdefault("close_timeout", 2)
    kwargs.setdefault("max_size", 64 << 20)
    kwargs.setdefault("compression", None)
    return connect(url, **kwargs)


def _recv(ws: ClientConnection, timeout: float):
    """ws.recv, passing over `roster` messages (the owner's list of who is watching): the tests here
    are about the stream of training frames; test_rooms asks for rosters explicitly."""
    deadline = time.monotonic() + timeout
    while True:
        raw = ws.recv(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(raw, str) and raw.startswith('{"type":"roster"'):
            continue
        return raw


def send(ws: ClientConnection, msg: dict | str) -> None:
    ws.send(msg if isinstance(msg, str) else json.dumps(msg))


def recv(ws: ClientConnection, timeout: float = RECV_TIMEOUT) -> dict:
    """The next message, parsed; fails the test if none comes within `timeout`."""
    try:
        raw = _recv(ws, timeout=timeout)
    except TimeoutError:
        pytest.fail(f"no message within {timeout} s")
    assert isinstance(raw, str), f"server sent a binary frame: {raw[:80]!r}"
    msg = json.loads(raw)
    assert isinstance(msg, dict) and "type" in msg, raw[:200]
    return msg


def recv_raw(ws: ClientConnection, timeout: float = RECV_TIMEOUT) -> str:
    try:
        raw = _recv(ws, timeout=timeout)
    except TimeoutError:
        pytest.fail(f"no message within {timeout} s")
    assert isinstance(raw, str)
    return raw


def recv_type(ws: ClientConnection, type_: str, timeout: float = RECV_TIMEOUT,
              skipped: list | None = None) -> dict:
    """Read until a message of `type_` arrives (others are skipped, or collected into `skipped`)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no '{type_}' message within {timeout} s (skipped: {skipped})")
        try:
            raw = _recv(ws, timeout=left)
        except TimeoutError:
            pytest.fail(f"no '{type_}' message within {timeout} s")
        if isinstance(raw, bytes):  # a binary frame (a network's field) is never a typed JSON message
            continue
        msg = json.loads(raw)
        if msg.get("type") == type_:
            return msg
        if skipped is not None:
            skipped.append(msg)


def recv_until(ws: ClientConnection, predicate, timeout: float = RECV_TIMEOUT,
               skipped: list | None = None) -> dict:
    """Read until a message satisfies `predicate` within `timeout` seconds in all (a stream that never
    stops, as while playing, cannot keep the test waiting); earlier ones go into `skipped`."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no matching message within {timeout} s")
        try:
            raw = _recv(ws, timeout=left)
        except TimeoutError:
            pytest.fail(f"no matching message within {timeout} s")
        assert isinstance(raw, str), f"server sent a binary frame: {raw[:80]!r}"
        msg = json.loads(raw)
        if predicate(msg):
            return msg
        if skipped is not None:
            skipped.append(msg)


def paused_state(msg: dict) -> bool:
    return msg["type"] == "state" and msg["playing"] is False


def expect_silence(ws: ClientConnection, seconds: float = 0.3) -> None:
    """Assert that nothing arrives for `seconds`."""
    try:
        raw = _recv(ws, timeout=seconds)
    except TimeoutError:
        return
    pytest.fail(f"unexpected message: {str(raw)[:200]}")


def drain(ws: ClientConnection, quiet: float = 0.2, limit: float = RECV_TIMEOUT) -> list[dict]:
    """Everything that arrives until the socket has been quiet for `quiet` seconds (at most `limit`)."""
    out = []
    deadline = time.monotonic() + limit
    while True:
        if time.monotonic() > deadline:
            pytest.fail(f"the server never went quiet within {limit} s")
        try:
            raw = _recv(ws, timeout=quiet)
        except TimeoutError:
            return out
        out.append(json.loads(raw))


def create(ws: ClientConnection, model: str = "neuron", config: dict | None = None) -> tuple[dict, dict, dict]:
    """Create a session; returns its (session, dataset, state) replies, checked in that order."""
    send(ws, {"type": "create", "model": model, "config": config or {}})
    session = recv(ws, timeout=BUILD_TIMEOUT)
    assert session["type"] == "session", session
    dataset = recv(ws)
    assert dataset["type"] == "dataset", dataset
    state = recv(ws)
    assert state["type"] == "state", state
    return session, dataset, state


def expect(ws: ClientConnection, type_: str, timeout: float = 30) -> dict:
    """The next text message of that type, passing over the rest; an `error` on the way fails the test."""
    while True:
        raw = ws.recv(timeout=timeout)
        if isinstance(raw, bytes):
            continue
        msg = json.loads(raw)
        if msg["type"] == "error" and type_ != "error":
            raise AssertionError(f"wanted {type_}, got an error: {msg['message']}")
        if msg["type"] == type_:
            return msg


def join(ws: ClientConnection, code: str, **extra) -> tuple[dict, dict, dict]:
    """Join a room (`extra`: a token, a name); returns its (session, dataset, state) replies, checked in
    that order (a trained room's `metrics` so far, its lesson, and the stage its owner has lit come
    between dataset and state; the state rides a mailbox, so a lit stage may also follow it)."""
    send(ws, {"type": "join", "session": code, **extra})
    session, dataset = recv(ws), recv(ws)
    assert [session["type"], dataset["type"]] == ["session", "dataset"], (session, dataset)
    while (state := recv(ws))["type"] != "state":
        assert state["type"] in ("metrics", "lesson", "locks", "stage"), state
    return session, dataset, state


def command(ws: ClientConnection, msg: dict, until: str = "state", timeout: float = RECV_TIMEOUT) -> list[dict]:
    """Send `msg`; return every message up to and including the first `until` one."""
    send(ws, msg)
    got: list[dict] = []
    last = recv_type(ws, until, timeout, skipped=got)
    return got + [last]


def get_state(ws: ClientConnection) -> dict:
    """A fresh `state` without changing anything: `pause` while paused only re-sends the snapshot."""
    replies = command(ws, {"type": "pause"})
    assert [m["type"] for m in replies] == ["state"], replies
    return replies[-1]


# ----- a websocket by hand: for headers a client library won't forge, and for a reader that stalls
def raw_handshake(port: int, host: str | None = None, origin: str | None = None,
                  rcvbuf: int | None = None) -> tuple[socket.socket, int]:
    """Open a TCP socket to 127.0.0.1:port and send the websocket upgrade by hand.
    Returns (the socket, the HTTP status of the answer); 101 means the websocket is open.
    `rcvbuf` is set before connecting, so the TCP window the server sees stays small."""
    import base64
    import os

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET /ws HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:  # read the answer's head only, byte by byte: leave frames unread
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return sock, status


def masked_frame(text: str) -> bytes:
    """One client → server text frame (clients must mask)."""
    import os
    import struct

    payload = text.encode()
    n = len(payload)
    header = bytes([0x81])
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 1 << 16:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
