"""Sessions (rooms): a short code, one runner, an owner and any number of viewers."""
from __future__ import annotations

import asyncio
import logging
import secrets
import time

from ..replies import ErrorMsg, LessonClosedMsg, LessonMsg, LocksMsg, Member, RosterMsg
from .commands import GREETED
from .runner import Hello, Keep, Relay, Runner
from ..wire import Client, encode

# no 0/O, 1/I/L: a code read off a projector must not be ambiguous
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
log = logging.getLogger("flowscope.sessions")
GRACE_SECONDS = 120  # an empty session waits this long for its owner to come back (a page reload)


class Session:
    def __init__(self, code: str, model: str, config: dict, settings, loop: asyncio.AbstractEventLoop,
                 trainer=None, owner_token: str | None = None, checkpoints=None, pool=None,
                 restored: dict | None = None, lost=None):
        self.code, self.model, self.loop = code, model, loop
        self.lost = lost or (lambda: None)  # called when the room's process ended under it (pool.py)
        # the creator's: never in links, never to others. A loaded run keeps the token it was saved under,
        # so what its owner saves next lands in the same list of runs.
        self.owner_token = owner_token or secrets.token_urlsafe(16)
        self.allow_save = False  # the owner's `allow` setting: may viewers save the room's run?
        self.emptied = 0.0  # when the last member left (time.monotonic), for closing the oldest empty room
        self.clients: dict[Client, str] = {}  # client → role
        self.token_holder: Client | None = None
        self.greeting: set[Client] = set()  # members whose greeting is on its way (their roster waits for it)
        self.had_viewers = False
        self.lesson: LessonMsg | None = None  # where the room is in a lesson, for late joiners
        self.locks: LocksMsg | None = None  # what the owner locks or hides for watchers, for late joiners
        self.creator: str | None = None  # the creating client's address, for per-client limits
        self.expiry: asyncio.TimerHandle | None = None
        self.checkpoints = checkpoints  # a RoomStore (roomstore.py), or None: the room lives in memory only
        self.runner = self.new_runner(settings, config, trainer, pool, restored)

    def new_runner(self, settings, config: dict, trainer, pool, restored: dict | None = None):
        """The room's runner: in a room process of the pool (pool.py), or a thread of this process."""
        keep = Keep(self.checkpoints, self.owner_token) if self.checkpoints else None
        if pool is not None:
            return pool.runner(self.code, self.model, config, trainer, keep, restored, self._deliver, self.lost)
        loop = self.loop
        return Runner(self.code, self.model, config, settings, self._publish,
                      lambda fn, *args: loop.call_soon_threadsafe(fn, *args), trainer, keep, restored)

    def meta(self) -> dict:
        """What makes this run the class's room, kept beside it in a checkpoint."""
        return {"lesson": self.lesson.model_dump() if self.lesson else None, "allow_save": self.allow_save,
                "locks": self.locks.model_dump() if self.locks else None}

    def _publish(self, frames, to) -> None:
        """Called from the runner thread: hop onto the event loop."""
        self.loop.call_soon_threadsafe(self._deliver, frames, to)

    def _deliver(self, frames, to) -> None:
        targets = [to] if to is not None else list(self.clients)
        for text, latest in frames:
            if latest == GREETED:
                self._greeted(to)
                continue
            for client in targets:
                client.push(text, latest)

    def _greeted(self, client: Client) -> None:
        """A member's greeting (session … state) is out: an owner's roster may follow it now (sent
        before, the page's `session` cleared it: "Nobody else yet" while a class watched)."""
        self.greeting.discard(client)
        if self.clients.get(client) == "owner" and self.had_viewers:
            client.push(self.roster_frame(), latest="roster")

    def add(self, client: Client, role: str) -> None:
        if self.expiry:
            self.expiry.cancel()
            self.expiry = None
        if role == "owner":  # one owner at a time: whoever drove before now watches
            for other, r in list(self.clients.items()):
                if r == "owner" and other is not client:
                    self.clients[other] = "viewer"
                    self.greet(other)
        self.clients[client] = role
        self.greet(client)
        self.send_roster()

    def greet(self, client: Client) -> None:
        self.greeting.add(client)
        token = self.owner_token if client is self.token_holder else None
        also = [(encode(msg), False) for msg in (self.lesson, self.locks) if msg is not None]
        self.runner.submit(Hello(self.clients[client], client.id, token, also), client)  # one publish: in order

    def allow(self, save: bool) -> None:
        self.allow_save = save
        self.runner.set_meta(self.meta())

    def close_lesson(self) -> None:
        self.lesson = None
        self.runner.set_meta(self.meta())
        self.runner.submit(Relay([(encode(LessonClosedMsg()), False)]), None)

    def set_locks(self, lock: list[str], hide: list[str]) -> None:
        self.locks = LocksMsg(lock=lock, hide=hide)
        self.runner.set_meta(self.meta())
        self.runner.submit(Relay([(encode(self.locks), False)]), None)

    def switch(self, model: str, trainer) -> None:
        """The room runs another model now (built by the caller, off the event loop): same code and
        members; each is greeted again with the new model's session, data and state."""
        from .runner import Swap

        self.model = model
        self.runner.submit(Swap(model, trainer), None)
        for client in list(self.clients):
            self.greet(client)

    def move_lesson(self, lesson_id: str, step: int) -> None:
        self.lesson = LessonMsg(id=lesson_id, step=step)
        self.runner.set_meta(self.meta())
        self.runner.submit(Relay([(encode(self.lesson), False)]), None)

    def role(self, client: Client) -> str | None:
        return self.clients.get(client)

    def send_roster(self) -> None:
        """Tell the owner who is watching, once anyone is; a newer roster replaces an unsent one and
        comes after the owner's own hello (a mailbox, like state)."""
        if len(self.clients) < 2 and not self.had_viewers:
            return
        self.had_viewers = True
        text = self.roster_frame()
        for client, role in self.clients.items():
            if role == "owner" and client not in self.greeting:  # a greeting in flight sends it after itself
                client.push(text, latest="roster")

    def roster_frame(self) -> str:
        return encode(RosterMsg(members=[Member(id=c.id, name=c.name, role=r) for c, r in self.clients.items()]))

    def handover(self, to_id: str) -> None:
        target = next((c for c in self.clients if c.id == to_id), None)
        if target is None:
            raise KeyError(f"Nobody with id '{to_id}' is in room {self.code}.")
        self.add(target, "owner")


