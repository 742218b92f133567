"""One trainer per session, in its own thread. Commands arrive through a thread-safe queue and are
applied between steps; frames go back to the event loop through `publish` (call_soon_threadsafe).
Frames are encoded here, once, off the event loop.

The thread never dies of a command: each one — its handler and the frames it builds — runs inside
one guard, and a failure becomes an `error` to the sender while the room goes on. Long commands
(thousands of steps, epochs) run in chunks of about CHUNK_SECONDS: between chunks the room's other
commands are taken, `pause` or the end of the session stops the command, and the event loop gets
the interpreter for a moment.
"""
from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import ValidationError

from flowscope.engine.data.custom import DataError
from flowscope.engine.flow import Divergence
from flowscope.engine.trainers import make_trainer
from flowscope.engine.undo import UndoStack

from . import commands as handlers
from .commands import Export, Hello, Relay, Swap, explain  # the server's own commands (imported from here too)
from ..replies import ErrorMsg
from .keep import Keep
from .memory import give_back_memory
from .people import PEOPLE
from .queries import Queries
from .told import Told
from ..wire import encode

log = logging.getLogger("flowscope.runner")

# publish(frames, to): frames are (text, latest) pairs; `to` is one client, or None for everyone
Publish = Callable[[list[tuple[str, bool]], Any], None]

MAX_PENDING = 64  # commands waiting in one room's queue; past this the sender is told the room is busy
CHUNK_SECONDS = 0.03  # a long command's work between two looks at the queue
PUBLISH_SECONDS = 0.25  # a long command's progress (metrics, state) reaches the room this often
YIELD_SECONDS = 0.002  # then the thread sleeps this long: the event loop (one GIL) answers meanwhile
URGENT_SECONDS = 0.1  # a person's step command goes before the rooms that play for this long, at most
SWITCH_SECONDS = 0.001  # how often the interpreter hands the GIL on (see Runner.start)
FINISH_MARGIN = 0.0005  # added to a play frame's measured finish: the steps before it end that much early


@dataclass
class Job:
    """A long step command in progress: steps still owed, one sample each or whole batches."""

    left: int
    batch: int | None
    published: float = field(default_factory=time.monotonic)  # when the room last heard of it


class Abandoned(Exception):
    """A member's question dropped: the room ended while it was being answered."""


_STOP = object()
_ASKED = object()  # wakes the loop: a member's question is in its line (queries.py)
_INTERNAL = (Hello, Relay, Export, Swap)  # the server's own commands: never refused for a full queue
AT_ONCE = (*_INTERNAL, *handlers.AT_ONCE)  # taken even while a long command runs
_UNCOUNTED = (*_INTERNAL, handlers.Left, handlers.Pause, handlers.WorkersChanged)  # never refused for a full queue


