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
from starlette.middleware.trustedhost import TrustedHostMiddleware

import flowscope
from flowscope.engine.device import best_device, torch_version

from .dispatch import LESSONS, Rooms, read_loop
from .lessons import Lesson
from .protocol import json_schema
from .scale import router as scale_router
from .sessions import Registry
from .settings import Settings
from .store import RunStore
from .wire import Client, writer_task

FRONTEND = resources.files("flowscope.frontend")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    registry = Registry(settings)
    store = RunStore(settings.data_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        registry.close()
        store.close()

    app = FastAPI(title="Flowscope", version=flowscope.__version__, lifespan=lifespan)
    app.state.settings, app.state.registry, app.state.store = settings, registry, store
    if settings.loopback or settings.classroom:
        # DNS rebinding: a page on another name must not reach us; classroom mode adds the LAN names
        hosts = ["127.0.0.1", "localhost", "[::1]", "::1", "testserver", *settings.allowed_hosts]
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    @app.get("/api/health")
    def health(s: SettingsDep):
        return {"status": "ok", "version": flowscope.__version__, "torch": torch_version(), "device": best_device(),
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

    @app.get("/descent")
    def descent():
        """The descent page: the loss terrain, optimizers racing on it, the training tricks."""
        return FileResponse(str(FRONTEND / "descent.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/scale")
    def scale_page():
        """The scale page: from one neuron to 405B parameters, formulas beside measurements."""
        return FileResponse(str(FRONTEND / "scale.html"), headers={"Cache-Control": "no-cache"})

    app.include_router(scale_router)
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


