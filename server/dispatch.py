"""Client messages → actions: validate each frame, then route it to the rooms (rooms.Rooms), the store or the
session's runner. Who may send what (owner, any member) is decided here."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import ValidationError
from starlette.websockets import WebSocket

from flowscope.engine.export import PackedRun

from .lessons import load_all
from .protocol import (CLIENT, QUERIES, Allow, Configure, Create, Fork, Handover, Join, LessonClose, LessonMove, Load,
                       Locks, Recall, Reclaim, Remove, Save, ScaleQuery, Switch)
from .replies import ErrorMsg, SavedMsg, ScaleMsg
from .scale import answer as answer_scale
from .rooms.pool import config_of
from .rooms.runner import Export
from .rooms.limits import OverBudget, RoomFull, TooMany, admit_config
from .rooms.names import BadName, person_name
from .rooms.rooms import Lease, Rooms, Unreadable
from .settings import Settings
from .store import StoreFull
from .wire import Client, encode

LESSONS = load_all()  # validated at import: a broken lesson file stops the server, not the class
log = logging.getLogger("flowscope.dispatch")
_saving: set[asyncio.Task] = set()  # saves in flight (a task nobody holds may be collected mid-way)


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
        # the limit is in bytes as sent (UTF-8); a character is at most 4 bytes, so short texts skip the count
        size = len(text) if 4 * len(text) <= settings.max_message_bytes else len(text.encode("utf-8", "surrogatepass"))
        if size > settings.max_message_bytes:
            reply(f"Message too large: {size} bytes (the limit is {settings.max_message_bytes}).", "too_large")
            continue
        try:
            msg = CLIENT.validate_json(text)
        except ValidationError as exc:
            reply(describe(exc, text))
            continue
        try:
            if isinstance(msg, Create):
                await create(msg, client, rooms, reply)
            elif isinstance(msg, Join):
                try:
                    with contextlib.suppress(TooMany):  # a guesser past its limit reads no checkpoint (join says why)
                        rooms.joins.check(client.address)
                        await rooms.bring_back(msg.session)  # a room kept from before a restart, or emptied a while ago
                except OverBudget as exc:  # its run would not fit beside the others now
                    reply(f"Room {msg.session.strip().upper()} can't come back yet: {exc}", "busy")
                    continue
                dispatch(msg, client, rooms, reply)
            elif isinstance(msg, Load):
                await load_run(msg.id, client, rooms, reply, msg.token, msg.into_room, msg.key, msg.view)
            elif isinstance(msg, Switch):
                await switch(msg, client, rooms, reply)
            else:
                dispatch(msg, client, rooms, reply)
        except Exception as exc:  # a bug must not end the socket: the sender hears of it, the log has the rest
            log.exception("dispatch of %s failed", msg.type)
            reply(f"Internal error while handling {msg.type}: {type(exc).__name__}.", "internal")


async def create(msg: Create, client: Client, rooms: Rooms, reply) -> None:
    try:
        config = admit_config(msg.model, msg.config, rooms.settings, rooms)
        rooms.check_room_for(client)  # refused before seconds of building
        async with rooms.lease(msg.model, config) as lease:
            rooms.create(msg.model, config, client, lease)  # refused here (the limit filled meanwhile): released
    except (TooMany, OverBudget) as exc:
        reply(str(exc), "busy")
    except ValidationError as exc:
        reply(describe(exc, None, prefix="config"))
    except ValueError as exc:
        reply(str(exc))
    except Exception:  # a fault of ours: the client is told, the server goes on
        log.exception("create %s failed", msg.model)
        reply(f"Something went wrong on the server while creating the {msg.model} (it is logged).", "internal")


async def switch(msg: Switch, client: Client, rooms: Rooms, reply) -> None:
    """The owner moves the room to another model: built off the event loop, then swapped in."""
    session = rooms.room_of(client)
    if session is None:
        return reply("No session yet: send create (or join a room) first.", "no_session")
    if session.role(client) != "owner":
        return reply(f"You are watching room {session.code}: only its owner can change its model.", "not_owner")
    try:
        config = admit_config(msg.model, msg.config, rooms.settings, rooms, replacing=session)
        async with rooms.lease(msg.model, config, near=session) as lease:
            if rooms.by_code.get(session.code) is session:  # still there after the build (else: released)
                session.switch(msg.model, lease.take())
    except OverBudget as exc:
        return reply(str(exc), "busy")
    except ValidationError as exc:
        return reply(describe(exc, None, prefix="config"))
    except ValueError as exc:  # a refusal; `busy` while the room comes back after its process ended
        return reply(str(exc), getattr(exc, "code", "bad_message"))


def dispatch(msg, client: Client, rooms: Rooms, reply) -> None:
    if isinstance(msg, Join):
        try:
            client.name = person_name(msg.name) or client.name
        except BadName as exc:  # the page goes back to its join page and shows this sentence
            return reply(str(exc), "bad_name")
        try:
            rooms.join(msg.session, client, msg.token, watch=msg.watch)
        except KeyError as exc:
            reply(exc.args[0], "no_session")
        except (RoomFull, TooMany, Unreadable) as exc:
            reply(str(exc), "busy")
        except PermissionError as exc:
            reply(str(exc), "not_owner")
        return
    if isinstance(msg, ScaleQuery):  # arithmetic (≈0.1 ms), no room needed: answered here, at once
        result, detail = answer_scale(msg.request)
        return client.push(encode(ScaleMsg(seq=msg.seq, result=result, detail=detail)))
    session = rooms.room_of(client)
    if session is None:
        reply("No session yet: send create (or join a room) first.", "no_session")
    else:
        in_room(msg, client, session, rooms, reply)


def in_room(msg, client: Client, session, rooms: Rooms, reply) -> None:
    """A message for the room `client` is in: who may send it is checked here, then it is routed."""
    if isinstance(msg, Reclaim):
        try:
            rooms.join(session.code, client, msg.token)
        except PermissionError as exc:
            reply(str(exc), "not_owner")
        except TooMany as exc:
            reply(str(exc), "busy")
    elif isinstance(msg, (Remove, Recall)):
        the_class(msg, client, session, rooms, reply)
    elif isinstance(msg, Save) and session.role(client) != "owner" and not session.allow_save:
        reply(f"The owner of room {session.code} hasn't allowed viewers to save its run: fork it, then save "
              "your own copy.", "not_owner")
    elif session.role(client) != "owner" and not isinstance(msg, QUERIES):
        reply(f"You are watching room {session.code}: only its owner can drive it.", "not_owner")
    elif isinstance(msg, LessonMove):
        if msg.id not in LESSONS or msg.step >= len(LESSONS[msg.id].steps):
            reply(f"No step {msg.step} in lesson '{msg.id}'.", "bad_message")
        else:
            session.move_lesson(msg.id, msg.step)
    elif isinstance(msg, LessonClose):
        session.close_lesson()
    elif isinstance(msg, Locks):
        session.set_locks(msg.lock, msg.hide)
    elif isinstance(msg, Allow):
        session.allow(msg.save)
    elif isinstance(msg, Handover):
        try:
            session.handover(msg.to)
        except KeyError as exc:
            reply(exc.args[0], "no_session")
    elif isinstance(msg, Fork):
        try:
            rooms.check_room_for(client)  # refused before the runner copies anything
            admit_config(session.held.model, session.held.config, rooms.settings, rooms)  # a copy: as much again
        except (TooMany, OverBudget) as exc:
            return reply(str(exc), "busy")

        def forked(trainer):  # on the event loop, later: a failure still answers (and the copy is released)
            lease = Lease(trainer)
            try:
                rooms.create(session.model, config_of(trainer), client, lease)
                session.send_roster()  # the class list: forked now, not gone (and its progress is asked for)
            except TooMany as exc:
                reply(str(exc), "busy")
            except Exception as exc:
                log.exception("fork of %s failed", session.code)
                reply(f"Internal error while forking: {type(exc).__name__}.", "internal")
            finally:
                lease.release()
        session.link.submit(Export("fork", forked), client)
    elif isinstance(msg, Configure) and not admitted(msg, session, rooms, reply):
        return
    elif isinstance(msg, Save):
        # the saver's own key (its browser's runs, in every room), else the room's owner token (see Allow)
        owner = msg.owner or session.owner_token
        session.link.submit(Export("save", lambda packed: in_background(
            save_run(msg.name, packed, owner, client, rooms, reply))), client)
    else:
        session.link.submit(msg, client, session.role(client))


def admitted(msg: Configure, session, rooms: Rooms, reply) -> bool:
    """A configure that makes the run bigger or adds workers is counted against the server's budget here,
    where every room is known; everything else about it is checked by the room's runner, as before."""
    held = session.held
    if held.model != session.model or not held.config:
        return True  # a switch on its way: its runner will check
    try:
        admit_config(held.model, {**held.config, **msg.config}, rooms.settings, rooms, replacing=session)
    except OverBudget as exc:
        reply(str(exc), "busy")
        return False
    except (ValidationError, ValueError):
        pass  # the runner refuses it, in its own words
    return True