class Runner:
    def __init__(self, code: str, model: str, config: dict, settings, publish: Publish, on_loop: Callable,
                 trainer=None, keep: Keep | None = None, restored: dict | None = None):
        self.code, self.model, self.settings, self.out, self.on_loop = code, model, settings, publish, on_loop
        # a given trainer (built off the event loop, a fork, a loaded run) or a new one
        self.trainer = trainer or make_trainer(model, config, settings.history_steps, budget=settings.budget)
        self.commands: queue.Queue = queue.Queue()  # the owner's commands and the server's own
        # the watchers' questions, each member's in a line of its own, after the owner's commands
        self.queries = Queries(code, settings.member_queries, settings.member_query_seconds)
        self.answering = None  # the question (queries.Ask) being answered now: its answer goes to all who asked it
        self.lent = 0.0  # seconds of that answer's time the owner's turns took (owner_turn)
        self.woken = False  # a wake (_ASKED) for a question is in the queue
        self.playing = False
        self.job: Job | None = None
        self.urgent: float | None = None  # until when the job in progress is a person's (People counts it)
        self.deferred: deque = deque()  # commands that wait for the long command in progress
        self.stopping = False
        self.owed = 0.0  # steps due while playing (fractional), from config.speed
        self.last_tick = self.next_tick = 0.0
        self.finish_cost = 0.005  # seconds a play frame's finish takes (measured in _tick)
        self.step_seconds = 0.0  # what one step takes, smoothed (_run_until); 0: not measured yet
        self.step_for = None  # (trainer, its config) step_seconds was measured for
        # checkpoints (server/roomstore.py): `keep` writes one; the room's meta (lesson, permissions)
        # comes from its session (set_meta); `restored` says where a restored room came back from
        self.keep, self.restored = keep, restored
        # the runs `undo` goes back to (engine/undo.py): at most 5, fewer when they would pass one model's budget
        self.undos = UndoStack(max_bytes=settings.max_model_mb * 2**20)
        self.told = Told(self)  # what the room was last told, and the frames after a change
        self.handlers = handlers.Commands(self).table()
        self.watch()
        PEOPLE.rooms.add(self)
        self.thread = threading.Thread(target=self._loop, name=f"trainer-{code}", daemon=True)

    def start(self) -> None:
        # the GIL passes between threads every `switchinterval` (5 ms by default): with rooms training
        # in threads, the event loop waited that long for each of the many times it needs the GIL
        sys.setswitchinterval(SWITCH_SECONDS)
        self.thread.start()

    def stop(self) -> None:
        """End the thread at the next chunk; queued commands are dropped (nobody is left to answer)."""
        self.stopping = True
        self.commands.put((_STOP, None, None))

    def submit(self, command, client, role: str = "owner") -> None:
        if role != "owner" and isinstance(command, handlers.READ_ONLY):  # a watcher's question: its own line
            why = self.queries.add(command, client)
            if why:  # straight out: not through publish, which may be fanning out a question in hand
                return self.out([(encode(ErrorMsg(message=why, code="busy")), False)], client)
            if not self.woken:  # one wake in the queue at a time: questions never fill the owner's 64
                self.woken = True
                self.commands.put((_ASKED, None, None))  # not a person's command: other rooms don't wait for it
            return
        if isinstance(command, handlers.Left):
            self.queries.forget(client)  # at once, whatever the room's thread is doing
            if not command.last:
                return
        # a pause is never refused for a full queue: it is how the owner empties it (under load, 64 steps
        # still queued refused the pause, and the 10,000-step command behind them ran on)
        if not isinstance(command, _UNCOUNTED) and self._waiting() >= MAX_PENDING:
            self.error(client, f"Room {self.code} has {MAX_PENDING} commands waiting; wait for them to finish.", "busy")
            return
        PEOPLE.add()
        self.commands.put((command, client, role))

    def _waiting(self) -> int:
        """The sender's commands waiting: the server's own (a hundred viewers joining is a hundred
        hellos) never count against the owner's 64 — they refused the owner's play."""
        with self.commands.mutex:  # the event loop appends while we look
            queued = sum(1 for c in self.commands.queue if c[0] is not _ASKED and not isinstance(c[0], _UNCOUNTED))
        return queued + sum(1 for c in self.deferred if not isinstance(c[0], _UNCOUNTED))

    def _forget_queue(self) -> None:
        """The thread ends: what it will never handle no longer holds other rooms back."""
        self.deferred.clear()
        dropped = 0
        while True:
            try:
                command, _, _ = self.commands.get_nowait()
            except queue.Empty:
                break
            dropped += command is not _STOP and command is not _ASKED
            if isinstance(command, Swap):  # a new model for a room that ends: nobody will run it
                command.trainer.close()
        PEOPLE.done(dropped)
        self.queries.clear()
        self._release()

    def replace_trainer(self, new, model: str | None = None) -> None:
        """The one way a room's trainer changes (switch, undo, one process ↔ N workers): the steps in
        flight are dropped, the old trainer's processes end, the new one's are watched."""
        old = self.trainer
        self.cancel_steps()
        self.trainer, self.model = new, model or self.model
        self.told.new_trainer()
        self.watch()
        if old is not new:
            old.close()
            del old
            give_back_memory()

    def watch(self) -> None:
        """Data-parallel workers start in the background: their progress reaches the room as a state."""
        self.trainer.watch(lambda: None if self.stopping else self.submit(handlers.WorkersChanged(), None),
                           lambda: self.stopping)

    def cancel_steps(self) -> None:
        """Pause: the long command in progress and the step commands waiting behind it are dropped."""
        self.playing, self.job = False, None
        self.deferred = deque(c for c in self.deferred if not isinstance(c[0], handlers.STEPPING))

    # ----- the loop --------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            self._forget_queue()
            self.checkpoint()  # a shutdown or an emptied room: the run as it is now
            self.trainer.close()  # a trainer with processes of its own ends them

    def _serve(self) -> None:
        while not self.stopping:
            self._turn()

    def _turn(self, nested: bool = False) -> None:
        """One round of the loop: the commands queued, a member's question (not while one is in
        hand: `nested`), a chunk of the long command or a tick of play, the frames, a checkpoint."""
        frames: list[tuple[str, bool]] = []
        batch = self._next_commands(wait=not nested)
        for i, (command, client, role, queued) in enumerate(batch):
            if command is _STOP or self.stopping:
                self.stopping = True
                # what this batch still held will never be handled: it must not hold other rooms back
                PEOPLE.done(sum(1 for c in batch[i:] if c[3] and c[0] is not _STOP and c[0] is not _ASKED))
                return
            if command is _ASKED:
                self.woken = False
                continue  # the question waits in its line: answered below, once the owner's commands are
            before = self.job
            if self.job and not isinstance(command, AT_ONCE):
                self.deferred.append((command, client, role))  # applied in order once the long command ends
            else:
                self._guard(command, client, frames, lambda: self._handle(command, client, role, frames))
            if queued and self.job is not None and self.job is not before and self.urgent is None:
                self.urgent = time.monotonic() + URGENT_SECONDS  # its steps are the person's: still counted
            elif queued:
                PEOPLE.done()  # handled, or waiting for this room's own work: no longer another room's worry
        if not nested and self.queries.waiting() and not self.commands.qsize() and not (self.deferred and not self.job):
            self._answer(frames)  # one member's question at a time, when the owner has nothing waiting
        if not nested and (self.job or self.playing) and not self.commands.qsize() and self.urgent is None:
            PEOPLE.wait()  # another room's person first
        if self.job:
            self._guard(None, None, frames, lambda: self._work(frames))
        if self.urgent is not None and (self.job is None or time.monotonic() >= self.urgent):
            self._release()  # done, or long enough: the rest of a long command is work like play
        elif self.playing and time.monotonic() >= self.next_tick:
            self._guard(None, None, frames, lambda: self._tick(frames))
        if frames:
            self.publish(frames, None)
        idle = not (self.playing or self.job or self.commands.qsize())
        if self.keep is not None and self.keep.due(idle):
            self.checkpoint()  # falling idle (a pause, a step), or every few seconds while it works
        if self.job and self.urgent is None and not nested:
            time.sleep(YIELD_SECONDS)

    def owner_turn(self) -> None:
        """Called between the slices of a member's long question (a landscape): the owner's commands,
        play and a long command go on meanwhile — the owner never waits behind a watcher. Raises
        Abandoned when the room ends meanwhile (the question is dropped)."""
        ask, self.answering = self.answering, None  # frames now are the room's, not the answer
        start = time.monotonic()
        try:
            self._turn(nested=True)
        finally:
            self.answering, self.lent = ask, self.lent + time.monotonic() - start
        if self.stopping:
            raise Abandoned()

    def _release(self) -> None:
        """The person's command this room's job started no longer goes before other rooms."""
        if self.urgent is not None:
            self.urgent = None
            PEOPLE.done()

    def _next_commands(self, wait: bool = True) -> list[tuple]:
        """What to handle now: the next deferred command once the long one is over; else what the
        queue holds — everything in it while a long command runs (a pause must not wait in line).
        Without `wait`, only what is there already."""
        if self.deferred and not self.job:
            return [(*self.deferred.popleft(), False)]
        if self.job or self.queries.waiting() or not wait:
            timeout = 0.0
        elif self.playing:
            timeout = max(0.0, self.next_tick - time.monotonic())
        else:  # idle: wait for a command, or until a failed checkpoint is due again
            timeout = self.keep.retry_in() if self.keep is not None else None
        out = []
        try:
            out.append((*self.commands.get(timeout=timeout), True))
            while self.job:
                out.append((*self.commands.get_nowait(), True))
        except queue.Empty:
            pass
        return out

    def _answer(self, frames) -> None:
        """Answer the next member's question (its answer goes to everyone who asked it meanwhile) and
        charge its asker the room's time it took."""
        ask = self.queries.take()
        if ask is None:
            return
        self.answering, self.lent, start = ask, 0.0, time.monotonic()
        try:
            self._guard(ask.command, ask.asker, frames, lambda: self._handle(ask.command, ask.asker, "viewer", frames))
        finally:
            self.answering = None
            self.queries.done(ask, time.monotonic() - start - self.lent)  # the owner's turns meanwhile are not the asker's

    def publish(self, frames, to) -> None:
        """Frames for the room (`to` None) or one member; the answer to a question goes to all who asked it."""
        ask = self.answering
        if ask is None or to is None or to != ask.asker:
            return self.out(frames, to)
        for member in self.queries.finish(ask):
            self.out(frames, member)

    def _handle(self, command, client, role, frames) -> None:
        handler = self.handlers.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        if handler(command, client, role, frames):  # True: the room's state changed
            self.finish_frames(frames)

    def _guard(self, command, client, frames, work: Callable) -> None:
        """Run one command (or one chunk of play) so that nothing escapes: the room goes on."""
        name = "play" if command is None else getattr(command, "type", type(command).__name__.lower())
        try:
            work()
            return
        except Divergence as exc:
            self.playing, self.job = False, None
            frames.append((encode(ErrorMsg(message=str(exc), code="diverged")), False))
            self.told.announced = self.trainer.diverged
        except Abandoned:  # the room ended while a member's question was in hand: nobody waits for it
            return
        except DataError as exc:
            return self.error(client, f"Your data: {exc}", "bad_data")
        except (ValidationError, ValueError) as exc:  # refused, and unchanged: the state that follows says so
            self.error(client, explain(exc), getattr(exc, "code", "bad_message"))
        except Exception:  # a bug must not kill the session's only thread: log it, answer, keep serving
            log.exception("room %s: %s failed", self.code, name)
            self.playing, self.job = False, None
            self.error(client, f"Something went wrong on the server while handling '{name}' (it is logged); "
                               "the room is unchanged and still running.", "internal")
        try:  # whatever failed, the room sees the state as it now is
            self.finish_frames(frames)
        except Exception:
            log.exception("room %s: the state after %s could not be built", self.code, name)

    # ----- long commands and play --------------------------------------------------------------
    def start_job(self, steps: int, batch: int | None) -> None:
        self.playing = False
        self.job = Job(steps, batch)

    def _work(self, frames) -> None:
        """One chunk of the long command in progress; the room hears of it every PUBLISH_SECONDS
        and at the end (a short command answers with one `metrics` and one `state`)."""
        job = self.job
        share = 1.0 if self.urgent is not None else PEOPLE.work_share() / 0.85  # a person's first steps: all of it
        deadline = time.monotonic() + CHUNK_SECONDS * share
        job.left -= self._run_until(deadline, job.left, job.batch, last_evaluates=True)
        if not job.left:
            self.job = None
        if not job.left or (time.monotonic() - job.published >= PUBLISH_SECONDS and not self._someone_first()):
            job.published = time.monotonic()
            self.finish_frames(frames)

    def _tick(self, frames) -> None:
        """While playing: run the steps `speed` asks for since the last tick, within one frame's time."""
        now = time.monotonic()
        frame = 1.0 / self.settings.frame_hz
        self.owed += self.trainer.config.speed * (now - self.last_tick)
        self.last_tick = now
        due = int(self.owed)
        self.owed -= due
        self.next_tick = now + frame
        # the rest of the frame: encode, take commands, let other rooms in
        done = self._run_until(now + PEOPLE.tick_share(self.finish_cost / frame) * frame, due, None,
                               last_evaluates=False)
        if done < due:
            self.owed = 0.0  # faster than this machine can go: don't build a backlog
        if done and not self._someone_first():
            started = time.monotonic()
            self.finish_frames(frames)
            # what finishing a frame takes, smoothed (a slow one, e.g. a field after a change, counts for less)
            self.finish_cost += 0.2 * (time.monotonic() - started + FINISH_MARGIN - self.finish_cost)

    def _someone_first(self) -> bool:
        """A person's command waits (here or in another room process): this room's frames wait a tick
        for it (a network's field takes ms to draw), unless the room last heard PUBLISH_SECONDS ago."""
        return self.urgent is None and PEOPLE.someone() and time.monotonic() - self.told.at < PUBLISH_SECONDS

    def _run_until(self, deadline: float, steps: int, batch: int | None, last_evaluates: bool) -> int:
        """Up to `steps` whole steps before `deadline`, in chunks sized from the time one step takes
        (so the deadline holds); returns the steps done. The time a step takes is remembered from one
        call to the next: starting each play frame at one step, then 2, 4 … 64, ran seven chunks a frame,
        and each chunk's last step measures the whole-set losses (the streamed run made 0.83 of the bare
        loop's steps a second, which runs 64 at a time)."""
        done = n = 0
        if self.step_for != (self.trainer, self.trainer.config):  # another model or settings: measure again
            self.step_for, self.step_seconds = (self.trainer, self.trainer.config), 0.0
        while done < steps and not self.stopping and (now := time.monotonic()) < deadline:
            if done and self.urgent is None and PEOPLE.someone():
                break  # a person's command waits (here or in another room process): it goes first
            fits = int((deadline - now) / self.step_seconds) if self.step_seconds else 1
            n = min(steps - done, max(1, min(64, fits, 2 * n if done else 64)))
            # the very last step of a long command measures the whole-set losses; play's every chunk does
            done += self.trainer.run(n, batch=batch, evaluate=not last_evaluates or done + n == steps)
            took = (time.monotonic() - now) / n
            self.step_seconds = took if not self.step_seconds else 0.7 * self.step_seconds + 0.3 * took
        return done

    # ----- frames ------------------------------------------------------------------------------
    def finish_frames(self, frames) -> None:
        # the room has moved on from its checkpoint: a page that opens it later is not told "back as it
        # was saved at step N" (it would read a step the room left; the members then were told already)
        self.restored = None
        self.told.finish(frames)

    def undo_steps(self) -> int | None:
        top = self.undos.top(self.model)
        return top.steps if top else None

    def checkpoint(self) -> None:
        """The room's checkpoint, if it is kept and anything changed (keep.py: retried when it fails)."""
        if self.keep is not None:
            self.keep.write(self.code, self.model, self.trainer, lambda msg: self.publish([(encode(msg), False)], None))

    def set_meta(self, meta: dict) -> None:
        """What makes this run the class's room (lesson, permissions): kept with its next checkpoint."""
        if self.keep is not None:
            self.keep.set_meta(meta)

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` for the thread to end (after stop); whether it has."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def reply(self, client, *messages) -> None:
        """Answer the asker alone."""
        self.publish([(encode(msg), False) for msg in messages], client)

    def error(self, client, message: str, code: str = "bad_message") -> None:
        self.publish([(encode(ErrorMsg(message=message, code=code)), False)], client)

