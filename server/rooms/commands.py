"""What a room's runner does with each message type: one method of `Commands` per type.

A command method takes (command, client, role, frames), appends the frames the whole room gets, answers
the asker alone through `runner.reply`, and returns True when the room's state changed (the runner
then adds `metrics`, `state` and `field`). It runs on the room's thread, inside the runner's guard:
what it raises becomes an `error` to the sender. No math here: the trainer computes, this routes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from pydantic import ValidationError

from flowscope.engine.data.custom import from_points, parse_csv
from flowscope.engine.trainers import make_trainer

from .. import messages as m
from ..protocol import (AttentionQuery, Back, CharLossQuery, Configure, Data, DatasetQuery, ExplainQuery, KillWorker,
                       LandscapeQuery, MAX_EPOCHS, MeasureQuery, OptimizerStateQuery, Pause, Phase, Play, ProbsQuery,
                       Reset, SampleQuery, SetParam, Step, Undo)
from ..replies import (CharLossMsg, ErrorMsg, ExplainMsg, LandscapeMsg, MeasureMsg, OptimizerStateMsg, PhaseMsg,
                      ProbsMsg, SampleMsg)
from ..wire import encode, encode_tensors
from .limits import admit_config

GREETED = "greeted"  # a frame pair (None, GREETED) ends a greeting: not sent, it tells the room it is out
HELD = "held"  # a frame pair (Held, HELD): what the room's run holds now, for the server's budget (not sent)
STEPPING = (Step,)  # what a pause drops from the queue
# taken between the chunks of a long command, in arrival order; anything else waits for it to end
READ_ONLY = (DatasetQuery, LandscapeQuery, ExplainQuery, MeasureQuery, AttentionQuery, ProbsQuery, SampleQuery,
             CharLossQuery, OptimizerStateQuery)


@dataclass
class Hello:
    """Greet one client: its `session`, then a full snapshot (late joiners see the state at once)."""

    role: str
    you: str
    token: str | None = None  # only for the session's creator
    also: list = field(default_factory=list)  # the room's own frames for a newcomer (lesson, locks), before the state


@dataclass
class Export:
    """Hand a fork (Trainer) or a saved copy (a PackedRun) back to the event loop."""

    kind: str  # "fork", "save" or "progress" (a step and loss for the class list)
    done: Callable  # called on the event loop with the result


@dataclass
class Relay:
    """Frames that don't come from the trainer (a lesson move) but must keep their place in the stream."""

    frames: list


@dataclass
class Swap:
    """Another model for the room (switch): the new trainer, built off the event loop, takes over
    between two steps; the old one is closed (a data-parallel run's workers end with it)."""

    model: str
    trainer: Any


@dataclass
class WorkersChanged:
    """The trainer's own worker processes reported progress (starting up): the room sees a new state."""


@dataclass
class Left:
    """A member left the room (its questions were dropped as it left: Runner.submit). `last`: nobody
    is left, so the room pauses at once — no work for nobody — and waits out its grace period as it is."""

    last: bool


