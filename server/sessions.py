"""Sessions (rooms): a short code, one runner, an owner and any number of viewers."""
from __future__ import annotations

import asyncio
import secrets

from .runner import Hello, Runner
from .wire import Client

# no 0/O, 1/I/L: a code read off a projector must not be ambiguous
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
GRACE_SECONDS = 120  # an empty session waits this long for its owner to come back (a page reload)


class Session:
    def __init__(self, code: str, model: str, config: dict, settings, loop: asyncio.AbstractEventLoop):
        self.code, self.model, self.loop = code, model, loop
        self.owner_token = secrets.token_urlsafe(16)  # reserved for hand-over/reclaim; never in links
        self.clients: dict[Client, str] = {}  # client → role
        self.expiry: asyncio.TimerHandle | None = None
        self.runner = Runner(code, model, config, settings, self._publish)

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
        self.clients[client] = role
        self.runner.submit(Hello(role), client)

    def role(self, client: Client) -> str | None:
        return self.clients.get(client)


class RoomFull(Exception):
    pass


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

    def create(self, model: str, config: dict, owner: Client) -> Session:
        if len(self.sessions) >= self.settings.max_sessions:
            raise ValueError("The server has as many sessions as it allows; try again later.")
        code = self._new_code()
        # built first: a config the trainer refuses must leave the client where it was
        session = Session(code, model, config, self.settings, asyncio.get_running_loop())
        self.leave(owner)
        session.runner.start()
        self.sessions[code] = session
        self._enter(owner, session, "owner")
        return session

    def join(self, code: str, client: Client) -> Session:
        session = self.sessions.get(code.strip().upper())
        if session is None:
            raise KeyError(f"No session with code '{code}'. Check the code and try again.")
        if self.where.get(client) is session:  # already in it (an owner re-joining must stay the owner)
            session.add(client, session.clients[client])
            return session
        if len(session.clients) >= self.settings.max_clients_per_session:
            raise RoomFull(f"Room {session.code} is full.")
        self.leave(client)
        self._enter(client, session, "viewer")
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
        if not session.clients:
            session.expiry = session.loop.call_later(GRACE_SECONDS, self._expire, session.code)

    def _expire(self, code: str) -> None:
        session = self.sessions.get(code)
        if session is not None and not session.clients:
            session.runner.stop()
            del self.sessions[code]

    def close(self) -> None:
        for session in self.sessions.values():
            session.runner.stop()
        self.sessions.clear()
