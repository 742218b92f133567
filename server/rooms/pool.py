"""Room processes, seen from the web process: rooms train in `room_processes` worker processes
(worker.py; default one per core), assigned to the least busy one, so that ten rooms playing don't
slow an eleventh room's step the way threads under one interpreter lock did. The web process only
routes: commands go down a pipe, encoded frames come back and go to the room's clients.

A room's trainer is built in the process the room will run in (`build` → a `Built` handle); a fork
stays in its room's process; a saved run crosses the pipe as a PackedRun. A process that ends under
its rooms (a crash, the OOM killer) is replaced, and its rooms are brought back from their last
checkpoints (rooms.Rooms.lost).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Callable

from ..replies import ErrorMsg
from ..wire import encode
from .runner import Export, Hello, Relay, Swap
from . import link as msg
from .people import lost, sending, shared_counts
from .process import main as worker_main

log = logging.getLogger("flowscope.pool")


def coming_back(code: str) -> str:
    return f"Room {code} is coming back after its process stopped; try again in a moment."


class Refused(ValueError):
    """A build the room process refused (a config past the budget, a saved run that no longer fits)."""

    def __init__(self, message: str, code: str = "bad_message"):
        super().__init__(message)
        self.code = code


@dataclass
class Built:
    """A trainer built in `link`'s process under `key`, waiting for its room (or a switch)."""

    link: "RoomProcess"
    key: int
    config: dict  # its whole config (the trainer's own to_dict())

    def drop(self) -> None:
        """No room will take it: the room process forgets (and closes) it."""
        if self.link.process.is_alive():
            self.link.send(msg.Drop(self.key))


def config_of(trainer) -> dict:
    """The config of a trainer here, or of one built in a room process."""
    return trainer.config if isinstance(trainer, Built) else trainer.config.to_dict()


class RoomProcess:
    """One room process: its pipe, the rooms it runs, the answers it owes."""

    def __init__(self, pool: "Pool", slot: int):
        self.pool, self.slot = pool, slot
        ctx = multiprocessing.get_context("spawn")  # never fork a process with threads (uvicorn, torch)
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child, pool.settings, pool.counts, slot),
                                   name=f"flowscope-rooms-{slot}")
        self.process.start()
        child.close()
        self.lock = threading.Lock()  # sends come from the event loop and from build threads
        self.rooms: dict[int, PipeLink] = {}  # by room id (PipeLink.rid)
        self.waiting: dict[int, Callable] = {}  # key → called on the event loop with the answer
        self.closing = False
        self.ready = pool.loop.create_future()  # set when the process has imported everything and serves
        threading.Thread(target=self._read, name=f"rooms-{slot}-reader", daemon=True).start()

    @property
    def load(self) -> int:
        return len(self.rooms) + len(self.waiting)

    def send(self, message) -> None:
        with self.lock:
            self.conn.send(message)

    def _read(self) -> None:
        """Each message from the process goes to the event loop, in order; EOF: the process ended."""
        loop = self.pool.loop
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            if isinstance(message, msg.Stopped) and (runner := self.rooms.get(message.rid)) is not None:
                runner.ended.set()  # Rooms.close waits for this while the event loop is held
            try:
                loop.call_soon_threadsafe(self._on, message)
            except RuntimeError:  # the event loop has closed: the server is gone
                return
        if not self.closing and not loop.is_closed():
            loop.call_soon_threadsafe(self.pool.lost, self)

    def _on(self, message) -> None:
        if isinstance(message, msg.Ready):
            if not self.ready.done():
                self.ready.set_result(message.pid)
        elif isinstance(message, msg.Frames):
            to = message.to
            runner, client = self.rooms.get(message.rid), None if to is None else self.pool.clients.get(to)
            if runner is not None and (to is None or client is not None):  # one gone since hears nothing
                runner.deliver(message.frames, client)
        elif isinstance(message, msg.BuildDone):
            if (done := self.waiting.pop(message.key, None)) is not None:
                done(message.error, message.config)
        elif isinstance(message, msg.Answer):
            if (done := self.waiting.pop(message.key, None)) is not None:
                done(message.kind, message.value)
        elif isinstance(message, msg.Stopped):
            self.rooms.pop(message.rid, None)

    async def census(self) -> dict:
        """What the process holds now: {"rooms": n, "built": n} (trainers built but not taken)."""
        key, answer = self.pool.key(), self.pool.loop.create_future()
        self.waiting[key] = lambda kind, value: answer.done() or answer.set_result(value)
        self.send(msg.Census(key))
        return await answer


