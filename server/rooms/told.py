"""What a room was last told, and the frames that bring it up to date after a change: the plan when
the step's shape changed, what the run holds (for the server's budget), the steps' metrics (never
dropped), a divergence once, the latest state, and a network's field when its parameters moved.
The room's runner owns one; frames are encoded here, once, on the runner's thread."""
from __future__ import annotations

import time

from .. import messages as m
from ..replies import ErrorMsg
from ..wire import encode, encode_tensors
from . import commands as handlers
from .limits import Held


class Told:
    def __init__(self, runner):
        self.runner = runner
        trainer = runner.trainer
        self.plan = trainer.plan  # the plan the room was last told (in `session`, or a `plan` frame)
        self.field_version = -1  # the Trainer.version the last field frame showed
        self.announced: str | None = None  # the divergence already told to the room
        self.held = (runner.model, trainer.config, ())  # what the room was last told its run holds
        self.at = 0.0  # when the room last got frames (monotonic)

    def new_trainer(self) -> None:
        """Another trainer took over (switch, undo): its field and any divergence are news."""
        self.field_version, self.announced = -1, None

    def finish(self, frames) -> None:
        """Every change ends with the steps' metrics (never dropped) and the latest state."""
        r = self.runner
        t, self.at = r.trainer, time.monotonic()
        self.plan_frame(frames)
        self.held_frame(frames)
        batch = t.take_metrics()
        if batch:
            frames.append((encode(m.metrics_msg(batch)), False))
        if t.diverged and self.announced != t.diverged:
            r.playing, r.job = False, None
            frames.append((encode(ErrorMsg(message=t.diverged, code="diverged")), False))
        self.announced = t.diverged
        frames.append((encode(m.state_msg(t, r.playing, r.undo_steps())), True))
        if t.version != self.field_version:  # the parameters changed since the last field frame
            field = self.field()
            if field:
                frames.append((field, "field"))

    def plan_frame(self, frames) -> None:
        """A change of shape (layers, blocks, optimizer, new data) changed the step's plan: tell the room."""
        plan = self.runner.trainer.plan
        if plan is not self.plan and plan != self.plan:
            frames.append((encode(m.plan_msg(plan)), False))
        self.plan = plan

    def held_frame(self, frames) -> None:
        """The run's model or config changed, or what `undo` keeps did: the room counts it against the
        server's budget (limits.Held; not sent to anyone)."""
        r = self.runner
        now = (r.model, r.trainer.config, r.undos.held())
        if now[0] is self.held[0] and now[1] is self.held[1] and now[2] == self.held[2]:
            return
        self.held = now
        frames.append((Held(r.model, r.trainer.config.to_dict(), now[2]), handlers.HELD))

    def field(self) -> bytes | None:
        """A network's picture over the plane (binary), or None for models without one; the room has
        seen this version's once it is sent."""
        from flowscope.engine.data.plane import SPAN  # the networks' plane is [−span, span]²

        trainer = self.runner.trainer
        self.field_version = trainer.version
        arrays = trainer.field()
        if arrays is None:
            return None
        return encode_tensors({"type": "field", "step": trainer.steps_done, "span": SPAN}, arrays)