def the_class(msg, client: Client, session, rooms: Rooms, reply) -> None:
    """The teacher's dashboard: whoever holds the room's owner token (driving or not), never a student
    who was given control."""
    if client not in session.teachers:
        return reply(f"Only the teacher of room {session.code} can do that.", "not_owner")
    if isinstance(msg, Recall):
        return session.recall()
    try:
        session.remove(msg.to, rooms)
    except KeyError as exc:
        reply(exc.args[0], "no_session")
    except PermissionError as exc:
        reply(str(exc), "not_owner")


def in_background(coro) -> None:
    """Run `coro` on the event loop without awaiting it (a task nobody holds may be collected mid-way)."""
    task = asyncio.get_running_loop().create_task(coro)
    _saving.add(task)
    task.add_done_callback(_saving.discard)


async def save_run(name: str, packed: PackedRun, owner: str, client: Client, rooms: Rooms, reply) -> None:
    """Write a run the session's runner exported and packed (engine/export.py) under `owner`, counted
    against the client's address too (store.Budget) — in a worker thread, never on the event loop;
    `saved` or an error."""
    try:
        run_id = await asyncio.to_thread(rooms.store.save, name, packed, owner, client.address)
    except StoreFull as exc:  # a bound of the data directory: nothing was written
        return reply(str(exc), "busy")
    except Exception as exc:  # a full disk, a locked or broken database: the user must not believe it saved
        log.exception("saving run '%s' failed", name)
        return reply(f"Could not save the run: {exc}", "internal")
    client.push(encode(SavedMsg(id=run_id, name=name, steps=packed.steps)))


