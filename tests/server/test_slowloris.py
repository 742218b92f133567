"""Slowloris (issue 20, case 5): connections that never finish their request must not lock anyone out.

The real `flowscope` command runs under `prlimit --nofile=200` (its open-file limit). One client address
(127.0.0.1) opens 260 connections that each stop half-way: headers without their blank line, a POST
whose declared body never comes, a websocket handshake cut short. Before, the server held every one,
ran out of files and accepted nothing more: every request, from anyone, failed. Now each address may
hold `max_connections_per_client` connections (the rest are closed as they arrive), and a request that
has not arrived `request_timeout` seconds after its connection opened is closed: another address is
served at once, the flooding address again once its half-open connections time out.
"""
from __future__ import annotations

import shutil
import socket
import time

import httpx
import pytest

from cliproc import start
from ws_helpers import ws_connect

NOFILE = 200  # the server's open-file limit
FLOOD = 260  # half-open connections from one address: more than the server could hold
CAP = 32  # max_connections_per_client for this server
TIMEOUT = 1.5  # request_timeout for this server
OTHER = "127.0.0.2"  # another client address (all of 127/8 is loopback on Linux)

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs util-linux prlimit")


def half_requests(port: int) -> list[bytes]:
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    return [b"GET /api/health HTTP/1.1\r\n" + host + b"X-Slow: 1\r\n",  # no blank line: headers never end
            b"POST /api/scale HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{",
            b"GET /ws HTTP/1.1\r\n" + host + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Version: 13\r\n"]  # a handshake cut short


def flood(port: int) -> list[socket.socket]:
    socks, parts = [], half_requests(port)
    for i in range(FLOOD):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(parts[i % len(parts)])
        except OSError:
            pass  # closed as it arrived: the cap at work
        socks.append(s)
    return socks


def closed_by_server(s: socket.socket) -> bool:
    s.settimeout(0.05)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except OSError:  # timeout: still open
        return False


def health_from(port: int, address: str, timeout: float = 3.0) -> int:
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport, timeout=timeout) as client:
        return client.get(f"http://127.0.0.1:{port}/api/health").status_code


def settled(cli):
    """The server once its background torch import is over (`device` known): that import holds the
    interpreter for seconds, which would make every timing here a measure of it."""
    deadline = time.monotonic() + 90
    while (cli.health(timeout=5) or {}).get("device") is None:
        assert time.monotonic() < deadline, "torch was not imported within 90 s"
        time.sleep(0.2)
    return cli


def test_half_open_connections_from_one_address_lock_nobody_out(tmp_path):
    env = {"FLOWSCOPE_REQUEST_TIMEOUT": str(TIMEOUT), "FLOWSCOPE_MAX_CONNECTIONS_PER_CLIENT": str(CAP)}
    cli = settled(start(tmp_path, "--room-processes", "0", env=env,
                        wrap=("prlimit", f"--nofile={NOFILE}:{NOFILE}")))
    socks: list[socket.socket] = []
    try:
        socks = flood(cli.port)
        # another address is served at once, over HTTP and over a websocket
        t0 = time.monotonic()
        assert health_from(cli.port, OTHER) == 200
        other_s = time.monotonic() - t0
        raw = socket.create_connection(("127.0.0.1", cli.port), timeout=3, source_address=(OTHER, 0))
        with ws_connect(f"ws://127.0.0.1:{cli.port}/ws", sock=raw) as ws:
            ws.send('{"type":"nonsense"}')
            assert '"error"' in ws.recv(timeout=3)
        # the flooding address's half-open connections are all closed within the request timeout
        deadline = time.monotonic() + TIMEOUT + 5
        while not all(closed_by_server(s) for s in socks):
            assert time.monotonic() < deadline, (
                f"{sum(not closed_by_server(s) for s in socks)} half-open connections still open "
                f"{TIMEOUT + 5} s after they stalled")
            time.sleep(0.1)
        # and that address is served again
        t0 = time.monotonic()
        assert health_from(cli.port, "127.0.0.1") == 200
        print(f"\n{FLOOD} half-open connections at nofile {NOFILE}: another address answered in {other_s:.3f} s; "
              f"the flooder's own request after they timed out in {time.monotonic() - t0:.3f} s")
        assert cli.proc.poll() is None
    finally:
        for s in socks:
            s.close()
        cli.stop()


def read_response(s: socket.socket) -> bytes:
    reply = b""
    while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < length(reply):
        chunk = s.recv(4096)
        assert chunk, "the server closed a request that arrived within its timeout"
        reply += chunk
    return reply


def length(reply: bytes) -> int:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def test_a_slow_but_steady_request_is_not_cut(server_factory):
    """The timeout is for the whole request, not per byte: one sent within it is answered; a keep-alive
    connection gets the same time again for its next request."""
    srv = server_factory(request_timeout=4.0)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        for _ in range(2):  # two requests on one connection, each trickled over ~0.6 s
            for part in (b"GET /api/health HTTP/1.1\r\n", f"Host: {srv.host}\r\n".encode(), b"\r\n"):
                s.sendall(part)
                time.sleep(0.3)
            assert read_response(s).startswith(b"HTTP/1.1 200")
            time.sleep(0.2)
    with srv.connect() as ws:  # a websocket is past its request: it outlives the timeout
        time.sleep(4.5)
        ws.send('{"type":"nonsense"}')
        assert '"error"' in ws.recv(timeout=5)


def test_headers_past_64_kib_are_refused(live_server):
    """httptools, uvicorn's parser when installed, has no limit on headers: one connection sent 31 MB of
    one header in 4 s and the server kept it all. Now the connection gets 431 and closes at 64 KiB."""
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: " + live_server.host.encode() + b"\r\nX-Big: ")
        sent, chunk = 0, b"a" * (64 << 10)
        try:
            while sent < 8 << 20:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # reset: the server closed it
        try:
            reply = s.recv(4096)
        except OSError:
            reply = b""
        assert sent < 8 << 20 or reply.startswith(b"HTTP/1.1 431"), f"{sent} bytes of headers taken, reply {reply[:40]!r}"
        assert not reply or reply.startswith(b"HTTP/1.1 431"), reply[:80]


class FakeTransport:
    def __init__(self, address: str):
        self.address, self.aborted = address, False

    def get_extra_info(self, name):
        return (self.address, 40000) if name == "peername" else None

    def abort(self):
        self.aborted = True


def test_a_trusted_proxy_carries_everyone_and_has_no_cap():
    """Behind a reverse proxy named in forwarded_allow_ips every client's connection comes from the
    proxy's address: capping it would cap the whole class. Other addresses keep their cap, and a closed
    connection gives its place back."""
    from flowscope.server.conns import Guard

    guard = Guard(per_address=2, request_timeout=1.0, exempt=frozenset({"10.0.0.1"}))
    proxied = [FakeTransport("10.0.0.1") for _ in range(5)]
    assert all(guard.admit(t) for t in proxied)
    direct = [FakeTransport("10.0.0.9") for _ in range(3)]
    assert [guard.admit(t) for t in direct] == [True, True, False] and direct[2].aborted
    guard.release(direct[0])
    assert guard.admit(FakeTransport("10.0.0.9"))
