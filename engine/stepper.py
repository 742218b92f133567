"""Stepper: a model's steps handed out stage by stage, with a bounded history to step back through.

A step is computed once (forward and backward) when its first stage is asked for; its stages are
then handed out one by one from the kept intermediates. The update itself is applied when the
`update` stage is reached, with the settings in force at that moment, so a live lr change mid-step
is honest. Whole steps (`run`) skip building stage events; stepping back into them builds the
events from the kept record on demand.

Subclasses (the NumPy Trainer, the transformer's) supply four things: `plan` (PlanEntry, flow.py),
`_compute(size)` (one batch's forward and backward, changing nothing), `_apply(trace, evaluate)` (the
update, filling trace.after/lr/metrics), and `_describe(stage, layer, trace)` (values, formula, caption).
"""
from __future__ import annotations

from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .flow import Divergence, PlanEntry, StageEvent, StepMetrics

RECENT_METRICS = 1000  # evaluated steps kept for the loss chart of whoever arrives later


@dataclass
class StepTrace:
    step: int
    record: Any
    before: dict
    after: dict | None = None
    lr: float | None = None
    metrics: StepMetrics | None = None
    applied: dict | None = None  # the gradients the update used, when clipping changed them
    clip_note: str = ""
    handed: int = 0  # how many of its stages have been handed out (or passed by a whole step)
    events: dict[int, StageEvent] = field(default_factory=dict)  # built on first request