class Commands:
    """What a room's runner does with each message type: one method per command, looked up by type
    (`table`). `runner` is the room's Runner (runner.py): its trainer, mode and frames."""

    def __init__(self, runner):
        self.runner = runner

    @property
    def trainer(self):
        return self.runner.trainer  # read at call time: a command may replace it

    def table(self) -> dict[type, callable]:
        return {Hello: self.hello, Relay: self.relay, Export: self.export, Swap: self.swap,
                DatasetQuery: self.dataset, LandscapeQuery: self.landscape, ExplainQuery: self.explain,
                MeasureQuery: self.measure, Step: self.step, Undo: self.undo, Back: self.back, Play: self.play,
                Pause: self.pause, Reset: self.reset, Data: self.data, SetParam: self.set_param, Phase: self.phase,
                Configure: self.configure, KillWorker: self.kill_worker, WorkersChanged: self.workers_changed,
                Left: self.left,
                **{q: self.inspect for q in (AttentionQuery, ProbsQuery, SampleQuery, CharLossQuery, OptimizerStateQuery)}}

    def hello(self, c: Hello, client, role, frames) -> bool:
        trainer = self.trainer
        out = [(encode(m.session_msg(self.runner.code, self.runner.model, c.role, trainer, c.you, c.token, self.runner.restored)),
                False),
               (encode(m.dataset_msg(trainer)), False), *c.also,
               (encode(m.state_msg(trainer, self.runner.playing, self.runner.undo_steps())), True)]
        if trainer.recent:  # the loss so far, for a late joiner's (or a restored room's) chart
            out.insert(2, (encode(m.metrics_msg(list(trainer.recent))), False))
        shown = trainer.shown_stage()  # the stage the owner has lit mid-walk: a late joiner sees it lit too
        if shown is not None:
            out.append((encode(m.stage_msg(shown)), False))
        field = self.runner.told.field()  # this version's field is out: the next goes on a change
        # the last pair marks the greeting delivered (Room._deliver): the owner's roster follows it
        self.runner.publish(out + ([(field, "field")] if field else []) + [(None, GREETED)], client)
        return False

    def relay(self, c: Relay, client, role, frames) -> bool:
        self.runner.publish(c.frames, client)
        return False

    def export(self, c: Export, client, role, frames) -> bool:
        if c.kind == "fork":
            result = self.trainer.fork()
        elif c.kind == "progress":  # a class room's dashboard asks a forked student's room (classlist.py)
            result = m.progress(self.trainer)
        else:
            result = self.trainer.export().pack()  # a PackedRun (engine/export.py): the store writes its columns
        self.runner.on_loop(c.done, result)
        return False

    def swap(self, c: Swap, client, role, frames) -> bool:
        self.runner.replace_trainer(c.trainer, c.model)
        self.runner.told.plan = c.trainer.plan  # the room greets every member next: session (with the plan), dataset, state
        return False

    def dataset(self, c: DatasetQuery, client, role, frames) -> bool:
        self.runner.reply(client, m.dataset_msg(self.trainer))
        return False

    def landscape(self, c: LandscapeQuery, client, role, frames) -> bool:
        # the owner's question sets the axes every step reports its place in; a viewer's only answers it,
        # and the owner's commands and play go on between its slices (runner.owner_turn)
        trainer, step = self.trainer, self.trainer.steps_done
        owner = role == "owner"
        grid = trainer.landscape(c.resolution, c.kind, c.span, c.seed, c.weights, c.at, adopt=owner,
                                 between=None if owner else self.runner.owner_turn)
        if self.trainer is not trainer:
            raise ValueError("The room's model changed while your landscape was being drawn; ask again.")
        self.runner.reply(client, LandscapeMsg(**grid, step=step))
        return False

    def measure(self, c: MeasureQuery, client, role, frames) -> bool:
        """Memory and time measured on a copy of the model, beside the formulas (read-only)."""
        self.runner.reply(client, MeasureMsg(**self.trainer.measure(c.checkpoint is not False, c.bf16 is not False)))
        return False

    def explain(self, c: ExplainQuery, client, role, frames) -> bool:
        trainer = self.trainer
        self.runner.reply(client, ExplainMsg(step=trainer.steps_done, name=c.name, index=c.index,
                                        optimizer=trainer.config.optimizer, **trainer.explain(c.name, tuple(c.index))))
        return False

    def step(self, c: Step, client, role, frames) -> bool:
        trainer = self.trainer
        if c.unit == "stage":
            self.runner.playing = False
            frames.append((encode(m.stage_msg(trainer.next_stage())), False))
            return True
        steps = min(c.count, MAX_EPOCHS) * trainer.steps_per_epoch if c.unit == "epoch" else c.count
        self.runner.start_job(steps, 1 if c.unit == "sample" else None)  # run in chunks by the self.runner's loop
        return False

    def back(self, c: Back, client, role, frames) -> bool:
        self.runner.playing = False
        event = self.trainer.back(c.count)
        if event is None:
            self.runner.error(client, "Nothing to step back to yet: take a stage first (→).")
            return False
        frames.append((encode(m.stage_msg(event)), False))
        return True

    def play(self, c: Play, client, role, frames) -> bool:
        self.trainer.go_live()
        self.runner.playing = not self.trainer.diverged
        self.runner.owed, self.runner.last_tick = 0.0, time.monotonic()
        self.runner.next_tick = self.runner.last_tick
        return True

    def pause(self, c: Pause, client, role, frames) -> bool:
        self.runner.cancel_steps()
        return True

    def _changing(self, keys, change: Callable[[], Any]):
        """Make a change of settings (`keys`) that `undo` can take back: the run as it was is kept first
        (engine/undo.py); a refused change leaves the stack as it was."""
        undos, trainer = self.runner.undos, self.trainer
        entry = undos.before_change(self.runner.model, trainer, keys)
        try:
            out = change()
        except BaseException:
            undos.drop(entry)
            raise
        undos.settle(entry, self.trainer)
        return out

    def reset(self, c: Reset, client, role, frames) -> bool:
        self.runner.cancel_steps()
        self._changing({"reset"}, self.trainer.reset)
        frames.append((encode(m.dataset_msg(self.trainer)), False))
        return True

    def data(self, c: Data, client, role, frames) -> bool:
        if (c.points is None) == (c.csv is None):
            raise ValueError("data needs exactly one of points or csv")
        rows = parse_csv(c.csv) if c.csv is not None else from_points(c.points)
        self._changing({"data"}, lambda: self.trainer.set_data(rows))
        self.runner.playing = False
        frames.append((encode(m.dataset_msg(self.trainer)), False))
        return True

    def set_param(self, c: SetParam, client, role, frames) -> bool:
        self.trainer.set_param(c.name, tuple(c.index), c.value)
        return True

    def phase(self, c: Phase, client, role, frames) -> bool:
        event = self.trainer.switch_phase(c.phase)
        self.runner.playing = False
        if event:
            frames.append((encode(PhaseMsg(step=event["step"], to=event["to"], samples=event["samples"],
                                           eval=event["eval"])), False))
        return True

    def configure(self, c: Configure, client, role, frames) -> bool:
        trainer = self.trainer
        # the whole new config is checked before anything is applied, and the values applied are the
        # validated ones (typed as the schema says), so a refused change leaves the room as it was
        now = trainer.config.to_dict()
        full = admit_config(self.runner.model, {**now, **c.config}, self.runner.settings)
        changed = {k for k in c.config if full[k] != now.get(k)}
        if not changed:
            return True
        if full.get("workers", 1) != getattr(trainer.config, "workers", 1):
            # one process ↔ N workers: another kind of trainer, built from the seed with the new config
            def rebuild():
                new = make_trainer(self.runner.model, full, self.runner.settings.history_steps,
                                   budget=self.runner.settings.budget)
                self.runner.replace_trainer(new)
            self._changing(changed, rebuild)
            frames.append((encode(m.dataset_msg(self.trainer)), False))
            return True
        if self._changing(changed, lambda: trainer.configure({k: full[k] for k in c.config})):
            self.runner.cancel_steps()
            frames.append((encode(m.dataset_msg(trainer)), False))
        return True

    def undo(self, c: Undo, client, role, frames) -> bool:
        """Back to the run as it was before the last change of settings, whole: weights, the optimizer's
        memory, the batch order, the step and the loss history (the room's charts start over from it)."""
        kept = self.runner.undos.pop(self.runner.model)
        s = self.runner.settings
        try:
            new = make_trainer(kept.model, kept.run.config, s.history_steps, kept.run.custom, s.budget)
            new.restore(kept.run)
        except BaseException:
            self.runner.undos.kept.append(kept)  # refused: still there to undo
            raise
        self.runner.replace_trainer(new)
        frames.append((encode(m.dataset_msg(new)), False))
        if new.recent:  # the history as it was: every member's chart is replaced by it
            frames.append((encode(m.metrics_msg(list(new.recent), replace=True)), False))
        return True

    def workers_changed(self, c: WorkersChanged, client, role, frames) -> bool:
        return True

    def left(self, c: Left, client, role, frames) -> bool:
        if c.last:  # the long command, play, and the steps and play queued behind the job end here
            self.runner.cancel_steps()
            self.runner.deferred = type(self.runner.deferred)(
                d for d in self.runner.deferred if not isinstance(d[0], (*STEPPING, Play)))
        return False

    def kill_worker(self, c: KillWorker, client, role, frames) -> bool:
        trainer = self.trainer
        if getattr(trainer.config, "workers", 1) < 2:  # before pausing: a refusal leaves the room as it was
            trainer.kill_worker(c.rank)  # raises: needs a data-parallel run
        self.runner.playing = False
        try:
            trainer.kill_worker(c.rank)
        except ValueError as exc:
            if getattr(exc, "code", None) != "worker_lost":
                raise  # a rank that doesn't exist, workers still starting: the asker alone is told
            frames.append((encode(ErrorMsg(message=str(exc), code="worker_lost")), False))  # the whole room
        return True

    def inspect(self, q, client, role, frames) -> bool:
        """The transformer's read-only views, answered to the asker alone."""
        trainer = self.trainer
        gpt = trainer.gpt
        if gpt is None:
            raise ValueError(f"'{q.type}' looks inside the transformer model; this room runs {self.runner.model}")
        step_no = trainer.steps_done
        if isinstance(q, AttentionQuery):
            maps = gpt.attention(q.text or trainer.dataset_view()["excerpt"][:48])
            frame = encode_tensors({"type": "attention", "step": step_no, "tokens": maps["tokens"]},
                                   {"weights": np.asarray(maps["layers"])})  # (layers, heads, T, T)
            self.runner.publish([(frame, False)], client)
            return False
        if isinstance(q, ProbsQuery):
            msg = ProbsMsg(step=step_no, **gpt.next_token_probs(q.text, q.position, q.temperature, q.top_k))
        elif isinstance(q, SampleQuery):
            msg = SampleMsg(step=step_no, prompt=q.prompt,
                            text=gpt.sample(q.chars, q.temperature, q.top_k, q.seed, prompt=q.prompt))
        elif isinstance(q, CharLossQuery):
            msg = CharLossMsg(step=step_no, **gpt.per_char_loss(q.text))
        else:
            msg = OptimizerStateMsg(step=step_no, name=q.name, index=q.index,
                                    state=gpt.optimizer_state(q.name, tuple(q.index)))
        self.runner.reply(client, msg)
        return False


AT_ONCE = (Pause, WorkersChanged, Left, *READ_ONLY)  # runner.py adds its own Hello, Relay and Export


def explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "config"
        return f"config {where}: {err['msg']}"
    return str(exc)
