"""The server's rooms: one `Rooms` per server (on `app.state.rooms`) makes, finds, restores and ends
every `Room`, builds their trainers off the event loop, and counts every limit per server."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
import time

from flowscope.engine.footprint import Footprint, footprint
from flowscope.engine.trainers import make_trainer

from ..replies import ErrorMsg, LessonMsg, LocksMsg
from ..wire import Client, encode
from .commands import Left
from .keep import wait_ended
from .limits import Held, JoinLimiter, OverBudget, RoomFull, TooMany, admit_config
from .pool import Built, config_of
from .room import GRACE_SECONDS, Room

READ_TRIES, READ_BACKOFF = 5, 0.5  # a checkpoint read that fails is tried again after 0.5, 1, 2, 4 s


class Unreadable(Exception):
    """A room's checkpoint could not be read just now (locked, an I/O error): it is kept, try again."""


# no 0/O, 1/I/L: a code read off a projector must not be ambiguous
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
log = logging.getLogger("flowscope.rooms")


class Lease:
    """A trainer built for a room that does not own it yet. Whatever happens between the build and the
    room taking it (a create refused at the limit, a switch into a room that closed meanwhile, a second
    restore of one code), `release` ends it: closed here, or dropped in its room process."""

    def __init__(self, trainer):
        self.trainer, self.held = trainer, True

    def take(self):
        self.held = False
        return self.trainer

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if isinstance(self.trainer, Built):
            self.trainer.drop()
        else:
            self.trainer.close()


