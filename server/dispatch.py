"""Client messages → actions: validate each frame, then route it to the registry, the store or the
session's runner. Who may send what (owner, any member) is decided here."""
from __future__ import annotations

import asyncio
import logging

from pydantic import ValidationError
from starlette.websockets import WebSocket

from flowscope.engine.checkpoint import from_state_dict_bytes
from flowscope.engine.trainers import make_trainer

from .lessons import load_all
from .protocol import CLIENT, QUERIES, Create, Fork, Handover, Join, LessonMove, Load, Reclaim, Save, validate_config
from .replies import ErrorMsg, SavedMsg
from .runner import Export
from .sessions import Registry, RoomFull, TooMany
from .settings import Settings
from .store import RunStore
from .wire import Client, encode

log = logging.getLogger("flowscope.dispatch")
LESSONS = load_all()  # validated at import: a broken lesson file stops the server, not the class


class Rooms:
    """What the websocket handler needs: the live sessions, the saved runs, and a bound on the
    models being built at once."""

    def __init__(self, registry: Registry, store: RunStore):
        self.registry, self.store = registry, store
        self.builds = asyncio.Semaphore(registry.settings.max_builds)

    async def build(self, model: str, config: dict, custom=None):
        """A new trainer, built (and its first losses evaluated) in a worker thread: seconds of torch
        must not stop the event loop, which every other room's frames go through."""
        s = self.registry.settings
        async with self.builds:
            return await asyncio.to_thread(make_trainer, model, config, s.history_steps, custom, s.budget)


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
        if isinstance(msg, Create):
            await create(msg, client, rooms, reply)
        else:
            dispatch(msg, client, rooms, reply)


async def create(msg: Create, client: Client, rooms: Rooms, reply) -> None:
    registry = rooms.registry
    try:
        config = validate_config(msg.model, msg.config, registry.settings.max_width, registry.settings.max_workers)
        trainer = await rooms.build(msg.model, config)
        registry.create(msg.model, config, client, trainer)
    except TooMany as exc:
        reply(str(exc), "busy")
    except ValidationError as exc:
        reply(describe(exc, None, prefix="config"))
    except ValueError as exc:
        reply(str(exc))
    except Exception:  # a fault of ours: the client is told, the server goes on
        log.exception("create %s failed", msg.model)
        reply(f"Something went wrong on the server while creating the {msg.model} (it is logged).", "internal")


def dispatch(msg, client: Client, rooms: Rooms, reply) -> None:
    registry = rooms.registry
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
        session.runner.submit(msg, client, session.role(client))


def load_run(run_id: str, client: Client, rooms: Rooms, reply) -> None:
    """A saved run comes back as a new session owned by the asker."""
    run = rooms.store.get(run_id)
    if run is None:
        return reply(f"No saved run with id '{run_id}'.", "no_session")
    trainer = make_trainer(run["model"], run["config"], rooms.registry.settings.history_steps, custom=run["custom"])
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