class RoomFull(Exception):
    pass


class TooMany(Exception):
    """A client address already holds as many sessions as it may (or the server does, or the address
    has failed to join too often): the message names the limit."""


class JoinLimiter:
    """Failed joins (unknown room, wrong token) per client address: a token bucket of `burst` that
    refills at `per_minute`; while it is empty every join from that address is refused.

    Why: codes are 5 of 31 characters, 31⁵ = 28,629,151. With 30 live rooms one guess hits with
    p = 30 / 28.6 M ≈ 1.05e-6, so finding a room takes 1/p ≈ 954,000 guesses on average. Unlimited,
    one socket tried 24,664 codes/s: a room in ~39 s. At the default 30 failures a minute an address
    needs 954,000 / 30 ≈ 31,800 minutes ≈ 22 days (a whole /24 of addresses, ~2 hours). A student who
    mistypes a code loses one of 20 tries, and gets it back within two seconds."""

    def __init__(self, burst: int, per_minute: float, clock=time.monotonic):
        self.burst, self.rate, self.clock = burst, per_minute / 60.0, clock
        self.buckets: dict[str | None, tuple[float, float]] = {}  # address → (tokens, when)

    def _level(self, address) -> float:
        tokens, when = self.buckets.get(address, (self.burst, self.clock()))
        return min(self.burst, tokens + (self.clock() - when) * self.rate)

    def check(self, address) -> None:
        if self._level(address) < 1:
            wait = (1 - self._level(address)) / self.rate
            raise TooMany(f"Too many joins to unknown rooms from your computer (the limit is "
                          f"{self.rate * 60:g} a minute): wait {wait:.0f} s, then check the code.")

    def failed(self, address) -> None:
        if len(self.buckets) > 10_000:  # forget addresses whose bucket is full again
            self.buckets = {a: v for a, v in self.buckets.items() if self._level(a) < self.burst}
        self.buckets[address] = (self._level(address) - 1, self.clock())


