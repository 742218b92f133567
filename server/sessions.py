"""Sessions (rooms): a short code, one runner, an owner and any number of viewers."""
from __future__ import annotations

import asyncio
import secrets

from .replies import LessonMsg, Member, RosterMsg
from .runner import Hello, Relay, Runner
from .wire import Client, encode

# no 0/O, 1/I/L: a code read off a projector must not be ambiguous
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
GRACE_SECONDS = 120  # an empty session waits this long for its owner to come back (a page reload)


class Session:
    def __init__(self, code: str, model: str, config: dict, settings, loop: asyncio.AbstractEventLoop,
                 trainer=None):
        self.code, self.model, self.loop = code, model, loop
        self.owner_token = secrets.token_urlsafe(16)  # the creator's: never in links, never to others
        self.clients: dict[Client, str] = {}  # client → role
        self.token_holder: Client | None = None
        self.had_viewers = False
        self.lesson: LessonMsg | None = None  # where the room is in a lesson, for late joiners
        self.creator: str | None = None  # the creating client's address, for per-client limits
        self.expiry: asyncio.TimerHandle | None = None
        self.runner = Runner(code, model, config, settings, self._publish,
                             lambda fn, *args: loop.call_soon_threadsafe(fn, *args), trainer)

    def _publish(self, frames, to) -> None:
        """Called from the runner thread: hop onto the event loop."""
        self.loop.call_soon_threadsafe(self._deliver, frames, to)

    def _deliver(self, frames, to) -> None:
        targets = [to] if to is not None else list(self.clients)
        for text, latest in frames:
            for client in targets:
                client.push(text, latest)

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
        token = self.owner_token if client is self.token_holder else None
        self.runner.submit(Hello(self.clients[client], client.id, token), client)
        if self.lesson is not None:
            self.runner.submit(Relay([(encode(self.lesson), False)]), client)

    def move_lesson(self, lesson_id: str, step: int) -> None:
        self.lesson = LessonMsg(id=lesson_id, step=step)
        self.runner.submit(Relay([(encode(self.lesson), False)]), None)

    def role(self, client: Client) -> str | None:
        return self.clients.get(client)

    def send_roster(self) -> None:
        """Tell the owner who is watching, once anyone is; a newer roster replaces an unsent one and
        comes after the owner's own hello (a mailbox, like state)."""
        if len(self.clients) < 2 and not self.had_viewers:
            return
        self.had_viewers = True
        members = [Member(id=c.id, name=c.name, role=r) for c, r in self.clients.items()]
        text = encode(RosterMsg(members=members))
        for client, role in self.clients.items():
            if role == "owner":
                client.push(text, latest="roster")

    def handover(self, to_id: str) -> None:
        target = next((c for c in self.clients if c.id == to_id), None)
        if target is None:
            raise KeyError(f"Nobody with id '{to_id}' is in room {self.code}.")
        self.add(target, "owner")


class RoomFull(Exception):
    pass


class TooMany(Exception):
    """A client address already holds as many sessions as it may."""


class Registry:
    def __init__(self, settings):
        self.settings = settings
        self.sessions: dict[str, Session] = {}
        self.where: dict[Client, Session] = {}

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.sessions:
                return code

    def create(self, model: str, config: dict, owner: Client, trainer=None) -> Session:
        """A new room with `owner` in it (who holds its token); `trainer` for forks and loaded runs."""
        if len(self.sessions) >= self.settings.max_sessions:
            raise TooMany("The server has as many sessions as it allows; try again later.")
        limit = self.settings.max_sessions_per_client
        if limit and sum(s.creator == owner.address for s in self.sessions.values()) >= limit:
            raise TooMany(f"You have {limit} sessions open already (the most one computer may have here); "
                          "close one, or wait two minutes for empty ones to end.")
        code = self._new_code()
        # built first: a config the trainer refuses must leave the client where it was
        session = Session(code, model, config, self.settings, asyncio.get_running_loop(), trainer)
        self.leave(owner)
        session.runner.start()
        self.sessions[code] = session
        session.token_holder, session.creator = owner, owner.address
        self._enter(owner, session, "owner")
        return session

    def join(self, code: str, client: Client, token: str | None = None) -> Session:
        session = self.sessions.get(code.strip().upper())
        if session is None:
            raise KeyError(f"No session with code '{code}'. Check the code and try again.")
        if token is not None and not secrets.compare_digest(token, session.owner_token):
            raise PermissionError("That owner token doesn't match this room: join without it to watch.")
        if self.where.get(client) is session:  # already in it (an owner re-joining must stay the owner)
            if token:
                session.token_holder = client
            session.add(client, "owner" if token else session.clients[client])
            return session
        if len(session.clients) >= self.settings.max_clients_per_session:
            raise RoomFull(f"Room {session.code} is full.")
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
        if session.token_holder is client:
            session.token_holder = None
        session.send_roster()
        if not session.clients:
            session.expiry = session.loop.call_later(GRACE_SECONDS, self._expire, session.code)

    def _expire(self, code: str) -> None:
        session = self.sessions.get(code)
        if session is not None and not session.clients:
            session.runner.stop()
            del self.sessions[code]

    def close(self) -> None:
        """Stop every runner and wait for it: a thread still inside torch when the interpreter exits
        aborts the process."""
        for session in self.sessions.values():
            session.runner.stop()
        for session in self.sessions.values():
            session.runner.thread.join(timeout=10)
        self.sessions.clear()
