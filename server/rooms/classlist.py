"""The class as the teacher's dashboard shows it: the room's members, and the students who left it —
forked (in a room of their own, whose step and loss that room's runner reports) or disconnected —
each by name. A student who comes back under the same name is one of the members again."""
from __future__ import annotations

from dataclasses import dataclass

from ..replies import Member

MAX_AWAY = 200  # absent students remembered per room; the oldest go first
PROGRESS_SECONDS = 2.0  # how often a forked student's room is asked for its step and loss


@dataclass
class Away:
    id: str  # the member id they had in the room: the dashboard's handle for them while away
    name: str | None
    client: object  # the connection they left with (wire.Client): its room now, if any, is where they went
    step: int | None = None  # a forked student's run, as its runner last reported it
    loss: float | None = None
    asked: bool = False  # their room was asked for its progress at least once


def key_of(name: str | None, member_id: str) -> str:
    return f"name:{name.casefold()}" if name else f"id:{member_id}"


class ClassList:
    def __init__(self, where: dict):
        self.where = where  # Rooms.where: client → the room it is in now
        self.away: dict[str, Away] = {}

    def left(self, client, room) -> None:
        """A viewer left `room` (forked, closed the page, lost the network)."""
        self.away[key_of(client.name, client.id)] = Away(client.id, client.name, client)
        while len(self.away) > MAX_AWAY:
            self.away.pop(next(iter(self.away)))

    def has(self, client) -> bool:
        return any(a.client is client for a in self.away.values())

    def came_back(self, client) -> None:
        self.away.pop(key_of(client.name, client.id), None)

    def forget(self, member_id: str) -> bool:
        for k, a in list(self.away.items()):
            if a.id == member_id:
                del self.away[k]
                return True
        return False

    def forked(self, room) -> list[tuple[Away, object]]:
        """The absent students now in a room of their own (not `room`), with that room."""
        out = []
        for a in self.away.values():
            there = self.where.get(a.client)
            if there is not None and there is not room and not a.client.dropped.is_set():
                out.append((a, there))
        return out

    def members(self, room) -> list[Member]:
        """The absent students for the roster, after the room's own members."""
        forked = {id(a) for a, _ in self.forked(room)}
        for k, a in list(self.away.items()):
            if not a.name and id(a) not in forked:
                del self.away[k]  # an unnamed page that closed: nobody to wait for (a reload is a new guest)
        return [Member(id=a.id, name=a.name, role="viewer", state="forked" if id(a) in forked else "disconnected",
                       step=a.step if id(a) in forked else None, loss=a.loss if id(a) in forked else None)
                for a in self.away.values()]