class PipeLink:
    """A room's link to its runner in a room process: the same interface as a Runner thread here, over the pipe."""

    def __init__(self, link: RoomProcess, code: str, model: str, config: dict, built: Built | None, keep,
                 restored: dict | None, deliver: Callable, lost: Callable):
        self.link, self.code, self.model, self.config = link, code, model, config
        self.rid = link.pool.key()  # how the process names this room's runner (a code may come back later)
        self.built, self.keep, self.restored = built, keep, restored
        self.deliver, self.lost = deliver, lost
        self.meta: dict = {}
        self.started = self.stopping = self.lost_seen = False
        self.ended = threading.Event()

    def start(self) -> None:
        self.started = True
        self.link.rooms[self.rid] = self
        # the process writes the checkpoints to its own connection to the store: only the token crosses
        self.link.send(msg.Open(self.rid, self.code, self.model, self.config, self.built.key if self.built else None,
                                self.keep.owner_token if self.keep else None, self.restored, self.meta))

    @property
    def down(self) -> bool:
        """The room's process has ended (killed, crashed): the room is coming back in another (Rooms.lost)."""
        return self.lost_seen or not self.link.process.is_alive()

    def submit(self, command, client, role: str = "owner") -> None:
        """Send a command to the runner; while the room is coming back after its process ended, a
        member's command is refused with `busy` (try again: it was not applied), and the server's own
        (a greeting, a lesson move) wait for the new process, which greets every member afresh."""
        if self.down:
            return self._coming_back(command, client)
        try:
            self._submit(command, client, role)
        except OSError:  # the pipe broke under the send: the process has just ended
            self._coming_back(command, client)

    def _coming_back(self, command, client) -> None:
        if isinstance(command, (Hello, Relay)):
            return
        if isinstance(command, Swap):
            raise Refused(coming_back(self.code), "busy")
        if client is not None:
            self.deliver([(encode(ErrorMsg(message=coming_back(self.code), code="busy")), False)], client)

    def _submit(self, command, client, role: str) -> None:
        answer = None
        if isinstance(command, Export):  # the answer comes back under a key; `done` runs here, on the loop
            key, done = self.link.pool.key(), command.done

            def answer(kind, value) -> None:
                done(Built(self.link, key, value) if kind == "trainer" else value)
            command = Export(command.kind, key)
        elif isinstance(command, Swap):
            if command.trainer.link is not self.link:
                raise ValueError("a room's new model must be built in the room's own process")
            command = Swap(command.model, command.trainer.key)
        name = self.link.pool.name(client)
        self.link.send(msg.Submit(self.rid, command, name, role))
        if name is not None:  # a person's: rooms playing anywhere hold back while it crosses the pipe
            sending(self.link.pool.counts, self.link.slot)
        if answer is not None:  # only once sent (a broken pipe owes no answer); it comes back on this loop, later
            self.link.waiting[command.done] = answer

    def set_meta(self, meta: dict) -> None:
        self.meta = meta  # while the room is coming back, the new process gets the room's meta anew
        if self.started and not self.down:
            with contextlib.suppress(OSError):
                self.link.send(msg.Meta(self.rid, meta))

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        try:
            if self.down:
                raise BrokenPipeError
            self.link.send(msg.Stop(self.rid))
        except OSError:
            self.ended.set()

    def join(self, timeout: float) -> bool:
        return self.ended.wait(timeout)


