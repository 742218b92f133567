"""Members' questions to a room: the read-only queries (landscape, measure, explain, …) of the people
who watch it rather than drive it. A room has one thread (runner.py), so a question it answers is
time its owner's commands wait: each watcher has a line of its own, at most `member_queries` long,
and `member_query_seconds` of the room's time per minute; the runner takes the next question only
when its owner has nothing waiting, one member after another. A question equal to the one being
answered (a class asking for the same landscape) is answered by it; a member who leaves takes its
questions along.

The lines are filled from the web process's side (`add`, `forget`: any thread) and emptied by the
room's thread (`take`, `finish`, `done`), under one lock.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

WINDOW = 60.0  # a member's budget of the room's time is `seconds` per this many seconds


@dataclass
class Ask:
    """One question: what is asked (`key`: equal keys get one answer), who asked it first (charged
    for its time) and everyone its answer goes to."""

    key: str
    command: Any
    asker: Any
    listeners: list = field(default_factory=list)
    closed: bool = False  # its answer is on its way: nobody joins it any more


class Queries:
    def __init__(self, code: str, per_member: int, seconds: float):
        self.code, self.per_member, self.seconds = code, per_member, seconds
        self.lock = threading.Lock()
        self.lines: dict[Any, deque[Ask]] = {}  # member → its questions, in order
        # member → (seconds of the room's time it may still take, when that was counted): a bucket that
        # refills at `seconds` a minute up to `seconds`, and that a long question leaves in debt
        self.balance: dict[Any, tuple[float, float]] = {}
        self.running: Ask | None = None

    def add(self, command, client) -> str | None:
        """Line up a member's question; None, or why it is refused (the member's budget, in words)."""
        key = command.model_dump_json() if hasattr(command, "model_dump_json") else repr(command)
        now = time.monotonic()
        with self.lock:
            line = self.lines.setdefault(client, deque())
            for ask in ([self.running] if self.running else []) + list(line):
                if ask.key == key and not ask.closed:  # being answered, or asked already: one answer
                    if client not in ask.listeners:
                        ask.listeners.append(client)
                    return None
            if len(line) >= self.per_member:
                return (f"You have {len(line)} questions waiting in room {self.code} already (member_queries: "
                        f"at most {self.per_member} a member); wait for their answers.")
            left = self._left(client, now)
            if left <= 0:
                again = (0.05 * self.seconds - left) * WINDOW / self.seconds
                return (f"Your questions have used your share of room {self.code}'s time "
                        f"(member_query_seconds: {self.seconds:g} s a minute for each member); "
                        f"ask again in {max(1, round(again))} s.")
            line.append(Ask(key, command, client, [client]))
            return None

    def _left(self, client, now: float) -> float:
        left, then = self.balance.get(client, (self.seconds, now))
        return min(self.seconds, left + (now - then) * self.seconds / WINDOW)

    def waiting(self) -> int:
        return sum(len(line) for line in self.lines.values())

    def take(self) -> Ask | None:
        """The next question, from the member whose turn it is (then that member goes to the back)."""
        with self.lock:
            for client in list(self.lines):
                line = self.lines.pop(client)
                if line:
                    self.running = line.popleft()
                    self.lines[client] = line  # at the back: the others' questions come first
                    return self.running
            return None

    def finish(self, ask: Ask) -> list:
        """Its answer goes out now: to whom (nobody joins it after this)."""
        with self.lock:
            ask.closed = True
            if self.running is ask:
                self.running = None
            return list(ask.listeners)

    def done(self, ask: Ask, seconds: float) -> None:
        """Charge the asker for the room's time its question took."""
        self.finish(ask)
        now = time.monotonic()
        with self.lock:
            self.balance[ask.asker] = (self._left(ask.asker, now) - seconds, now)

    def forget(self, client) -> None:
        """A member left: its questions are dropped, and it is no longer waiting for anyone's."""
        with self.lock:
            self.lines.pop(client, None)
            self.balance.pop(client, None)
            if self.running is not None and client in self.running.listeners:
                self.running.listeners.remove(client)

    def clear(self) -> None:
        with self.lock:
            self.lines.clear()
