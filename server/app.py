"""The FastAPI app: the page, a health check, the schema, and the `/ws` websocket."""
from __future__ import annotations

import asyncio
import contextlib
from importlib import resources
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.middleware.trustedhost import TrustedHostMiddleware

import engine
from engine.device import best_device, torch_version

from .protocol import CLIENT, QUERIES, Create, ErrorMsg, Join, json_schema, validate_config
from .sessions import Registry, RoomFull
from .settings import Settings
from .wire import Client, encode, writer_task

FRONTEND = resources.files("frontend")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    registry = Registry(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        registry.close()

    app = FastAPI(title="Flowscope", version=engine.__version__, lifespan=lifespan)
    app.state.settings, app.state.registry = settings, registry
    if settings.loopback:
        # DNS rebinding: a page on another name must not reach a loopback-only server
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]", "::1", "testserver"])

    @app.get("/api/health")
    def health(s: SettingsDep):
        return {"status": "ok", "version": engine.__version__, "torch": torch_version(), "device": best_device(),
                "sessions": len(registry.sessions)}

    @app.get("/api/schema")
    def schema():
        return JSONResponse(json_schema(settings.max_width))

    @app.get("/")
    @app.get("/room/{code}")
    def index(code: str | None = None):
        return FileResponse(str(FRONTEND / "index.html"), headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=str(FRONTEND)), name="static")

    @app.websocket("/ws")
    async def ws(socket: WebSocket):
        if not origin_allowed(socket, settings):
            await socket.close(code=1008, reason="origin not allowed")
            return
        await socket.accept()
        client = Client(socket, settings.send_timeout, settings.max_queue)
        with writer_task(client):
            reader = asyncio.create_task(read_loop(socket, client, registry, settings))
            dropped = asyncio.create_task(client.dropped.wait())
            await asyncio.wait({reader, dropped}, return_when=asyncio.FIRST_COMPLETED)
            for task in (reader, dropped):
                task.cancel()
        registry.leave(client)

    return app


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def origin_allowed(socket: WebSocket, settings: Settings) -> bool:
    """Browsers always send Origin: accept our own pages (same host:port) and listed origins only.
    CORS middleware does not cover websockets, so this check is the protection."""
    origin = socket.headers.get("origin")
    if origin is None:
        return True  # not a browser (a script, a test): nothing to forge
    if origin in settings.allowed_origins:
        return True
    return urlsplit(origin).netloc == socket.headers.get("host")


async def read_loop(socket: WebSocket, client: Client, registry: Registry, settings: Settings) -> None:
    def reply(message: str, code: str = "bad_message") -> None:
        client.push(encode(ErrorMsg(message=message, code=code)))

    while True:
        event = await socket.receive()
        if event["type"] == "websocket.disconnect":
            return
        text = event.get("text")
        if text is None:
            reply("Binary frames are not accepted: send JSON text messages (see docs/protocol.md).")
            continue
        if len(text) > settings.max_message_bytes:
            reply(f"Message too large: {len(text)} characters (the limit is {settings.max_message_bytes}).", "too_large")
            continue
        try:
            msg = CLIENT.validate_json(text)
        except ValidationError as exc:
            reply(describe(exc, text))
            continue
        dispatch(msg, client, registry, reply)


def dispatch(msg, client: Client, registry: Registry, reply) -> None:
    if isinstance(msg, Create):
        try:
            registry.create(msg.model, validate_config(msg.model, msg.config, registry.settings.max_width), client)
        except ValidationError as exc:
            reply(describe(exc, None, prefix="config"))
        except ValueError as exc:
            reply(str(exc))
        return
    if isinstance(msg, Join):
        try:
            registry.join(msg.session, client)
        except KeyError as exc:
            reply(exc.args[0], "no_session")
        except RoomFull as exc:
            reply(str(exc), "busy")
        return
    session = registry.session_of(client)
    if session is None:
        reply("No session yet: send create (or join a room) first.", "no_session")
    elif session.role(client) != "owner" and not isinstance(msg, QUERIES):
        reply(f"You are watching room {session.code}: only its owner can drive it.", "not_owner")
    else:
        session.runner.submit(msg, client)


def describe(exc: ValidationError, text: str | None, prefix: str = "") -> str:
    """One readable sentence from pydantic's error list."""
    err = exc.errors()[0]
    if err["type"] == "json_invalid":
        return f"Not valid JSON: {err['msg'].removeprefix('Invalid JSON: ')}."
    loc = [str(p) for p in err["loc"]]
    if text is not None and loc and loc[0] in CLIENT_TYPES:
        loc = loc[1:]  # drop the union tag pydantic puts first
    where = ".".join(([prefix] if prefix else []) + loc)
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return f"Unknown or missing message type: expected one of {', '.join(sorted(CLIENT_TYPES))}."
    return f"{where}: {err['msg']}" if where else err["msg"]


CLIENT_TYPES = frozenset(CLIENT.json_schema()["discriminator"]["mapping"])