class Rooms:
    def __init__(self, settings, checkpoints=None, pool=None, store=None):
        self.settings, self.store = settings, store  # store: the saved runs (store.RunStore)
        self.builds = asyncio.Semaphore(settings.max_builds)  # models being built at once, on the whole server
        self.restoring: dict[str, asyncio.Future] = {}  # code → its restore in progress (one per code)
        self.checkpoints = checkpoints  # a RoomStore: rooms come back after a restart (None: they don't)
        self.pool = pool  # the room processes (pool.py); None: every room's runner is a thread here
        self.reviving: set[asyncio.Task] = set()  # rooms being brought back after their process ended
        self.by_code: dict[str, Room] = {}
        self.where: dict[Client, Room] = {}
        self.joins = JoinLimiter(settings.join_failures_burst, settings.join_failures_per_minute)
        self.unreadable: dict[str, str] = {}  # code → why its checkpoint could not be read at the last join
        self.pending: list[Footprint] = []  # runs being built (create, switch, load, restore): they count already

    def holding(self, but: Room | None = None) -> Footprint:
        """What the server's runs hold (limits.admit_config counts a new one against its budget): every live
        room's model (and the copy its `undo` keeps) and every build in progress; `but`: a room being replaced."""
        live = (room.held.footprint for room in self.by_code.values() if room is not but)
        return sum((*live, *self.pending), Footprint())

    # ----- building trainers (off the event loop) ------------------------------------------------
    async def build(self, model: str, config: dict, custom=None, restore=None, near: Room | None = None):
        """A new trainer, built (and its first losses evaluated, and a saved run `restore`d into it)
        in a room process (pool.py; `near`: that room's process), or in a thread here: seconds of torch
        must not stop the event loop, which every other room's frames go through."""
        async with self.builds:
            if self.pool is not None:
                return await self.pool.build(model, config, custom, restore, near)
            s = self.settings

            def build():
                trainer = make_trainer(model, config, s.history_steps, custom, s.budget)
                if restore is not None:
                    trainer.restore(restore)
                return trainer

            return await asyncio.to_thread(build)

    @contextlib.asynccontextmanager
    async def lease(self, model: str, config: dict, custom=None, restore=None, near: Room | None = None):
        """`async with rooms.lease(...) as lease:` a built trainer that is released on the way out unless
        a room took it (`lease.take()`). From the call on, the run counts against the server's budget."""
        held = footprint(model, config)
        self.pending.append(held)  # before any await: nothing admitted since its check can pass it by
        try:
            lease = Lease(await self.build(model, config, custom, restore, near))
            try:
                yield lease
            finally:
                lease.release()
        finally:
            self.pending.remove(held)

    async def read_checkpoint(self, code: str):
        """The room's checkpoint (roomstore.RoomCheckpoint) or None when it has none; a read that fails
        (the file locked past its busy timeout, an I/O error) is tried again with back-off, and after
        READ_TRIES raises Unreadable: the checkpoint may well exist, so nobody may be told it is gone."""
        for attempt in range(READ_TRIES):
            try:
                return await asyncio.to_thread(self.checkpoints.get, code)
            except sqlite3.OperationalError as exc:
                log.warning("room %s: reading its checkpoint failed (%s); try %d of %d", code, exc, attempt + 1,
                            READ_TRIES)
                error = exc
                if attempt + 1 < READ_TRIES:
                    await asyncio.sleep(READ_BACKOFF * 2**attempt)
        raise Unreadable(f"Room {code}'s checkpoint could not be read just now ({error}); it is kept: try "
                         "again in a moment.")

    async def bring_back(self, code: str) -> None:
        """If `code` is not a live room but has a checkpoint, restore it (built off the event loop;
        one restore per code on the whole server, however many join at once). Failures are logged:
        the join then says there is no such room — or, when the checkpoint could not be read, that it
        is kept and to try again (Unreadable, remembered for the join); past the server's budget,
        OverBudget says why."""
        code = code.strip().upper()
        if self.checkpoints is None or code in self.by_code:
            return
        if code not in self.restoring:
            self.restoring[code] = asyncio.ensure_future(self._restore(code))
        try:
            await asyncio.shield(self.restoring[code])
        finally:
            if self.restoring.get(code) is not None and self.restoring[code].done():
                self.restoring.pop(code, None)

    async def _restore(self, code: str) -> None:
        self.unreadable.pop(code, None)
        try:
            saved = await self.read_checkpoint(code)
            if saved is None or code in self.by_code:
                return
            run = await asyncio.to_thread(saved.packed.unpack)  # torch.load: off the event loop
            admit_config(run.model, run.config, self.settings, self)  # today's limits hold for yesterday's rooms
            async with self.lease(run.model, run.config, run.custom, restore=run) as lease:
                if code not in self.by_code:
                    self.restore(saved, lease.take())
        except OverBudget:
            raise  # the join says why, with the figures; the checkpoint stays for later
        except Unreadable as exc:
            self.unreadable[code] = str(exc)
        except Exception:
            log.exception("room %s could not be brought back from its checkpoint", code)

    def _new_code(self) -> str:
        kept = self.checkpoints.codes() if self.checkpoints else set()  # a room that may come back keeps its code
        while True:
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.by_code and code not in kept:
                return code

    def create(self, model: str, config: dict, owner: Client, lease: Lease, token: str | None = None,
               watch: bool = False) -> Room:
        """A new room with `owner` in it (who holds its token), training the trainer `lease` holds (built
        for it, forked, or a loaded run); `token` keeps a loaded run's owner token. `watch`: `owner` only
        watches it (a shared run opened to view: nobody holds its token, so nobody can change it; a
        `fork` copies it). TooMany leaves the lease to its holder (who releases it)."""
        self.check_room_for(owner)
        code = self._new_code()
        room = Room(code, model, config, self.settings, asyncio.get_running_loop(), lease.take(), token,
                    self.checkpoints, self.pool, lost=lambda: self.lost(code), where=self.where)
        self.leave(owner)
        room.link.start()
        self.by_code[code] = room
        room.creator = owner.address
        if watch:
            self._enter(owner, room, "viewer")
            return room
        room.token_holder = owner
        room.teachers.add(owner)
        self._enter(owner, room, "owner")
        return room

    def check_room_for(self, owner: Client) -> None:
        """TooMany unless `owner` may start one more room (create, fork, load): the server's cap, and
        each address's share of it (so one computer never fills the server). At either limit the
        address's oldest empty room (waiting out its grace period) closes first: its owner has moved on
        to the room being made — someone clicking through the models' pages makes a room on each."""
        limit = self.settings.max_sessions_per_client
        mine = [s for s in self.by_code.values() if s.creator == owner.address]
        if len(mine) >= limit or len(self.by_code) >= self.settings.max_sessions:
            empty = [s for s in mine if not s.clients]
            if empty:
                self._close(min(empty, key=lambda s: s.emptied))
                mine = [s for s in mine if s.code in self.by_code]
        if len(self.by_code) >= self.settings.max_sessions:
            raise TooMany(f"The server has {self.settings.max_sessions} sessions, as many as it allows "
                          "(max_sessions); try again in a few minutes.")
        if len(mine) >= limit:
            raise TooMany(f"You have {limit} sessions in use already (the most one computer may have here, "
                          "max_sessions_per_client); close one first.")

    def restore(self, saved, trainer) -> Room:
        """A room back from its checkpoint (roomstore.RoomCheckpoint), with the trainer restored from it:
        the same code, the same owner token, the same lesson step. Nobody is in it yet (join follows)."""
        restored = {"step": saved.packed.steps, "saved": saved.updated}
        room = Room(saved.code, saved.model, {}, self.settings, asyncio.get_running_loop(), trainer,
                    saved.owner_token, self.checkpoints, self.pool, restored, lambda: self.lost(saved.code), self.where)
        lesson = saved.meta.get("lesson")
        room.lesson = LessonMsg(**lesson) if lesson else None
        room.allow_save = bool(saved.meta.get("allow_save"))
        locks = saved.meta.get("locks")
        room.locks = LocksMsg(**locks) if locks else None
        room.held = Held(saved.model, config_of(trainer))
        room.link.set_meta(room.meta())
        room.link.start()
        self.by_code[saved.code] = room
        room.emptied = time.monotonic()
        room.expiry = room.loop.call_later(GRACE_SECONDS, self._expire, saved.code)
        return room

    def join(self, code: str, client: Client, token: str | None = None, watch: bool = False) -> Room:
        """`client` enters room `code`: as its owner with the owner token (`watch`: as the teacher who
        watches, holding the token while someone else drives), else as a viewer."""
        self.joins.check(client.address)
        room = self.by_code.get(code.strip().upper())
        if room is None:
            code = code.strip().upper()
            if code in self.unreadable:  # it may exist: not a failed guess, and not "no such room"
                raise Unreadable(self.unreadable.pop(code))
            self.joins.failed(client.address)
            if self.checkpoints is not None and self.checkpoints.lost_in_damage(code):
                raise KeyError(f"No session with code '{code}' now. The server's room checkpoints were damaged and "
                               "set aside when it started, so rooms from before then cannot come back; saved runs "
                               "are not affected. Start a new room (or load a saved run).")
            raise KeyError(f"No session with code '{code}'. Check the code and try again.")
        if token is not None and not secrets.compare_digest(token, room.owner_token):
            self.joins.failed(client.address)
            raise PermissionError("That owner token doesn't match this room: join without it to watch.")
        drive = bool(token) and not watch
        if self.where.get(client) is room:  # already in it (an owner re-joining must stay the owner)
            if token:
                room.teachers.add(client)
            if drive:
                room.token_holder = client
            room.add(client, "owner" if drive else room.clients[client])
            return room
        if len(room.clients) >= self.settings.max_clients_per_session:
            raise RoomFull(f"Room {room.code} is full.")
        cap = self.settings.max_viewers_per_client
        if not token and sum(c.address == client.address and r == "viewer" for c, r in room.clients.items()) >= cap:
            raise RoomFull(f"Your computer already has {cap} page{'s' if cap != 1 else ''} in room {room.code} (the most one may have, "
                           "max_viewers_per_client); close one first.")
        self.leave(client)
        if drive:  # the creator coming back (a reload, a new device): the room is theirs again
            room.token_holder = client
        if token:
            room.teachers.add(client)
        self._enter(client, room, "owner" if drive else "viewer")
        return room

    def _enter(self, client: Client, room: Room, role: str) -> None:
        self.where[client] = room
        room.add(client, role)

    def room_of(self, client: Client) -> Room | None:
        return self.where.get(client)

    def leave(self, client: Client, remembered: bool = True) -> None:
        """`client` leaves its room (another room, a closed page, removed: `remembered` False)."""
        room = self.where.pop(client, None)
        if room is None:
            return
        if remembered:
            room.depart(client)
        room.clients.pop(client, None)
        for other in self.by_code.values():  # a class this student forked from: its list says where they are now
            if other is not room and other.classlist.has(client):
                other.send_roster()
        room.greeting.discard(client)
        with contextlib.suppress(OSError):  # a room process that just ended has no questions to drop
            room.link.submit(Left(last=not room.clients), client)  # its questions go; the last one out pauses it
        if room.token_holder is client:
            room.token_holder = None
        room.teachers.discard(client)
        room.send_roster()
        if not room.clients:
            room.emptied = time.monotonic()
            room.expiry = room.loop.call_later(GRACE_SECONDS, self._expire, room.code)

    def _expire(self, code: str) -> None:
        room = self.by_code.get(code)
        if room is not None and not room.clients:
            self._close(room)

    def _close(self, room: Room) -> None:
        """End an empty room now: its runner stops (writing its last checkpoint, when rooms are kept:
        the code brings the run back later, until the checkpoint expires)."""
        if room.expiry:
            room.expiry.cancel()
            room.expiry = None
        room.link.stop()
        self.by_code.pop(room.code, None)

    def close(self) -> bool:
        """Stop every runner and wait for them, `shutdown_seconds` in all (not per room), and past that
        for the checkpoints being written, `checkpoint_wait_seconds` at most (keep.wait_ended). Returns
        whether all stopped: one still inside a long torch call can't be interrupted, and a thread inside
        torch when the interpreter finalizes aborts the process, so the CLI then exits at once (cli.main)."""
        links = [room.link for room in self.by_code.values()]
        for link in links:
            link.stop()
        self.by_code.clear()
        s = self.settings
        if self.pool is None:
            return wait_ended(links, s)
        # each room process waits for its own rooms the same way, then ends; this waits a little longer
        return self.pool.close(s.shutdown_seconds, s.checkpoint_wait_seconds + 2.0)

    def lost(self, code: str) -> None:
        """The process running room `code` ended under it (a crash, the OOM killer). A kept room comes
        back at once from its last checkpoint in another process, its members still in it (each is
        greeted again, `restored` saying from which step); a room kept in memory only ends, and its
        members are told."""
        room = self.by_code.get(code)
        if room is None:
            return
        if self.checkpoints is None:
            return self._end(room, f"The process running room {code} stopped unexpectedly; rooms are not "
                                      "kept on this server (persist_rooms is off), so its run is gone.")
        notice = encode(ErrorMsg(message=f"The process running room {code} stopped unexpectedly; the room comes "
                                         "back from its last checkpoint in a moment.", code="room_lost"))
        for client in list(room.clients):
            client.push(notice)
        task = asyncio.get_running_loop().create_task(self._revive(room))
        self.reviving.add(task)
        task.add_done_callback(self.reviving.discard)

    async def _revive(self, room: Room) -> None:
        try:
            saved = await self.read_checkpoint(room.code)
            if saved is None:
                return self._end(room, f"The process running room {room.code} stopped unexpectedly before its "
                                       "first checkpoint was written: its run is gone.")
            run = await asyncio.to_thread(saved.packed.unpack)  # torch.load: off the event loop
            lease = Lease(await self.build(run.model, run.config, run.custom, restore=run))
        except Unreadable as exc:  # the checkpoint is kept: a join with the code brings the room back later
            return self._end(room, f"The process running room {room.code} stopped unexpectedly. {exc} Join room "
                                   f"{room.code} again to bring it back.")
        except Exception as exc:
            log.exception("room %s could not be brought back after its process ended", room.code)
            return self._end(room, f"The process running room {room.code} stopped unexpectedly and its "
                                   f"checkpoint could not be restored ({type(exc).__name__}: {exc}).")
        if self.by_code.get(room.code) is not room:
            return lease.release()
        room.model = saved.model
        room.relink(lease.take(), {"step": saved.packed.steps, "saved": saved.updated})

    def _end(self, room: Room, message: str) -> None:
        text = encode(ErrorMsg(message=message, code="room_lost"))
        self.by_code.pop(room.code, None)
        for client in list(room.clients):
            client.push(text)
            self.where.pop(client, None)
        room.clients.clear()
