"""The FastAPI app: the page, a health check, the schema, and the `/ws` websocket."""
from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import threading
from importlib import resources
from typing import Annotated
from urllib.parse import urlsplit

import segno
from fastapi import Depends, FastAPI, Header, Path, Query, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

import flowscope
from flowscope.engine.device import best_device, load_torch, torch_version

from .dispatch import LESSONS, read_loop
from .owners import ASKS_BURST, ASKS_PER_MINUTE, OwnerName, clean_name, owner_key
from .rooms.limits import JoinLimiter, TooMany
from .hosts import BodyLimit, HostCheck, quiet_uvicorn
from .lessons import Lesson
from .protocol import json_schema
from .scale import router as scale_router
from .rooms.pool import Pool
from .roomstore import RoomStore
from .rooms.rooms import Rooms
from .settings import Settings
from .store import RUN_ID_PATTERN, Budget, RunStore
from .wire import Client, writer_task

FRONTEND = resources.files("flowscope.frontend")
HTML = {200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "the page"}}
SVG = {200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}, "description": "a QR code"}}
BLOB = {200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
              "description": "torch.save bytes of the state_dict"}, 404: {"description": "no such run of yours"}}
GONE = {204: {"description": "deleted"}, 404: {"description": "no such run of yours"}}
# A saved run's owner token travels as this header (the page's list) or as ?token= (a download link)
OwnerHeader = Annotated[str | None, Header(alias="x-flowscope-token", pattern=r"^[A-Za-z0-9_-]{1,64}$")]
OwnerQuery = Annotated[str | None, Query(alias="token", pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    checkpoints = (RoomStore(settings.data_dir, settings.room_days, settings.checkpoint_delay)
                   if settings.persist_rooms else None)  # first: a damaged file is set aside before rooms run
    store = RunStore(settings.data_dir, Budget.of(settings))
    rooms = Rooms(settings, checkpoints, store=store)  # one per server: every limit is counted here

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # the page and /api/health answer at once: the room processes warm up (each imports torch, seconds)
        # in the background, and the first room waits for a warm one only if it must (Pool.pick)
        if settings.room_processes:
            rooms.pool = Pool(settings, asyncio.get_running_loop())
        else:  # rooms train in this process's threads: torch comes in once the server answers (see warm_later)
            warm_later(asyncio.get_running_loop())
        yield
        app.state.stopped = rooms.close()  # False: a trainer is still inside torch (cli.main exits at once)
        store.close()
        if checkpoints and app.state.stopped:  # a runner still inside torch writes its checkpoint when it stops
            checkpoints.close()

    app = FastAPI(title="Flowscope", version=flowscope.__version__, lifespan=lifespan)
    app.state.settings, app.state.rooms, app.state.store = settings, rooms, store
    quiet_uvicorn()
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if not settings.allow_any_host:  # DNS rebinding, on every bind (see hosts.py); the CLI adds LAN names
        app.add_middleware(HostCheck, allowed=settings.allowed_hosts)

    @app.get("/api/health")
    def health(s: SettingsDep):
        pool = rooms.pool
        return {"status": "ok", "version": flowscope.__version__, "torch": torch_version(),
                "device": best_device() if "torch" in sys.modules else None, "sessions": len(rooms.by_code),
                "room_processes": settings.room_processes, "warm": pool.warm if pool else None,
                "max_workers": settings.max_workers}

    add_routes(app, settings, store)

    @app.websocket("/ws")
    async def ws(socket: WebSocket):
        if not origin_allowed(socket, settings):
            await socket.close(code=1008, reason="origin not allowed")
            return
        await socket.accept()
        client = Client(socket, settings.send_timeout, settings.max_queue)
        with writer_task(client):
            reader = asyncio.create_task(read_loop(socket, client, rooms, settings))
            dropped = asyncio.create_task(client.dropped.wait())
            await asyncio.wait({reader, dropped}, return_when=asyncio.FIRST_COMPLETED)
            for task in (reader, dropped):
                task.cancel()
        rooms.leave(client)

    return app


def add_routes(app: FastAPI, settings: Settings, store: RunStore) -> None:
    """The pages and the read-only HTTP API: the schema, lessons, saved runs, QR codes."""
    add_api(app, settings)
    add_runs(app, store)
    add_pages(app)


def add_api(app: FastAPI, settings: Settings) -> None:
    """What every page reads: the settings' schema, the join link's address, QR codes, the lessons."""
    @app.get("/api/schema")
    def schema():
        return JSONResponse(json_schema(settings.max_width))

    @app.get("/api/info")
    def info():
        """What the page needs to show a join link: the URL others use, in classroom mode."""
        return {"classroom": settings.classroom, "public_url": settings.public_url}

    @app.get("/api/qr", response_class=Response, responses=SVG)
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


def add_runs(app: FastAPI, store: RunStore) -> None:
    """Saved runs over HTTP: list, download and delete one's own (the owner in a header)."""
    @app.get("/api/runs")
    def runs(header: OwnerHeader = None, token: OwnerQuery = None):
        """The caller's saved runs: those saved under the owner sent (header X-Flowscope-Token, or
        ?token=: a browser's own key, or a room's owner token); nobody else's. No owner: an empty list."""
        owner = header or token
        return store.list(owner) if owner else []

    @app.get("/api/runs/{run_id}/weights", response_class=Response, responses=BLOB)
    def weights(run_id: Annotated[str, Path(pattern=RUN_ID_PATTERN)], header: OwnerHeader = None,
                token: OwnerQuery = None):
        run = store.get(run_id, owner=header or token)
        if run is None:  # someone else's run looks the same as no run: ids are not to be probed
            return JSONResponse({"detail": f"no saved run '{run_id}' of yours"}, status_code=404)
        name = f"flowscope-{run['model']}-{run_id}.pt"  # torch.load(...) gives the state_dict
        return Response(run["weights"], media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.delete("/api/runs/{run_id}", status_code=204, response_class=Response, responses=GONE)
    def delete_run(run_id: Annotated[str, Path(pattern=RUN_ID_PATTERN)], header: OwnerHeader = None):
        """Delete one of the caller's saved runs. The owner travels only as the header (a cross-site page
        can't send it without a CORS preflight, which this server never answers)."""
        if not (header and store.delete(run_id, header)):
            return JSONResponse({"detail": f"no saved run '{run_id}' of yours"}, status_code=404)
        return Response(status_code=204)

    asks = JoinLimiter(ASKS_BURST, ASKS_PER_MINUTE, what="names asked", then="then try again")

    @app.post("/api/owner", responses={429: {"description": "this address asked too often: wait, then try again"}})
    def named_owner(body: OwnerName, request: Request, header: OwnerHeader = None):
        """A teacher's name and passphrase → the owner key their runs are saved under, the same in every
        browser (server/owners.py). With the header (this browser's own key), its runs move to the name."""
        address = request.client.host if request.client else None
        try:
            asks.check(address)
        except TooMany as exc:
            return JSONResponse({"detail": str(exc)}, status_code=429)
        asks.failed(address)  # every ask counts: a right passphrase looks like any other
        key = owner_key(body.name, body.passphrase)
        moved = store.move(header, key) if header and header != key else 0
        return {"owner": key, "name": clean_name(body.name), "moved": moved}


def add_pages(app: FastAPI) -> None:
    """The pages (no build step: the files as they are) and the Scale page's API."""
    @app.get("/", response_class=HTMLResponse, responses=HTML)
    @app.get("/room/{code}", response_class=HTMLResponse, responses=HTML)
    @app.get("/run/{run_id}", response_class=HTMLResponse, responses=HTML)
    def index(code: str | None = None, run_id: str | None = None):
        return FileResponse(str(FRONTEND / "index.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/join", response_class=HTMLResponse, responses=HTML)
    def join_page():
        """The students' page: a room code, their name (remembered on the device), Join."""
        return FileResponse(str(FRONTEND / "join.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/descent", response_class=HTMLResponse, responses=HTML)
    def descent():
        """The descent page: the loss terrain, optimizers racing on it, the training tricks."""
        return FileResponse(str(FRONTEND / "descent.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/scale", response_class=HTMLResponse, responses=HTML)
    def scale_page():
        """The scale page: from one neuron to 405B parameters, formulas beside measurements."""
        return FileResponse(str(FRONTEND / "scale.html"), headers={"Cache-Control": "no-cache"})

    app.include_router(scale_router)
    app.mount("/static", StaticFiles(directory=str(FRONTEND)), name="static")


def warm_later(loop: asyncio.AbstractEventLoop, delay: float = 1.0) -> None:
    """Import torch in a thread shortly after start-up, ahead of the first checkpoint that needs it: in
    a room's own thread the import (2 s here) held that room still. Not at once: the import holds the
    interpreter lock for long stretches, and the first page and health answers would wait behind it."""
    loop.call_later(delay, lambda: threading.Thread(target=load_torch, name="warm-torch", daemon=True).start())


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


