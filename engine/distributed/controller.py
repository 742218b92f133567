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

import contextlib
import glob
import json
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


PREFIX = "flowscope-ddp-"


def sweep_stale_dirs(root: str | None = None) -> list[str]:
    """Remove the checkpoint dirs of room processes that are gone (killed before their close): each dir
    is named after the pid that made it, `flowscope-ddp-<pid>-…`."""
    gone = []
    for path in glob.glob(os.path.join(root or tempfile.gettempdir(), PREFIX + "*-*")):
        pid = os.path.basename(path)[len(PREFIX):].split("-")[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
    return gone


def stopped(pid: int) -> bool:
    """Linux: the process is stopped (SIGSTOP, a debugger): state T or t in /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except (OSError, IndexError):
        return False


class Controller:
    def __init__(self, config: dict, workers: int, checkpoint_every: int, timeout: float = 30.0,
                 start_timeout: float = 180.0, on_change=None, hang_timeout: float = 60.0, start_retries: int = 2):
        """`timeout`: the process group's collective timeout (s); `on_change()`: called from the
        start-up watcher whenever a worker reports progress (the page shows it); `hang_timeout`: the
        longest a command may go unanswered before its silent ranks are reported hung; `start_retries`:
        fresh starts (a new port each) after workers fail to start."""
        self.config, self.world, self.timeout, self.start_timeout = dict(config), workers, timeout, start_timeout
        self.hang_timeout, self.start_retries = hang_timeout, start_retries
        sweep_stale_dirs()
        self.dir = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
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
        self.resuming = False  # a restart: the workers load the last checkpoint
        self._stopping = False
        self._failed: str | None = None  # why the last start failed, until wait_ready starts a fresh set
        self.retried: list[str] = []  # why each failed start of this generation was tried again
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()  # one reader of the pipes at a time

    # ----- starting ----------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn the workers and return at once; a thread follows their progress until all are ready."""
        self.generation += 1
        self.retried, self._stopping, self._failed = [], False, None
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="ddp-start", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        import torch.multiprocessing as mp

        ctx = mp.get_context("spawn")
        port = free_port()
        self.started_at, self.ready_at, self.error, self.ready_info = time.monotonic(), None, None, []
        self.procs, self.conns, self.status = [], [], []
        for rank in range(self.world):
            parent, child = ctx.Pipe()
            options = {**self.options, "resume": self.resuming}
            p = ctx.Process(target=worker.run, args=(rank, self.world, port, child, self.config, options),
                            daemon=True, name=f"flowscope-ddp-{rank}")
            p.start()
            child.close()  # the worker holds the other end: its death closes the pipe here
            self.procs.append(p)
            self.conns.append(parent)
            self.status.append({"rank": rank, "pid": p.pid, "alive": True, "stage": "starting", "seconds": 0.0})

    def _watch(self) -> None:
        """Until every worker is ready. A failed start (a worker that exits, e.g. its rendezvous port taken
        meanwhile: EADDRINUSE) is killed and reaped whole; the next wait_ready starts a fresh set on a fresh
        port — from its caller's thread: a worker is killed when the thread that started it ends
        (PR_SET_PDEATHSIG follows the thread), and this one ends now."""
        with self._lock:
            try:
                self._await_ready()
            except WorkersFailed as exc:
                self._kill_reap()
                if self._stopping:
                    self.error = "stopped while starting"
                elif len(self.retried) >= self.start_retries:
                    self.error = f"{exc} (started {len(self.retried) + 1} times)"
                else:
                    self._failed = str(exc)
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
        """Block until every worker is ready (True), or `timeout` passes (False); raise if they failed
        (after `start_retries` fresh starts, each begun here)."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._watcher is not None:
                self._watcher.join(None if end is None else max(0.0, end - time.monotonic()))
                if self._watcher.is_alive():
                    return False
            if self._failed and not self._stopping:
                self.retried.append(self._failed)
                self._failed = None
                self._spawn()
                self._watcher = threading.Thread(target=self._watch, name="ddp-start", daemon=True)
                self._watcher.start()
                continue
            if self.error:
                raise WorkersFailed(self.error)
            return self.ready

    # ----- commands ----------------------------------------------------------------------------
    def call(self, op: str, ranks: list[int] | None = None, **args) -> list[dict]:
        """Send one command to `ranks` (default all) and return their replies in rank order. A worker
        that died, or one that answers with an error, raises WorkerLost (after the others answered,
        or the collective timeout passed)."""
        if not self.wait_ready(self.start_timeout):
            raise WorkersFailed(f"the workers did not start within {self.start_timeout:.0f} s")
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
        """Every wait is bounded: a rank that is stopped (SIGSTOP) is reported hung at once, one that stays
        silent past `hang_timeout` (or past the collective timeout once the others answered) too."""
        replies: dict[int, dict] = {}
        dead: set[int] = set()
        hung: dict[int, str] = {}
        deadline = None
        began = time.monotonic()
        while len(replies) + len(dead) < len(ranks):
            pending = [r for r in ranks if r not in replies and r not in dead]
            ready = wait([self.conns[r] for r in pending] + [self.procs[r].sentinel for r in pending], timeout=0.5)
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
            if (dead or replies) and deadline is None:  # the others' collective fails or times out: hear them
                deadline = time.monotonic() + self.timeout + 5.0
            silent = [r for r in ranks if r not in replies and r not in dead]
            for r in silent:
                if stopped(self.procs[r].pid):
                    hung[r] = "stopped (SIGSTOP): it answers nothing"
            now = time.monotonic()
            if not hung and (now - began > self.hang_timeout or deadline and now > deadline):
                hung = {r: f"no answer in {now - began:.0f} s: hung" for r in silent}
            if hung or deadline and now > deadline:
                break
        failed = {r: rep["error"] for r, rep in replies.items() if "error" in rep}
        if dead or failed or hung:
            said = {**failed, **hung, **{r: f"process gone (exit code {self.procs[r].exitcode})" for r in dead}}
            raise WorkerLost(sorted(dead | set(hung)) or sorted(failed), said)
        return [replies[r] for r in ranks]

    def saved_step(self) -> int | None:
        """The step of the checkpoint on disk (rank 0 writes it beside the checkpoint), None before any."""
        try:
            with open(os.path.join(self.dir, worker.CHECKPOINT + ".json")) as f:
                return int(json.load(f)["step"])
        except (OSError, ValueError, KeyError):
            return None

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
        self.resuming = True
        self.start()

    # ----- ending ------------------------------------------------------------------------------
    def _kill_reap(self, close: bool = True) -> None:
        for p in self.procs:
            if p.is_alive():
                with contextlib.suppress(ProcessLookupError):  # it may die between the look and the kill
                    os.kill(p.pid, signal.SIGKILL)  # nothing to save: the checkpoint is on disk already (a stopped one dies too)
        for p in self.procs:
            p.join(5.0)
        for s in self.status:
            s["alive"] = False
        if close:
            for c in self.conns:
                c.close()

    def _stop_all(self) -> None:
        self._stopping = True  # the start-up watcher must not try again
        self._kill_reap(close=False)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(5.0)  # it sees the workers gone and ends
        for c in self.conns:
            c.close()

    def close(self) -> None:
        """Kill and reap every worker and remove the checkpoints: nothing of the run is left."""
        self._stop_all()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]
