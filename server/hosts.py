"""The edge of the server: which Host names it answers (DNS rebinding), how big a request body may be,
and quiet logs for a client's faults.

DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 (or our LAN address) and then
reads us from the browser as "same origin" — its requests carry `Host: evil.example`. So every bind
answers only its own names: loopback, plus `allowed_hosts` (the CLI adds the LAN names and the bound
address for a non-loopback bind). `allow_any_host` (--allow-any-host) is the explicit opt-out, for a
reverse proxy that checks Host itself.
"""
from __future__ import annotations

import logging

from .settings import LOOPBACK_HOSTS

log = logging.getLogger("flowscope.edge")


def host_name(header: str) -> str:
    """`Host` header → the name without its port ("[::1]:8000" → "[::1]", "a.b:80" → "a.b")."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[:end + 1] if end > 0 else header
    return header.split(":", 1)[0]


class HostCheck:
    """ASGI middleware: HTTP requests for another Host get 400; websockets are refused before the
    handshake (uvicorn answers 403) — a plain HTTP response on a websocket scope is not ASGI and made
    uvicorn log an error for each refusal."""

    def __init__(self, app, allowed: list[str]):
        self.app = app
        self.allowed = frozenset(h.lower() for h in (*LOOPBACK_HOSTS, *allowed))

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        if host in self.allowed:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008, "reason": "host not allowed"})
        body = b"Invalid host header"
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class QuietClientFaults(logging.Filter):
    """uvicorn logs a client's invalid UTF-8 text frame with a full traceback (it then closes the socket
    with 1007, as RFC 6455 §8.1 asks). The client's fault is worth one line, not a stack: keep the
    message, drop the traceback."""

    FAULTS = ("Invalid UTF-8",)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and any(str(record.msg).startswith(f) for f in self.FAULTS):
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_uvicorn() -> None:
    """Install QuietClientFaults on uvicorn's error logger, once."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, QuietClientFaults) for f in logger.filters):
        logger.addFilter(QuietClientFaults())


class BodyLimit:
    """ASGI middleware: an HTTP request body over `limit` bytes gets 413 before the app reads it all
    (FastAPI would hold any size in memory). A declared Content-Length is refused at once; a chunked
    body is counted as it arrives and cut off when it passes the limit."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def refuse(self, send) -> None:
        body = f"Request body too large (the limit is {self.limit} bytes, max_body_bytes)".encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self.refuse(send)
        seen, refused = 0, False

        async def counted():
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    await self.refuse(send)
                    return {"type": "http.disconnect"}  # the app stops reading; its answer goes nowhere
            return message

        async def guarded(message):
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:
                raise  # the app's own fault: ServerErrorMiddleware answers it