async def load_run(run_id: str, client: Client, rooms: Rooms, reply, token: str | None = None,
                   into_room: bool = False, key: str | None = None, view: bool = False) -> None:
    """A saved run comes back as a new session owned by the asker, going on exactly where it was
    saved (weights, optimizer memory, batch order); every failure answers with an error. The asker
    must hold the owner it was saved under — the new room then keeps it as its token (its saves list
    with the rest) — or the run's share `key` (a trained-run link: the room gets a token of its own).
    `into_room`: into the asker's own room instead (its code, members and token stay). `view` (with
    `key`): the asker watches the run at its step in a room nobody can change (`fork` copies it)."""
    here = rooms.room_of(client)
    if view and (key is None or into_room):
        return reply("view opens a shared run by its link's key, as a room of its own.", "bad_message")
    if into_room and (here is None or here.role(client) != "owner"):
        return reply("Loading into a room needs a room of your own: create one, or load as a new room.", "not_owner")
    try:
        if not into_room:
            rooms.check_room_for(client)  # refused before anything is read or built
    except TooMany as exc:
        return reply(str(exc), "busy")
    try:
        run = await (asyncio.to_thread(rooms.store.shared, run_id, key) if key else
                     asyncio.to_thread(rooms.store.get, run_id, token))
    except Exception as exc:
        log.exception("reading saved run '%s' failed", run_id)
        return reply(f"Could not read the saved run '{run_id}': {exc}", "internal")
    if run is None:  # someone else's run answers as no run does
        return reply(f"No saved run with id '{run_id}' of yours (load sends the owner token it was saved under, or "
                     "its link's key): it may have been deleted.", "no_session")
    try:
        saved = await asyncio.to_thread(run["packed"].unpack)  # torch.load: off the event loop
        # checked as a `create` is: a run saved by another version or settings may no longer be allowed
        config = admit_config(saved.model, saved.config, rooms.settings, rooms, replacing=here if into_room else None)
        async with rooms.lease(saved.model, config, saved.custom, restore=saved,
                               near=here if into_room else None) as lease:
            if into_room:
                if rooms.by_code.get(here.code) is here:  # still there after the build (else: released)
                    here.switch(saved.model, lease.take())
                return
            rooms.create(saved.model, config_of(lease.trainer), client, lease, token=None if key else run["owner"],
                         watch=view)
    except ValidationError as exc:
        return reply(f"The saved run '{run_id}' cannot be loaded: {describe(exc, None, prefix='config')}")
    except (TooMany, OverBudget) as exc:
        return reply(str(exc), "busy")
    except (ValueError, KeyError) as exc:  # the saved config or weights no longer fit this version's models
        return reply(f"The saved run '{run_id}' cannot be loaded: {exc}", "bad_message")
    except Exception as exc:
        log.exception("loading saved run '%s' failed", run_id)
        return reply(f"The saved run '{run_id}' cannot be loaded: {exc!r}", "internal")


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
