"""The FastAPI app: the page, a health check, the schema, and the `/ws` websocket."""
from __future__ import annotations

import asyncio
import contextlib
import io
from importlib import resources
from typing import Annotated
from urllib.parse import urlsplit

import segno
from fastapi import Depends, FastAPI, Query, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.middleware.trustedhost import TrustedHostMiddleware

import engine
from engine.checkpoint import from_state_dict_bytes
from engine.device import best_device, torch_version
from engine.trainer import Trainer

from .lessons import Lesson, load_all
from .protocol import (CLIENT, QUERIES, Create, ErrorMsg, Fork, Handover, Join, LessonMove, Load, Reclaim, Save,
                       SavedMsg, json_schema, validate_config)
from .runner import Export
from .sessions import Registry, RoomFull, TooMany
from .settings import Settings
from .store import RunStore
from .wire import Client, encode, writer_task

FRONTEND = resources.files("frontend")
LESSONS = load_all()  # validated at import: a broken lesson file stops the server, not the class


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    registry = Registry(settings)
    store = RunStore(settings.data_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        registry.close()
        store.close()

    app = FastAPI(title="Flowscope", version=engine.__version__, lifespan=lifespan)
    app.state.settings, app.state.registry, app.state.store = settings, registry, store
    if settings.loopback or settings.classroom:
        # DNS rebinding: a page on another name must not reach us; classroom mode adds the LAN names
        hosts = ["127.0.0.1", "localhost", "[::1]", "::1", "testserver", *settings.allowed_hosts]
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    @app.get("/api/health")
    def health(s: SettingsDep):
        return {"status": "ok", "version": engine.__version__, "torch": torch_version(), "device": best_device(),
                "sessions": len(registry.sessions)}

    @app.get("/api/schema")
    def schema():
        return JSONResponse(json_schema(settings.max_width))

    @app.get("/api/info")
    def info():
        """What the page needs to show a join link: the URL others use, in classroom mode."""
        return {"classroom": settings.classroom, "public_url": settings.public_url}

    @app.get("/api/qr")
    def qr(text: Annotated[str, Query(max_length=300)]):
        """A QR code (SVG) for a join link, drawn by segno."""
        buf = io.BytesIO()
        segno.make(text, error="m").save(buf, kind="svg", scale=8, border=2)
        return Response(buf.getvalue(), media_type="image/svg+xml")

    @app.get("/api/lessons")
    def lessons():
        return [{"id": k, "title": v.title, "summary": v.summary, "steps": len(v.steps)} for k, v in LESSONS.items()]

    @app.get("/api/lessons/schema")
    def lesson_schema():
        return Lesson.model_json_schema()

    @app.get("/api/lessons/{lesson_id}")
    def lesson(lesson_id: str):
        if lesson_id not in LESSONS:
            return JSONResponse({"detail": f"no lesson '{lesson_id}'"}, status_code=404)
        return LESSONS[lesson_id].model_dump()

    @app.get("/api/runs")
    def runs():
        return store.list()

    @app.get("/api/runs/{run_id}/weights")
    def weights(run_id: str):
        run = store.get(run_id)
        if run is None:
            return JSONResponse({"detail": f"no saved run '{run_id}'"}, status_code=404)
        name = f"flowscope-{run['model']}-{run_id}.pt"  # torch.load(...) gives the state_dict
        return Response(run["weights"], media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

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
            reader = asyncio.create_task(read_loop(socket, client, Rooms(registry, store), settings))
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


class Rooms:
    """What the websocket handler needs: the live sessions and the saved runs."""

    def __init__(self, registry: Registry, store: RunStore):
        self.registry, self.store = registry, store


async def read_loop(socket: WebSocket, client: Client, rooms: Rooms, settings: Settings) -> None:
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
        dispatch(msg, client, rooms, reply)


def dispatch(msg, client: Client, rooms: Rooms, reply) -> None:
    registry = rooms.registry
    if isinstance(msg, Create):
        try:
            registry.create(msg.model, validate_config(msg.model, msg.config, registry.settings.max_width), client)
        except TooMany as exc:
            reply(str(exc), "busy")
        except ValidationError as exc:
            reply(describe(exc, None, prefix="config"))
        except ValueError as exc:
            reply(str(exc))
        return
    if isinstance(msg, Join):
        client.name = msg.name or client.name
        try:
            registry.join(msg.session, client, msg.token)
        except KeyError as exc:
            reply(exc.args[0], "no_session")
        except RoomFull as exc:
            reply(str(exc), "busy")
        except PermissionError as exc:
            reply(str(exc), "not_owner")
        return
    if isinstance(msg, Load):
        return load_run(msg.id, client, rooms, reply)
    session = registry.session_of(client)
    if session is None:
        reply("No session yet: send create (or join a room) first.", "no_session")
    elif isinstance(msg, Reclaim):
        try:
            registry.join(session.code, client, msg.token)
        except PermissionError as exc:
            reply(str(exc), "not_owner")
    elif session.role(client) != "owner" and not isinstance(msg, QUERIES):
        reply(f"You are watching room {session.code}: only its owner can drive it.", "not_owner")
    elif isinstance(msg, LessonMove):
        if msg.id not in LESSONS or msg.step >= len(LESSONS[msg.id].steps):
            reply(f"No step {msg.step} in lesson '{msg.id}'.", "bad_message")
        else:
            session.move_lesson(msg.id, msg.step)
    elif isinstance(msg, Handover):
        try:
            session.handover(msg.to)
        except KeyError as exc:
            reply(exc.args[0], "no_session")
    elif isinstance(msg, Fork):
        def forked(trainer):
            registry.create(session.model, trainer.config.to_dict(), client, trainer)
        session.runner.submit(Export("fork", forked), client)
    elif isinstance(msg, Save):
        def exported(result):
            saved, weights = result
            run_id = rooms.store.save(msg.name, saved, weights)
            client.push(encode(SavedMsg(id=run_id, name=msg.name, steps=saved["steps"])))
        session.runner.submit(Export("save", exported), client)
    else:
        session.runner.submit(msg, client)


def load_run(run_id: str, client: Client, rooms: Rooms, reply) -> None:
    """A saved run comes back as a new session owned by the asker."""
    run = rooms.store.get(run_id)
    if run is None:
        return reply(f"No saved run with id '{run_id}'.", "no_session")
    trainer = Trainer(run["model"], run["config"], rooms.registry.settings.history_steps, custom=run["custom"])
    trainer.restore({"params": from_state_dict_bytes(run["weights"]), "steps": run["steps"]})
    rooms.registry.create(run["model"], run["config"], client, trainer)


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