class Registry:
    def __init__(self, settings, checkpoints=None, pool=None):
        self.settings = settings
        self.checkpoints = checkpoints  # a RoomStore: rooms come back after a restart (None: they don't)
        self.pool = pool  # the room processes (pool.py); None: every room's runner is a thread here
        self.reviving: set[asyncio.Task] = set()  # rooms being brought back after their process ended
        self.sessions: dict[str, Session] = {}
        self.where: dict[Client, Session] = {}
        self.joins = JoinLimiter(settings.join_failures_burst, settings.join_failures_per_minute)

    def _new_code(self) -> str:
        kept = self.checkpoints.codes() if self.checkpoints else set()  # a room that may come back keeps its code
        while True:
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.sessions and code not in kept:
                return code

    def create(self, model: str, config: dict, owner: Client, trainer=None, token: str | None = None) -> Session:
        """A new room with `owner` in it (who holds its token); `trainer` for forks and loaded runs,
        `token` to keep a loaded run's owner token."""
        self.check_room_for(owner)
        code = self._new_code()
        # built first: a config the trainer refuses must leave the client where it was
        session = Session(code, model, config, self.settings, asyncio.get_running_loop(), trainer, token,
                          self.checkpoints, self.pool, lost=lambda: self.lost(code))
        self.leave(owner)
        session.runner.start()
        self.sessions[code] = session
        session.token_holder, session.creator = owner, owner.address
        self._enter(owner, session, "owner")
        return session

    def check_room_for(self, owner: Client) -> None:
        """TooMany unless `owner` may start one more room (create, fork, load): the server's cap, and
        each address's share of it (so one computer never fills the server). At either limit the
        address's oldest empty room (waiting out its grace period) closes first: its owner has moved on
        to the room being made — someone clicking through the models' pages makes a room on each."""
        limit = self.settings.max_sessions_per_client
        mine = [s for s in self.sessions.values() if s.creator == owner.address]
        if len(mine) >= limit or len(self.sessions) >= self.settings.max_sessions:
            empty = [s for s in mine if not s.clients]
            if empty:
                self._close(min(empty, key=lambda s: s.emptied))
                mine = [s for s in mine if s.code in self.sessions]
        if len(self.sessions) >= self.settings.max_sessions:
            raise TooMany(f"The server has {self.settings.max_sessions} sessions, as many as it allows "
                          "(max_sessions); try again in a few minutes.")
        if len(mine) >= limit:
            raise TooMany(f"You have {limit} sessions in use already (the most one computer may have here, "
                          "max_sessions_per_client); close one first.")

    def restore(self, saved, trainer) -> Session:
        """A room back from its checkpoint (roomstore.RoomCheckpoint), with the trainer restored from it:
        the same code, the same owner token, the same lesson step. Nobody is in it yet (join follows)."""
        restored = {"step": saved.packed.steps, "saved": saved.updated}
        session = Session(saved.code, saved.model, {}, self.settings, asyncio.get_running_loop(), trainer,
                          saved.owner_token, self.checkpoints, self.pool, restored, lambda: self.lost(saved.code))
        lesson = saved.meta.get("lesson")
        session.lesson = LessonMsg(**lesson) if lesson else None
        session.allow_save = bool(saved.meta.get("allow_save"))
        locks = saved.meta.get("locks")
        session.locks = LocksMsg(**locks) if locks else None
        session.runner.set_meta(session.meta())
        session.runner.start()
        self.sessions[saved.code] = session
        session.emptied = time.monotonic()
        session.expiry = session.loop.call_later(GRACE_SECONDS, self._expire, saved.code)
        return session

    def join(self, code: str, client: Client, token: str | None = None) -> Session:
        self.joins.check(client.address)
        session = self.sessions.get(code.strip().upper())
        if session is None:
            self.joins.failed(client.address)
            raise KeyError(f"No session with code '{code}'. Check the code and try again.")
        if token is not None and not secrets.compare_digest(token, session.owner_token):
            self.joins.failed(client.address)
            raise PermissionError("That owner token doesn't match this room: join without it to watch.")
        if self.where.get(client) is session:  # already in it (an owner re-joining must stay the owner)
            if token:
                session.token_holder = client
            session.add(client, "owner" if token else session.clients[client])
            return session
        if len(session.clients) >= self.settings.max_clients_per_session:
            raise RoomFull(f"Room {session.code} is full.")
        cap = self.settings.max_viewers_per_client
        if not token and sum(c.address == client.address and r == "viewer" for c, r in session.clients.items()) >= cap:
            raise RoomFull(f"Your computer already has {cap} pages in room {session.code} (the most one may have, "
                           "max_viewers_per_client); close one first.")
        self.leave(client)
        if token:  # the creator coming back (a reload, a new device): the room is theirs again
            session.token_holder = client
        self._enter(client, session, "owner" if token else "viewer")
        return session

    def _enter(self, client: Client, session: Session, role: str) -> None:
        self.where[client] = session
        session.add(client, role)

    def session_of(self, client: Client) -> Session | None:
        return self.where.get(client)

    def leave(self, client: Client) -> None:
        session = self.where.pop(client, None)
        if session is None:
            return
        session.clients.pop(client, None)
        session.greeting.discard(client)
        if session.token_holder is client:
            session.token_holder = None
        session.send_roster()
        if not session.clients:
            session.emptied = time.monotonic()
            session.expiry = session.loop.call_later(GRACE_SECONDS, self._expire, session.code)

    def _expire(self, code: str) -> None:
        session = self.sessions.get(code)
        if session is not None and not session.clients:
            self._close(session)

    def _close(self, session: Session) -> None:
        """End an empty room now: its runner stops (writing its last checkpoint, when rooms are kept:
        the code brings the run back later, until the checkpoint expires)."""
        if session.expiry:
            session.expiry.cancel()
            session.expiry = None
        session.runner.stop()
        self.sessions.pop(session.code, None)

    def close(self) -> bool:
        """Stop every runner and wait for them, `shutdown_seconds` in all (not per room). Returns whether
        all stopped: one still inside a long torch call can't be interrupted, and a thread inside torch
        when the interpreter finalizes aborts the process, so the CLI then exits at once (cli.main)."""
        for session in self.sessions.values():
            session.runner.stop()
        deadline = time.monotonic() + self.settings.shutdown_seconds
        stopped = all([session.runner.join(max(0.0, deadline - time.monotonic()))
                       for session in self.sessions.values()])
        self.sessions.clear()
        if self.pool is not None:  # the room processes end too (each has stopped its rooms by now)
            stopped = self.pool.close(max(0.0, deadline - time.monotonic())) and stopped
        return stopped

    def lost(self, code: str) -> None:
        """The process running room `code` ended under it (a crash, the OOM killer). A kept room comes
        back at once from its last checkpoint in another process, its members still in it (each is
        greeted again, `restored` saying from which step); a room kept in memory only ends, and its
        members are told."""
        session = self.sessions.get(code)
        if session is None:
            return
        if self.checkpoints is None:
            return self._end(session, f"The process running room {code} stopped unexpectedly; rooms are not "
                                      "kept on this server (persist_rooms is off), so its run is gone.")
        notice = encode(ErrorMsg(message=f"The process running room {code} stopped unexpectedly; the room comes "
                                         "back from its last checkpoint in a moment.", code="room_lost"))
        for client in list(session.clients):
            client.push(notice)
        task = asyncio.get_running_loop().create_task(self._revive(session))
        self.reviving.add(task)
        task.add_done_callback(self.reviving.discard)

    async def _revive(self, session: Session) -> None:
        try:
            saved = await asyncio.to_thread(self.checkpoints.get, session.code)
            if saved is None:
                raise LookupError("no checkpoint")
            run = await asyncio.to_thread(saved.packed.unpack)  # torch.load: off the event loop
            built = await self.pool.build(run.model, run.config, run.custom, restore=run)
        except Exception:
            log.exception("room %s could not be brought back after its process ended", session.code)
            return self._end(session, f"The process running room {session.code} stopped unexpectedly and its "
                                      "checkpoint could not be restored.")
        if self.sessions.get(session.code) is not session:
            return
        session.model = saved.model
        session.runner = session.new_runner(self.settings, {}, built, self.pool,
                                            {"step": saved.packed.steps, "saved": saved.updated})
        session.runner.set_meta(session.meta())
        session.runner.start()
        for client in list(session.clients):
            session.greet(client)

    def _end(self, session: Session, message: str) -> None:
        text = encode(ErrorMsg(message=message, code="room_lost"))
        self.sessions.pop(session.code, None)
        for client in list(session.clients):
            client.push(text)
            self.where.pop(client, None)
        session.clients.clear()
