"""One trainer per session, in its own thread. Commands arrive through a thread-safe queue and are
applied between steps; frames go back to the event loop through `publish` (call_soon_threadsafe).
Frames are encoded here, once, off the event loop.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from pydantic import ValidationError

from flowscope.engine.checkpoint import to_state_dict_bytes
from flowscope.engine.data.custom import DataError, from_points, parse_csv
from flowscope.engine.data.plane import SPAN as PLANE_SPAN  # the networks' plane is [−span, span]²
from flowscope.engine.flow import Divergence
from flowscope.engine.trainers import make_trainer

from . import messages as m
from .protocol import (GPT_QUERIES, MAX_EPOCHS, AttentionQuery, Back, CharLossQuery, Configure, Data, DatasetQuery,
                       ExplainQuery, LandscapeQuery, MeasureQuery, Pause, Phase, Play, ProbsQuery, Reset, SampleQuery,
                       SetParam, Step, validate_config)
from .replies import (CharLossMsg, ErrorMsg, ExplainMsg, LandscapeMsg, MeasureMsg, OptimizerStateMsg, PhaseMsg, ProbsMsg,
                      SampleMsg)
from .wire import encode, encode_tensors

log = logging.getLogger("flowscope.runner")

# publish(frames, to): frames are (text, latest) pairs; `to` is one client, or None for everyone
Publish = Callable[[list[tuple[str, bool]], Any], None]


@dataclass
class Hello:
    """Greet one client: its `session`, then a full snapshot (late joiners see the state at once)."""

    role: str
    you: str
    token: str | None = None  # only for the session's creator


@dataclass
class Export:
    """Hand a fork (Trainer) or a saved copy (export dict + weights bytes) back to the event loop."""

    kind: str  # "fork" or "save"
    done: Callable  # called on the event loop with the result


@dataclass
class Relay:
    """Frames that don't come from the trainer (a lesson move) but must keep their place in the stream."""

    frames: list


_STOP = object()


