"""What crosses between a room and its trainer's side when the trainer runs in a room process: typed
messages, one dataclass each, over one duplex pipe (pool.py sends the first kind, process.py the
second). The same commands reach a runner thread directly when rooms run in this process.

rid: the web process's number for one room's runner; key: a trainer built in the process, or an
answer owed."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# ----- web process → room process --------------------------------------------------------------
@dataclass
class Build:
    """Build a trainer (and restore a run into it); keep it under `key` for its room."""
    key: int
    model: str
    config: dict
    custom: Any = None
    restore: Any = None


@dataclass
class Open:
    """A room's runner, with the trainer built under `key`; `token`: the owner's, kept with its
    checkpoints (None: the room is not kept)."""
    rid: int
    code: str
    model: str
    config: dict
    key: int | None
    token: str | None
    restored: dict | None
    meta: dict = field(default_factory=dict)


@dataclass
class Submit:
    """A command for a room's runner from `client` (the web process's number for the sender)."""
    rid: int
    command: Any
    client: int | None
    role: str


@dataclass
class Meta:
    """The room's lesson and permissions, kept with its checkpoints."""
    rid: int
    meta: dict


@dataclass
class Stop:
    """End the room's runner (it writes its last checkpoint)."""
    rid: int


@dataclass
class Drop:
    """Forget (and close) a built trainer no room will take."""
    key: int


@dataclass
class Census:
    """Count what the process holds: its rooms and the trainers built but not taken."""
    key: int


@dataclass
class Close:
    """Stop every room and end the process."""


# ----- room process → web process --------------------------------------------------------------
@dataclass
class Ready:
    pid: int


@dataclass
class BuildDone:
    """A build's end: `error` (kind, message, code) or None and the trainer's whole config."""
    key: int
    error: tuple | None
    config: dict | None


@dataclass
class Frames:
    """Encoded frames of a room for one member (`to`) or all (None)."""
    rid: int
    frames: list
    to: int | None


@dataclass
class Answer:
    """An answer owed under `key`: a fork's trainer (kept here: `kind` "trainer", `value` its config),
    or a value (a saved run's PackedRun, a census)."""
    key: int
    kind: str
    value: Any


@dataclass
class Stopped:
    rid: int
