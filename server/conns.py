"""Connections at the socket, before any request exists: open connections per client address, and how
long a request may take to arrive (slowloris).

uvicorn times out only an idle keep-alive connection (after a response, `timeout_keep_alive`); a
connection that sends half its headers, or half a declared body, and then nothing, was held for good.
At a 1,024 open-file limit 1,100 such connections from one client made every request fail: the server
could not accept any more. So, per connection: the request (headers, and its body) must have arrived
`request_timeout` seconds after the connection opened or the last response ended, or the connection is
closed; and each address may hold `max_connections_per_client` connections at once (more are closed as
they are accepted). A request's headers may be `MAX_HEADER_BYTES` long (431 past them); bodies are
bounded by `hosts.BodyLimit`; a websocket that stops answering pings by uvicorn's
`ws_ping_interval`/`ws_ping_timeout` (20 s each).

Both are checks at the socket, so they are protocol classes (uvicorn takes a class for `http` and
`ws`): the HTTP protocol uvicorn would pick, and its websocket protocol, which takes over a connection
at the upgrade, each told of the connection's start and end. A reverse proxy named in
`forwarded_allow_ips` carries every client's connections: its address has no cap.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter

log = logging.getLogger("flowscope.edge")
# a request's line and headers, at most (h11 stops at 16 KiB; httptools, uvicorn's choice when installed,
# has no limit: 31 MB of one header arrived in 4 s and the server held it all)
MAX_HEADER_BYTES = 64 << 10
TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
             b"connection: close\r\ncontent-length: 33\r\n\r\nRequest headers are over 64 KiB.\n")


class Guard:
    """The open connections of one server, counted per client address."""

    def __init__(self, per_address: int, request_timeout: float, exempt: frozenset[str] = frozenset()):
        self.per_address, self.request_timeout, self.exempt = per_address, request_timeout, exempt
        self.open: Counter[str] = Counter()
        self.address: dict[object, str] = {}  # transport → its client's address
        self.refused = self.timed_out = 0  # counts, for the log and for tests

    def admit(self, transport) -> bool:
        """Count a new connection; False (and the connection closed) when its address holds its share."""
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else "local"  # a Unix socket: one peer
        if "*" not in self.exempt and address not in self.exempt and self.open[address] >= self.per_address:
            self.refused += 1
            if self.refused in (1, 100) or self.refused % 10_000 == 0:
                log.warning("%s holds %d connections, as many as one address may (max_connections_per_client): "
                            "further ones are closed (%d so far)", address, self.open[address], self.refused)
            transport.abort()
            return False
        self.open[address] += 1
        self.address[transport] = address
        return True

    def release(self, transport) -> None:
        address = self.address.pop(transport, None)
        if address is not None:
            self.open[address] -= 1
            if not self.open[address]:
                del self.open[address]


def protocols(http_base: type[asyncio.Protocol], ws_base: type[asyncio.Protocol] | None, guard: Guard) -> dict:
    """uvicorn's `http` and `ws` options: its own protocol classes with the guard around them."""

    class GuardedHTTP(http_base):
        _deadline: asyncio.TimerHandle | None = None
        _admitted = False
        _head = 0  # bytes received while a request's headers are incomplete

        def connection_made(self, transport) -> None:
            if not guard.admit(transport):
                return  # closed: uvicorn never hears of it
            self._admitted = True
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(guard.request_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.get_protocol() is self and not self.transport.is_closing():  # not upgraded
                guard.timed_out += 1
                self.transport.abort()

        def data_received(self, data: bytes) -> None:
            if self.cycle is None or self.cycle.response_complete:  # no request's headers are complete yet
                self._head += len(data)
            super().data_received(data)
            if self.transport.get_protocol() is not self:  # a websocket has taken the connection
                return self._disarm()
            cycle = self.cycle
            if cycle is None or cycle.response_complete:
                if self._head > MAX_HEADER_BYTES and not self.transport.is_closing():
                    self.transport.write(TOO_LARGE)
                    self.transport.close()
                return
            self._head = 0
            if not cycle.more_body:
                self._disarm()  # the request is all here

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection has as long

        def connection_lost(self, exc) -> None:
            if not self._admitted:
                return
            self._disarm()
            guard.release(self.transport)
            super().connection_lost(exc)

    out = {"http": GuardedHTTP}
    if ws_base is not None:
        class GuardedWS(ws_base):
            def connection_lost(self, exc) -> None:
                guard.release(self.transport)
                super().connection_lost(exc)

        out["ws"] = GuardedWS
    return out


def edge_protocols(settings) -> dict:
    """The protocol classes for one server with `settings` (cli.uvicorn_options)."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    proxies = frozenset(a.strip() for a in (settings.forwarded_allow_ips or "").split(",") if a.strip())
    guard = Guard(settings.max_connections_per_client, settings.request_timeout, proxies)
    return protocols(AutoHTTPProtocol, AutoWebSocketsProtocol, guard)