class Runner:
    def __init__(self, code: str, model: str, config: dict, settings, publish: Publish, on_loop: Callable,
                 trainer=None):
        self.code, self.model, self.settings, self.publish, self.on_loop = code, model, settings, publish, on_loop
        # a given trainer (a fork, a loaded run) or a new one (ValueError for bad configs)
        self.trainer = trainer or make_trainer(model, config, settings.history_steps)
        self.commands: queue.Queue = queue.Queue()
        self.playing = False
        self.announced: str | None = None  # the divergence already told to the room
        self.owed = 0.0  # steps due while playing (fractional), from config.speed
        self.last_tick = self.next_tick = 0.0
        self.field_version = -1  # the Trainer.version the last field frame showed
        self.thread = threading.Thread(target=self._loop, name=f"trainer-{code}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.commands.put((_STOP, None))

    def submit(self, command, client) -> None:
        self.commands.put((command, client))

    # ----- the loop --------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            timeout = max(0.0, self.next_tick - time.monotonic()) if self.playing else None
            try:
                command, client = self.commands.get(timeout=timeout)
            except queue.Empty:
                command = client = None
            if command is _STOP:
                return
            frames: list[tuple[str, bool]] = []
            if command is not None:
                self._handle(command, client, frames)
            if self.playing and time.monotonic() >= self.next_tick:
                self._tick(frames)
            if frames:
                self.publish(frames, None)

    def _handle(self, command, client, frames) -> None:
        t = self.trainer
        try:
            if isinstance(command, Hello):
                hello = [(encode(m.session_msg(self.code, self.model, command.role, t, command.you, command.token)), False),
                         (encode(m.dataset_msg(t)), False),
                         (encode(m.state_msg(t, self.playing)), True)]
                field = self._field_frame()
                self.field_version = t.version  # the field of this version is out; send the next on change
                self.publish(hello + ([(field, "field")] if field else []), client)
                return
            if isinstance(command, Relay):
                return self.publish(command.frames, client)
            if isinstance(command, Export):
                if command.kind == "fork":
                    result = t.fork()
                else:
                    saved = t.export()
                    result = (saved, to_state_dict_bytes(saved["params"]))
                return self.on_loop(command.done, result)
            if isinstance(command, GPT_QUERIES):
                return self._inspect(command, client)
            if isinstance(command, DatasetQuery):
                return self.publish([(encode(m.dataset_msg(t)), False)], client)
            if isinstance(command, LandscapeQuery):
                grid = t.landscape(command.resolution, command.kind, command.span, command.seed, command.weights,
                                   command.at)
                return self.publish([(encode(LandscapeMsg(**grid, step=t.steps_done)), False)], client)
            if isinstance(command, MeasureQuery):  # on this thread, on a copy: the session is untouched
                msg = MeasureMsg(**t.measure(command.checkpoint is not False, command.bf16 is not False))
                return self.publish([(encode(msg), False)], client)
            if isinstance(command, ExplainQuery):
                msg = ExplainMsg(step=t.steps_done, name=command.name, index=command.index,
                                 optimizer=t.config.optimizer, **t.explain(command.name, tuple(command.index)))
                return self.publish([(encode(msg), False)], client)
            if isinstance(command, (Step, Back)):
                self.playing = False
            if isinstance(command, Step) and command.unit == "stage":
                frames.append((encode(m.stage_msg(t.next_stage())), False))
            elif isinstance(command, Step):
                if command.unit == "epoch":
                    t.run_epochs(min(command.count, MAX_EPOCHS))
                else:
                    t.run(command.count, batch=1 if command.unit == "sample" else None)
            elif isinstance(command, Back):
                event = t.back(command.count)
                if event is None:
                    return self._error(client, "Nothing to step back to yet: take a stage first (→).")
                frames.append((encode(m.stage_msg(event)), False))
            elif isinstance(command, Play):
                t.go_live()
                self.playing = not t.diverged
                self.owed, self.last_tick = 0.0, time.monotonic()
                self.next_tick = self.last_tick
            elif isinstance(command, Pause):
                self.playing = False
            elif isinstance(command, Reset):
                self.playing = False
                t.reset()
                frames.append((encode(m.dataset_msg(t)), False))
            elif isinstance(command, Data):
                if (command.points is None) == (command.csv is None):
                    return self._error(client, "data needs exactly one of points or csv")
                rows = parse_csv(command.csv) if command.csv is not None else from_points(command.points)
                self.playing = False
                t.set_data(rows)
                frames.append((encode(m.dataset_msg(t)), False))
            elif isinstance(command, SetParam):
                t.set_param(command.name, tuple(command.index), command.value)
            elif isinstance(command, Phase):
                if not hasattr(t, "switch_phase"):
                    return self._error(client, "phases (pre-train, fine-tune) belong to the transformer model")
                self.playing = False
                event = t.switch_phase(command.phase)
                if event:
                    frames.append((encode(PhaseMsg(step=event["step"], to=event["to"], samples=event["samples"],
                                                   eval=event["eval"])), False))
            elif isinstance(command, Configure):
                validate_config(self.model, {**t.config.to_dict(), **command.config}, self.settings.max_width)
                if t.configure(command.config):
                    self.playing = False
                    frames.append((encode(m.dataset_msg(t)), False))
        except Divergence as exc:
            self.playing = False
            frames.append((encode(ErrorMsg(message=str(exc), code="diverged")), False))
            self.announced = t.diverged
        except DataError as exc:
            return self._error(client, f"Your data: {exc}", "bad_data")
        except (ValidationError, ValueError) as exc:
            self._error(client, _explain(exc))
        except Exception as exc:  # a bug must not kill the session's only thread: report it, keep serving
            log.exception("runner %s: %s failed", self.code, type(command).__name__)
            self._error(client, f"Internal error while handling {type(command).__name__.lower()}: {exc!r}")
        self._finish_frames(frames)

    def _inspect(self, q, client) -> None:
        """The transformer's read-only views, answered to the asker alone."""
        gpt = getattr(self.trainer, "gpt", None)
        if gpt is None:
            return self._error(client, f"'{q.type}' looks inside the transformer model; this room runs {self.model}")
        step = self.trainer.steps_done
        if isinstance(q, AttentionQuery):
            text = q.text or self.trainer.dataset_view()["excerpt"][:48]
            maps = gpt.attention(text)
            frame = encode_tensors({"type": "attention", "step": step, "tokens": maps["tokens"]},
                                   {"weights": np.asarray(maps["layers"])})  # (layers, heads, T, T)
            return self.publish([(frame, False)], client)
        if isinstance(q, ProbsQuery):
            msg = ProbsMsg(step=step, **gpt.next_token_probs(q.text, q.position, q.temperature, q.top_k))
        elif isinstance(q, SampleQuery):
            msg = SampleMsg(step=step, prompt=q.prompt,
                            text=gpt.sample(q.chars, q.temperature, q.top_k, q.seed, prompt=q.prompt))
        elif isinstance(q, CharLossQuery):
            msg = CharLossMsg(step=step, **gpt.per_char_loss(q.text))
        else:
            msg = OptimizerStateMsg(step=step, name=q.name, index=q.index,
                                    state=gpt.optimizer_state(q.name, tuple(q.index)))
        self.publish([(encode(msg), False)], client)

    def _tick(self, frames) -> None:
        """While playing: run the steps `speed` asks for since the last tick, within one frame's time."""
        now = time.monotonic()
        frame = 1.0 / self.settings.frame_hz
        self.owed += self.trainer.config.speed * (now - self.last_tick)
        self.last_tick = now
        due = int(self.owed)
        self.owed -= due
        deadline = now + 0.85 * frame  # the rest of the frame: encode, and take commands
        done, chunk = 0, 1
        try:
            while done < due and time.monotonic() < deadline:
                done += self.trainer.run(min(due - done, chunk))
                chunk = min(chunk * 2, 64)  # small chunks keep the deadline; doubling keeps overhead low
        except Divergence as exc:
            self.playing = False
            frames.append((encode(ErrorMsg(message=str(exc), code="diverged")), False))
            self.announced = self.trainer.diverged
        if done < due:
            self.owed = 0.0  # faster than this machine can go: don't build a backlog
        self.next_tick = now + frame
        if done:
            self._finish_frames(frames)

    def _finish_frames(self, frames) -> None:
        """Every change ends with the steps' metrics (never dropped) and the latest state."""
        t = self.trainer
        batch = t.take_metrics()
        if batch:
            frames.append((encode(m.metrics_msg(batch)), False))
        if t.diverged and self.announced != t.diverged:
            self.playing = False
            frames.append((encode(ErrorMsg(message=t.diverged, code="diverged")), False))
        self.announced = t.diverged
        frames.append((encode(m.state_msg(t, self.playing)), True))
        if t.version != self.field_version:  # the parameters changed since the last field frame
            field = self._field_frame()
            if field:
                frames.append((field, "field"))
            self.field_version = t.version

    def _field_frame(self) -> bytes | None:
        arrays = self.trainer.field()
        if arrays is None:
            return None
        return encode_tensors({"type": "field", "step": self.trainer.steps_done, "span": PLANE_SPAN}, arrays)

    def _error(self, client, message: str, code: str = "bad_message") -> None:
        self.publish([(encode(ErrorMsg(message=message, code=code)), False)], client)


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "config"
        return f"config {where}: {err['msg']}"
    return str(exc)

