"""A room process: runs rooms' runners (runner.py, one thread per room, as in the web process) for
the web process, which only routes frames (pool.py). Rooms in several processes train on several
cores at once; within one process they share its interpreter as before, and a person's command
still goes before the rooms that play (people.People). The messages both ways are link.py's.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from pydantic import ValidationError

from flowscope.engine.device import load_torch
from flowscope.engine.trainers import make_trainer

from ..roomstore import RoomStore
from . import link as msg
from .people import PEOPLE
from .keep import Keep, wait_ended
from .memory import give_back_memory
from .runner import Export, Runner, Swap, explain

log = logging.getLogger("flowscope.worker")


def main(conn, settings, counts, slot: int) -> None:
    """The process's entry point (multiprocessing, spawn). `counts[slot]`: this process's count of
    people's commands waiting, seen by every room process (people.People)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s worker %(process)d: %(message)s")
    PEOPLE.share(counts, slot)
    # Ctrl+C in a terminal reaches the whole process group: the web process ends the rooms in order
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_torch()  # before `ready`: a build here then never waits for the import
    worker = Worker(conn, settings)
    ended = worker.serve()  # returns once every room has stopped (and written its checkpoint), or given up
    if worker.checkpoints is not None and ended:  # a write still in flight holds the store's lock
        worker.checkpoints.close()
    logging.shutdown()
    # as the CLI does: finalizing an interpreter that holds torch takes seconds (and a runner still
    # inside a long torch call would abort it); everything worth keeping is written by now
    os._exit(0)


def refusal(exc: Exception) -> tuple[str, str, str]:
    """An exception as (kind, message, code) that crosses the pipe: `refused` ones are the user's to
    fix (a config past the budget, a run that no longer fits), `internal` ones are ours (logged here)."""
    if isinstance(exc, (ValidationError, ValueError, KeyError)):
        message = explain(exc) if isinstance(exc, (ValidationError, ValueError)) else str(exc)
        return "refused", message, getattr(exc, "code", "bad_message")
    log.exception("a build failed")
    return "internal", f"{type(exc).__name__}: {exc}", "internal"


class Worker:
    def __init__(self, conn, settings):
        self.conn, self.settings = conn, settings
        self.lock = threading.Lock()  # runner threads and build threads send on the same pipe
        self.runners: dict[int, Runner] = {}  # by the web process's room id
        self.built: dict[int, object] = {}  # trainers built (or forked) here, waiting for their room
        self.forks: dict[int, bool] = {}  # exports in progress, by key: whether each is a fork
        self.builds = ThreadPoolExecutor(settings.max_builds, thread_name_prefix="build")
        # this process's own connection to the rooms' checkpoints (SQLite takes writers from several processes)
        self.ending: list[Runner] = []  # runners told to stop whose threads may still write their checkpoint
        self.checkpoints = None
        if settings.persist_rooms:
            try:  # the web process opened it first (setting a damaged file aside): this must not fail
                self.checkpoints = RoomStore(settings.data_dir, settings.room_days, settings.checkpoint_delay,
                                             set_aside=False)
            except Exception:
                log.exception("room process: the room checkpoints can't be opened; this process's rooms are not kept")

    def send(self, message) -> None:
        with self.lock:
            self.conn.send(message)

    def serve(self) -> bool:
        self.send(msg.Ready(os.getpid()))
        handlers = {msg.Build: self.build, msg.Open: self.open, msg.Submit: self.submit, msg.Meta: self.meta,
                    msg.Stop: self.stop, msg.Drop: self.drop, msg.Census: self.census}
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):  # the web process is gone: end the rooms (checkpointed) with it
                break
            if isinstance(message, msg.Close):
                break
            try:
                handlers[type(message)](message)
            except Exception:  # one bad message must not end the other rooms of this process
                log.exception("room process: %s failed", type(message).__name__)
        return self.close()

    def close(self) -> bool:
        """Stop every room and wait for them (keep.wait_ended: checkpoints in flight are waited for,
        bounded); what is still running then ends with the process."""
        for runner in self.runners.values():
            runner.stop()
        ended = wait_ended([*self.runners.values(), *self.ending], self.settings)
        self.builds.shutdown(wait=False, cancel_futures=True)
        return ended

    # ----- from the web process ------------------------------------------------------------------
    def build(self, m: msg.Build) -> None:
        def build() -> None:
            try:
                trainer = make_trainer(m.model, m.config, self.settings.history_steps, m.custom, self.settings.budget)
                if m.restore is not None:
                    trainer.restore(m.restore)
            except Exception as exc:
                return self.send(msg.BuildDone(m.key, refusal(exc), None))
            self.built[m.key] = trainer
            self.send(msg.BuildDone(m.key, None, trainer.config.to_dict()))

        self.builds.submit(build)

    def open(self, m: msg.Open) -> None:
        trainer = self.built.pop(m.key) if m.key is not None else None
        keep = Keep(self.checkpoints, m.token) if m.token and self.checkpoints else None
        rid = m.rid
        runner = Runner(m.code, m.model, m.config, self.settings,
                        lambda frames, to: self.send(msg.Frames(rid, frames, to)), self.answer, trainer, keep, m.restored)
        runner.set_meta(m.meta)
        self.runners[rid] = runner
        runner.start()

    def submit(self, m: msg.Submit) -> None:
        try:
            self._submit(m)
        finally:
            if m.client is not None:  # a person's, counted as sent by the web process (people.sending)
                PEOPLE.took()

    def _submit(self, m: msg.Submit) -> None:
        command, runner = m.command, self.runners.get(m.rid)
        if runner is None:  # the room ended meanwhile: a new model built for it is nobody's
            if isinstance(command, Swap):
                self.drop(msg.Drop(command.trainer))
            return
        if isinstance(command, Swap):  # the new model was built here, under the key it carries
            command = Swap(command.model, self.built.pop(command.trainer))
        elif isinstance(command, Export):  # its `done` is the web process's key for the answer
            self.forks[command.done] = command.kind == "fork"
        runner.submit(command, m.client, m.role)

    def meta(self, m: msg.Meta) -> None:
        if m.rid in self.runners:
            self.runners[m.rid].set_meta(m.meta)

    def stop(self, m: msg.Stop) -> None:
        rid = m.rid
        runner = self.runners.pop(rid, None)
        if runner is None:
            return
        runner.stop()
        self.ending.append(runner)

        def ended() -> None:
            nonlocal runner
            runner.thread.join()
            self.ending.remove(runner)
            runner = None  # the last reference to the room's trainer and its undo copies
            give_back_memory()
            self.send(msg.Stopped(rid))

        threading.Thread(target=ended, daemon=True).start()

    def drop(self, m: msg.Drop) -> None:
        trainer = self.built.pop(m.key, None)
        if trainer is not None:
            trainer.close()
            del trainer
            give_back_memory()

    def census(self, m: msg.Census) -> None:
        self.send(msg.Answer(m.key, "value", {"rooms": len(self.runners), "built": len(self.built)}))

    # ----- to the web process --------------------------------------------------------------------
    def answer(self, key: int, result) -> None:
        """An Export's result (runner.on_loop): a fork's trainer stays here, under the export's key,
        for the room the web process makes of it; a saved run's PackedRun crosses the pipe."""
        if self.forks.pop(key, False):
            self.built[key] = result
            return self.send(msg.Answer(key, "trainer", result.config.to_dict()))
        self.send(msg.Answer(key, "value", result))
