"""The parent's side of a data-parallel run: start N workers, talk to them, survive one dying.

The channel is one `multiprocessing` Pipe per worker (worker.py documents the messages: plain dicts
of numbers, strings and lists, never tensors). Workers are started with torch.multiprocessing's
spawn context (a fresh interpreter each: no forked torch state), on a rendezvous port the OS just
handed out (two runs on one server never share one), each with cores // N torch threads.

A worker that dies (SIGKILL from `kill`, or a crash) makes the next command fail: its pipe closes,
and the others' collective fails or times out (the process group's `timeout`). The controller then
collects what the survivors said, kills and reaps every worker, and starts a new set that loads the
last checkpoint (rank 0 writes one every `checkpoint_every` steps into this run's temp dir).
`close()` kills and reaps every worker and removes the dir: no process is left behind.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from multiprocessing.connection import wait

from . import worker


class WorkerLost(Exception):
    """A worker died (or a collective failed) during a command."""

    def __init__(self, lost: list[int], said: dict[int, str]):
        self.lost, self.said = lost, said
        super().__init__(f"worker {', '.join(map(str, lost))} lost")


class WorkersFailed(RuntimeError):
    """Workers could not start (a config the worker refuses, or no rendezvous in time)."""


def free_port() -> int:
    """A port the OS says is free now (bind to 0); the rendezvous takes it a moment later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Controller:
    def __init__(self, config: dict, workers: int, checkpoint_every: int, timeout: float = 30.0,
                 start_timeout: float = 180.0, on_change=None):
        """`timeout`: the process group's collective timeout (s); `on_change()`: called from the
        start-up watcher whenever a worker reports progress (the page shows it)."""
        self.config, self.world, self.timeout, self.start_timeout = dict(config), workers, timeout, start_timeout
        self.dir = tempfile.mkdtemp(prefix="flowscope-ddp-")
        self.options = {"threads": max(1, (os.cpu_count() or 1) // workers), "timeout": timeout, "dir": self.dir,
                        "checkpoint_every": checkpoint_every}
        self.on_change = on_change
        self.procs: list = []
        self.conns: list = []
        self.status: list[dict] = []  # per rank: rank, pid, alive, stage, started (s since start)
        self.generation = 0  # how many times the workers were started
        self.started_at = 0.0
        self.ready_at: float | None = None  # seconds from start to all ready
        self.ready_info: list[dict] = []
        self.error: str | None = None
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()  # one reader of the pipes at a time

    # ----- starting ----------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn the workers and return at once; a thread follows their progress until all are ready."""
        import torch.multiprocessing as mp

        ctx = mp.get_context("spawn")
        port = free_port()
        self.generation += 1
        self.started_at, self.ready_at, self.error, self.ready_info = time.monotonic(), None, None, []
        self.procs, self.conns, self.status = [], [], []
        for rank in range(self.world):
            parent, child = ctx.Pipe()
            options = {**self.options, "resume": self.generation > 1}  # a restart loads the last checkpoint
            p = ctx.Process(target=worker.run, args=(rank, self.world, port, child, self.config, options),
                            daemon=True, name=f"flowscope-ddp-{rank}")
            p.start()
            child.close()  # the worker holds the other end: its death closes the pipe here
            self.procs.append(p)
            self.conns.append(parent)
            self.status.append({"rank": rank, "pid": p.pid, "alive": True, "stage": "starting", "seconds": 0.0})
        self._watcher = threading.Thread(target=self._watch, name="ddp-start", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        with self._lock:
            try:
                self._await_ready()
            except WorkersFailed as exc:
                self.error = str(exc)
        if self.on_change:
            self.on_change()

    def _await_ready(self) -> None:
        deadline = self.started_at + self.start_timeout
        waiting = set(range(self.world))
        while waiting:
            if time.monotonic() > deadline:
                raise WorkersFailed(f"workers {sorted(waiting)} did not start within {self.start_timeout:.0f} s")
            ready = wait([self.conns[r] for r in waiting] + [self.procs[r].sentinel for r in waiting], timeout=1.0)
            for r in sorted(waiting):
                if self.conns[r] in ready:
                    try:
                        msg = self.conns[r].recv()
                    except (EOFError, OSError):
                        msg = None
                    if msg is not None and "progress" in msg:
                        self.status[r].update(stage=msg["progress"], seconds=time.monotonic() - self.started_at)
                        if msg["progress"] == "ready":
                            waiting.discard(r)
                            self.ready_info.append(msg)
                        if self.on_change:
                            self.on_change()
                        continue
                    if msg is not None:
                        continue
                if self.procs[r].sentinel in ready or not self.procs[r].is_alive():
                    self.procs[r].join(0.1)
                    self.status[r]["alive"] = False
                    raise WorkersFailed(f"worker {r} exited while starting (exit code {self.procs[r].exitcode})")
        self.ready_at = time.monotonic() - self.started_at

    @property
    def ready(self) -> bool:
        return self.ready_at is not None

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every worker is ready (True), or `timeout` passes (False); raise if they failed."""
        if self._watcher is not None:
            self._watcher.join(timeout)
            if self._watcher.is_alive():
                return False
        if self.error:
            raise WorkersFailed(self.error)
        return self.ready

    # ----- commands ----------------------------------------------------------------------------
    def call(self, op: str, ranks: list[int] | None = None, **args) -> list[dict]:
        """Send one command to `ranks` (default all) and return their replies in rank order. A worker
        that died, or one that answers with an error, raises WorkerLost (after the others answered,
        or the collective timeout passed)."""
        self.wait_ready()
        ranks = list(range(self.world)) if ranks is None else ranks
        with self._lock:
            msg = {"op": op, **args}
            for r in ranks:
                try:
                    self.conns[r].send(msg)
                except (BrokenPipeError, OSError):
                    pass  # dead: found below
            return self._gather(ranks)

    def _gather(self, ranks: list[int]) -> list[dict]:
        replies: dict[int, dict] = {}
        dead: set[int] = set()
        deadline = None
        while len(replies) + len(dead) < len(ranks):
            pending = [r for r in ranks if r not in replies and r not in dead]
            ready = wait([self.conns[r] for r in pending] + [self.procs[r].sentinel for r in pending],
                         timeout=0.5 if deadline else None)
            for r in pending:
                if self.conns[r] in ready:
                    try:
                        replies[r] = self.conns[r].recv()
                        continue
                    except (EOFError, OSError):
                        pass
                if self.conns[r] in ready or self.procs[r].sentinel in ready:
                    self.procs[r].join(1.0)
                    self.status[r]["alive"] = self.procs[r].is_alive()
                    dead.add(r)
            if dead and deadline is None:  # the survivors' collective fails, or times out: hear them first
                deadline = time.monotonic() + self.timeout + 5.0
            if deadline and time.monotonic() > deadline:
                break
        failed = {r: rep["error"] for r, rep in replies.items() if "error" in rep}
        if dead or failed:
            said = {**failed, **{r: f"process gone (exit code {self.procs[r].exitcode})" for r in dead}}
            raise WorkerLost(sorted(dead) or sorted(failed), said)
        return [replies[r] for r in ranks]

    def kill(self, rank: int) -> int:
        """SIGKILL one worker, as a crashed machine would vanish; returns its pid."""
        if not 0 <= rank < self.world:
            raise ValueError(f"no worker {rank}: this run has ranks 0 to {self.world - 1}")
        p = self.procs[rank]
        if p.is_alive():
            os.kill(p.pid, signal.SIGKILL)
        p.join(5.0)
        self.status[rank]["alive"] = False
        return p.pid

    def restart(self) -> None:
        """Kill and reap every worker, then start a new set; they resume from the last checkpoint."""
        self._stop_all()
        self.start()

    # ----- ending ------------------------------------------------------------------------------
    def _stop_all(self) -> None:
        for p in self.procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGKILL)  # nothing to save: the checkpoint is on disk already
        for p in self.procs:
            p.join(5.0)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(5.0)  # it sees the workers gone and ends
        for c in self.conns:
            c.close()
        for s in self.status:
            s["alive"] = False

    def close(self) -> None:
        """Kill and reap every worker and remove the checkpoints: nothing of the run is left."""
        self._stop_all()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]