class Pool:
    def __init__(self, settings, loop: asyncio.AbstractEventLoop):
        self.settings, self.loop = settings, loop
        self.keys = itertools.count(1)
        self.clients: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # number → Client
        # people's commands waiting, sent and taken, per process (lock-free: each slot has one writer)
        self.counts = shared_counts(settings.room_processes)
        self.links = [RoomProcess(self, slot) for slot in range(settings.room_processes)]

    async def started(self, timeout: float = 120) -> None:
        """Wait until every room process serves (each imports torch and the models: seconds). The
        server does not wait for this: it answers at once, and a build waits for one process only."""
        await asyncio.wait_for(asyncio.gather(*(link.ready for link in self.links)), timeout)

    @property
    def warm(self) -> int:
        """Room processes that serve already (the rest are still importing torch)."""
        return sum(link.ready.done() for link in self.links)

    async def pick(self, timeout: float = 120) -> RoomProcess:
        """The least busy room process that serves; while none does yet, the first that comes up."""
        ready = [link for link in self.links if link.ready.done()]
        if not ready:
            await asyncio.wait_for(asyncio.wait([link.ready for link in self.links],
                                                return_when=asyncio.FIRST_COMPLETED), timeout)
            ready = [link for link in self.links if link.ready.done()]
        return min(ready, key=lambda l: l.load)

    def key(self) -> int:
        return next(self.keys)

    def name(self, client) -> int | None:
        """The number a client goes by in the room processes (frames for it come back under it)."""
        if client is None:
            return None
        self.clients[client.serial] = client
        return client.serial

    async def build(self, model: str, config: dict, custom=None, restore=None, near=None) -> Built:
        """A trainer built (and a run restored into it) in a room process: the least busy one, or
        `near`'s (a session whose room switches model). Refused: the build's error, as a ValueError."""
        link = near.link.link if near is not None else await self.pick()
        if near is not None and near.link.down:
            raise Refused(coming_back(near.code), "busy")
        key, answer = self.key(), self.loop.create_future()

        def done(error, whole_config) -> None:
            if not answer.done():
                answer.set_result((error, whole_config))

        link.waiting[key] = done
        link.send(msg.Build(key, model, config, custom, restore))
        try:
            error, whole = await answer
        except asyncio.CancelledError:
            link.send(msg.Drop(key))
            raise
        if error is not None:
            kind, message, code = error
            raise Refused(message, code) if kind == "refused" else RuntimeError(message)
        return Built(link, key, whole)

    def link(self, code: str, model: str, config: dict, trainer: Built | None, keep, restored, deliver,
               lost) -> PipeLink:
        link = trainer.link if trainer is not None else min(self.links, key=lambda l: l.load)
        return PipeLink(link, code, model, config, trainer, keep, restored, deliver, lost)

    def lost(self, link: RoomProcess) -> None:
        """A room process ended on its own: a new one takes its slot; its rooms are brought back
        (Rooms.lost); builds it owed fail (their askers are told)."""
        if link.closing:
            return
        log.error("room process %s (pid %s) ended with code %s; starting another", link.slot, link.process.pid,
                  link.process.exitcode)
        lost(self.counts, link.slot)  # what it owed, or was sent, is owed no more
        threading.Thread(target=link.process.join, daemon=True).start()  # reaped, not left a zombie
        self.links[link.slot] = RoomProcess(self, link.slot)
        for done in list(link.waiting.values()):
            done(("internal", "the room process ended during the build", "internal"), None)
        link.waiting.clear()
        for runner in list(link.rooms.values()):
            runner.lost_seen = True
            runner.ended.set()
            if not runner.stopping:
                runner.lost()

    def close(self, timeout: float, checkpoints: float = 0.0) -> bool:
        """End every room process (each stops its rooms first, writing their checkpoints). Whether all
        ended within `timeout` (for them all together) — or, for a process whose rooms have not all
        ended, `checkpoints` seconds more: it waits for the checkpoints in flight itself, bounded
        (process.Worker.close). A process still starting up, or whose rooms have ended, gets `timeout`
        alone. The rest are killed."""
        for link in self.links:
            link.closing = True
            if link.process.is_alive():
                try:
                    link.send(msg.Close())
                except OSError:
                    pass
        ended, start, freed = True, time.monotonic(), {}  # freed: when each process's last room ended
        while alive := [link for link in self.links if link.process.is_alive()]:
            now = time.monotonic()
            for link in alive:
                holding = link.ready.done() and any(not r.ended.is_set() for r in link.rooms.values())
                if not holding:
                    freed.setdefault(link.slot, now)
                # one whose rooms ended during the wait has a moment to log and exit by itself
                limit = start + timeout + checkpoints if holding else max(start + timeout, freed[link.slot] + 1.0)
                if now >= limit:
                    ended = False
                    link.process.kill()
                    link.process.join(1.0)
            time.sleep(0.02)
        return ended