class Stepper:
    lit = False  # see _clear

    def __init__(self, history_steps: int = 50):
        self.history_steps = history_steps
        self.version = 0  # counts every change of the parameters (steps, resets): views redraw on change

    def _clear(self) -> None:
        """Forget the steps (a reset): history, cursor, counters."""
        self.steps_done = 0
        self.history: deque[StepTrace] = deque(maxlen=self.history_steps)
        self.cursor: tuple[int, int] | None = None  # (trace index in history, event index)
        self.lit = False  # the cursor's stage was handed out by a stage walk (next_stage, back), not a whole step
        self.diverged: str | None = None
        self.alarm: dict | None = None  # a warning's numbers, fixed when it began (held)
        self.outbox: list[StepMetrics] = []
        # the evaluated steps' numbers, newest last: a late joiner's (and a restored room's) loss chart
        self.recent: deque[StepMetrics] = deque(maxlen=RECENT_METRICS)
        self.version += 1

    def held(self, on: bool, facts) -> dict | None:
        """A warning's numbers, fixed at the moment it began: `facts()` is read once, when `on` first
        holds, and kept while it holds (read again at every state, one explosion was said to reach
        25.9, then 20.1, then 20.6); when `on` fails they go, and a later rise is a new moment."""
        if not on:
            self.alarm = None
        elif self.alarm is None:
            self.alarm = facts()
        return self.alarm

    @contextmanager
    def unchanged_on_error(self):
        """A change that raises leaves the trainer exactly as it was: a refused change changes nothing.
        Rebuilds replace objects rather than edit them, so putting the old attributes back suffices."""
        saved = dict(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    # ----- what a subclass supplies ----------------------------------------------------------
    @property
    def plan(self) -> tuple[PlanEntry, ...]:
        """The stages of one step in the order they run, with their words (engine/flow.py)."""
        raise NotImplementedError

    @property
    def steps_per_epoch(self) -> int:
        raise NotImplementedError

    def _compute(self, size: int | None) -> Any:
        raise NotImplementedError

    def _params_view(self) -> dict:
        raise NotImplementedError

    def _apply(self, trace: StepTrace, evaluate: bool = True) -> None:
        raise NotImplementedError

    def _describe(self, stage: str, layer: int, trace: StepTrace) -> tuple[dict, str, str]:
        raise NotImplementedError

    # ----- stepping --------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """True when the cursor is on the newest stage handed out (not back in history)."""
        if self.cursor is None:
            return True
        i, j = self.cursor
        return i == len(self.history) - 1 and j == self.history[i].handed - 1

    def next_stage(self) -> StageEvent:
        if not self.live:
            i, j = self.cursor
            self.cursor = (i, j + 1) if j + 1 < self.history[i].handed else (i + 1, 0)
            self.lit = True
            return self._event(*self.cursor).replayed()
        self._check()
        head = self.history[-1] if self.history else None
        if head is None or head.handed == len(self.plan):
            head = self._begin()
        k = head.handed
        if self.plan[k].stage == "update":
            self._apply(head)
        head.handed += 1
        self.cursor, self.lit = (len(self.history) - 1, k), True
        return self._event(*self.cursor)

    def back(self, count: int = 1) -> StageEvent | None:
        """Move the cursor back through the kept stages; None if nothing has been handed out."""
        if self.cursor is None:
            return None
        i, j = self.cursor
        for _ in range(count):
            if j > 0:
                j -= 1
            elif i > 0:
                i, j = i - 1, self.history[i - 1].handed - 1
            else:
                break
        self.cursor, self.lit = (i, j), True
        return self._event(i, j).replayed()

    def run(self, steps: int, batch: int | None = None, evaluate: bool = True) -> int:
        """Whole steps; a step already in hand is finished first and counts as one. Returns steps done.
        `batch=1` makes each new step use one sample: stepping "by sample", whatever batch_size is.
        `evaluate`: the last step measures the whole-set losses (a long command run in chunks asks
        only in its last chunk)."""
        done = self._finish_shown()
        while done < steps:
            self._check()  # before _begin: a refused step must leave no trace in history
            done += 1
            self._finish(self._begin(batch), evaluate=evaluate and done == steps)
        return done

    def _finish_shown(self, evaluate: bool = True) -> int:
        """Back to live; a step in hand (stepped through by stage, not yet applied) is finished first.
        Returns the steps that finished: 1 or 0 (every trainer's `run` counts it as one of its steps)."""
        self.go_live()
        head = self.history[-1] if self.history else None
        if head is None or head.metrics is not None:
            return 0
        self._finish(head, evaluate=evaluate)
        return 1

    def run_epochs(self, epochs: int) -> int:
        return self.run(epochs * self.steps_per_epoch)

    def go_live(self) -> None:
        self.lit = False
        if self.history and self.history[-1].handed:
            self.cursor = (len(self.history) - 1, self.history[-1].handed - 1)

    def take_metrics(self) -> list[StepMetrics]:
        out, self.outbox = self.outbox, []
        return out

    # ----- internals -------------------------------------------------------------------------
    def _check(self) -> None:
        if self.diverged:
            raise Divergence(self.steps_done, self.diverged)

    def _begin(self, size: int | None = None) -> StepTrace:
        rec = self._compute(size)
        trace = StepTrace(self.steps_done, rec, self._params_view())
        if len(self.history) == self.history.maxlen and self.cursor is not None:
            self.cursor = (self.cursor[0] - 1, self.cursor[1])  # the oldest trace falls off
        self.history.append(trace)
        return trace

    def _finish(self, trace: StepTrace, evaluate: bool = True) -> None:
        """Apply a step without building its stage events (whole-step and play paths)."""
        self._check()
        if trace.after is None:
            self._apply(trace, evaluate)
        trace.handed = len(self.plan)  # all passed; back() builds any of them from the record
        self.cursor, self.lit = (len(self.history) - 1, trace.handed - 1), False

    def _event(self, i: int, k: int) -> StageEvent:
        trace = self.history[i]
        if k not in trace.events:
            entry = self.plan[k]
            stage, layer = entry.stage, entry.layer
            values, formula, caption = self._describe_at(k, trace)
            updated = trace.after is not None and any(e.stage == "update" for e in self.plan[:k + 1])
            params = trace.after if updated else trace.before  # the update's and any stage after it (zero 1's broadcast)
            trace.events[k] = StageEvent(trace.step, stage, k, layer, values, params, formula, caption, way=entry.way)
        return trace.events[k]

    def _describe_at(self, k: int, trace: StepTrace) -> tuple[dict, str, str]:
        """The plan's k-th stage of `trace` (a plan may name a stage twice at one layer: a split run's
        communication stages are told apart by their place)."""
        entry = self.plan[k]
        return self._describe(entry.stage, entry.layer, trace)

    # ----- capabilities only some models have (engine/interface.py): the rest say so -----------
    gpt = None  # the transformer's run, where there is one

    def close(self) -> None:
        """End what the trainer runs besides itself (a data-parallel run's worker processes); most
        trainers run nothing else."""

    def watch(self, notify, stopping=None) -> None:
        """Call `notify` when processes of the trainer's own report progress: most have none."""

    def switch_phase(self, phase: str) -> dict | None:
        raise ValueError("phases (pre-train, fine-tune) belong to the transformer model")

    def measure(self, checkpoint: bool = True, bf16: bool = True) -> dict:
        raise ValueError("'Measure here' measures a model in this one process; this run's model lives in its workers")

    def kill_worker(self, rank: int) -> dict:
        raise ValueError("kill_worker needs a data-parallel run: create the transformer with workers ≥ 2")

    def shown_stage(self) -> StageEvent | None:
        """The stage a stage-by-stage walk has lit now (the cursor's, once handed out by `next_stage`
        or reached by `back`), for someone who joins mid-walk; None after whole steps or play."""
        if self.cursor is None or not self.lit:
            return None
        event = self._event(*self.cursor)
        return event if self.live else event.replayed()

    def cursor_view(self) -> dict | None:
        if self.cursor is None:
            return None
        ev = self._event(*self.cursor)
        return {"step": ev.step, "index": ev.index, "stage": ev.stage, "live": self.live}

