"""UndoStack: the runs a room can go back to, newest last — each a whole RunExport (weights, the
optimizer's memory, the batch order, the step, the loss history) taken just before a change of
settings, with the model it belongs to. Ctrl+Z takes the newest; a new change after an undo goes on
top of what is left.

Bounded twice: at most `levels` copies, and the oldest go first while the copies' footprint (the
same estimate the server's budget counts, footprint.py) passes `max_bytes`; the newest always stays.
A change made again with nothing in between (a slider dragged: its configure messages one after
another, no step, no other change) is one change: the copy taken before the first is the one kept.
"""
from __future__ import annotations

from dataclasses import dataclass

from .export import RunExport
from .footprint import footprint

LEVELS = 5  # what Ctrl+Z goes back through, at most


@dataclass
class Kept:
    model: str
    run: RunExport
    keys: frozenset  # the settings the change after it changed
    after: tuple | None = None  # (trainer.version, steps) once the change was made: what "nothing in between" means
    bytes: int = 0

    @property
    def steps(self) -> int:
        return self.run.steps


class UndoStack:
    def __init__(self, levels: int = LEVELS, max_bytes: float | None = None):
        self.levels, self.max_bytes = levels, max_bytes
        self.kept: list[Kept] = []

    def __len__(self) -> int:
        return len(self.kept)

    def top(self, model: str) -> Kept | None:
        """The run an undo brings back, when it is one of `model`'s (a room that switched model has none)."""
        return self.kept[-1] if self.kept and self.kept[-1].model == model else None

    def before_change(self, model: str, trainer, keys) -> Kept | None:
        """Keep the run as it is before a change of `keys`; returns the entry to `settle` (once the
        change is made) or `drop` (when it was refused), or None when the change repeats the last one."""
        keys = frozenset(keys)
        top = self.top(model)
        if top is not None and top.keys == keys and top.after == (trainer.version, trainer.steps_done):
            return None  # the same setting again, nothing in between: the copy before the first stays
        run = trainer.export()
        entry = Kept(model, run, keys, bytes=footprint(model, run.config).bytes)
        self.kept.append(entry)
        return entry

    def settle(self, entry: Kept | None, trainer) -> None:
        """The change is made: note where it left the run, and trim the stack to its bounds."""
        if entry is None:
            top = self.kept[-1] if self.kept else None
            if top is not None and top.after is not None:
                top.after = (trainer.version, trainer.steps_done)
            return
        entry.after = (trainer.version, trainer.steps_done)
        while len(self.kept) > self.levels or (len(self.kept) > 1 and self.max_bytes is not None
                                               and sum(k.bytes for k in self.kept) > self.max_bytes):
            self.kept.pop(0)

    def drop(self, entry: Kept | None) -> None:
        """The change was refused: its copy goes (the run is as it was)."""
        if entry is not None and self.kept and self.kept[-1] is entry:
            self.kept.pop()

    def pop(self, model: str) -> Kept:
        top = self.top(model)
        if top is None:
            raise ValueError("Nothing to undo: no change of settings has been made here yet.")
        return self.kept.pop()

    def held(self) -> tuple[tuple[str, dict], ...]:
        """(model, config) of every copy kept: what the server counts against its budget."""
        return tuple((k.model, k.run.config) for k in self.kept)
