"""Fairness between rooms: a person's command goes before the work rooms do on their own (play, a
long command), in this process and, through a shared count, in every room process (pool.py)."""
from __future__ import annotations

import multiprocessing
import threading
import time
import weakref


class People:
    """Commands a person waits for go before the work rooms do on their own (play, a long command).

    Rooms share cores (and, in one process, one GIL): ten rooms playing flat out made another room's
    single step 30× slower. So while any room has a person's command queued or in hand, playing rooms
    pause between chunks — at most MAX_WAIT each time, so that a slow command (a big model's step)
    can't stop the others for long. In room processes (pool.py) the count is shared: a person's
    command in one process pauses the rooms playing in every other (`share`).
    """

    MAX_WAIT = 0.1
    GRACE_MS = 10  # after a person's command, its answer crosses two pipes and a socket: the rooms wait this too
    POLL = 0.002  # how often a paused room looks at the shared count
    ALONE = 0.85  # one working room's share of each frame, where the event loop shares its interpreter
    BUSY_SHARE = 0.6  # with several rooms working, together they take at most this share of the time

    def __init__(self):
        self.cond = threading.Condition()
        self.waiting = 0
        self.rooms: weakref.WeakSet = weakref.WeakSet()
        self.counts, self.slot, self.n = None, 0, 0  # shared: shared_counts() of n room processes

    def share(self, counts, slot: int) -> None:
        """Count in `counts[slot]`, and wait while any process's count is above 0 or a person's command
        is on its way to one (shared_counts)."""
        self.counts, self.slot, self.n = counts, slot, len(counts) // 4
        counts[slot] = 0  # a process that took this slot over starts from nothing owed
        counts[2 * self.n + slot] = 0  # nor taken: the web process counts its sends to this slot from 0 again

    def took(self) -> None:
        """A person's command this process was sent (sending()) is out of the pipe: counted by `add`
        from now on, or refused."""
        if self.counts is not None:
            self.counts[2 * self.n + self.slot] += 1

    def work_share(self) -> float:
        """The share of each frame one working room may use: the rooms split BUSY_SHARE between them,
        leaving the interpreter free often enough that the event loop and a person's command get in
        at once (one working room alone keeps the 85 % it always had)."""
        working = sum(1 for r in list(self.rooms) if r.playing or r.job)
        return self.ALONE if working <= 1 else self.BUSY_SHARE / working

    def tick_share(self, finish: float) -> float:
        """The share of a play frame a room may step in. Alone in a room process (no event loop shares
        its interpreter) it is the whole frame but what finishing the frame takes (`finish`, measured:
        the state, the field, their encoding); in the web process, or beside other working rooms,
        `work_share()`: a fixed 15 % left idle cost the streamed run 15 % of the bare loop's speed."""
        share = self.work_share()
        if self.counts is None or share < self.ALONE:
            return share
        return max(share, 1.0 - finish)

    def add(self) -> None:
        with self.cond:
            self.waiting += 1
            if self.counts is not None:
                self.counts[self.slot] = self.waiting

    def done(self, n: int = 1) -> None:
        with self.cond:
            self.waiting -= n
            if self.waiting <= 0:
                self.waiting = 0
                self.cond.notify_all()
            if self.counts is not None:
                self.counts[self.slot] = self.waiting
                if not self.waiting:  # the answer is on its way out: the others wait for it a moment more
                    self.counts[3 * self.n + self.slot] = _now_ms()

    def someone(self) -> bool:
        """Whether a person's command waits anywhere (cheap enough to ask between two steps)."""
        return self.waiting > 0 if self.counts is None else self._anyone()

    def _anyone(self) -> bool:
        c, n = self.counts[:], self.n
        if any(c[:n]) or any(c[n + i] > c[2 * n + i] for i in range(n)):
            return True
        now = _now_ms()
        return any(0 <= (now - t) % _WRAP < self.GRACE_MS for t in c[3 * n:])

    def wait(self) -> None:
        if self.counts is None:
            with self.cond:
                self.cond.wait_for(lambda: self.waiting == 0, self.MAX_WAIT)
            return
        deadline = time.monotonic() + self.MAX_WAIT
        while self._anyone() and (left := deadline - time.monotonic()) > 0:
            # the person's command is in this process: wait to be told, don't poll (each poller's wake
            # takes the interpreter from that very command; on a busy machine, for a whole time slice)
            with self.cond:
                if self.waiting:
                    self.cond.wait_for(lambda: self.waiting == 0, left)
                    continue
            time.sleep(self.POLL)


_WRAP = 1 << 31


def _now_ms() -> int:
    """The monotonic clock (the same in every process of this machine) in ms, as a shared int holds it."""
    return int(time.monotonic() * 1000) % _WRAP


PEOPLE = People()  # one per process: the rooms it runs share the interpreter


def shared_counts(n: int):
    """What the web process and its `n` room processes share, lock-free (each slot has one writer):
    [0, n) each process's people's commands waiting (People.add/done); [n, 2n) the people's commands
    the web process has sent to each (sending); [2n, 3n) those each has taken from its pipe (took);
    [3n, 4n) when each last answered all of its (ms, wrapping), for GRACE_MS.
    Sent but not yet taken counts too: ten rooms playing kept the pipe's reader from the interpreter,
    so rooms paused for a person only once the command was read (issue 20, case 14)."""
    return multiprocessing.get_context("spawn").Array("i", 4 * n, lock=False)


def sending(counts, slot: int) -> None:
    """The web process sends a person's command to room process `slot` (its one writer of [n, 2n))."""
    counts[len(counts) // 4 + slot] += 1


def lost(counts, slot: int) -> None:
    """Room process `slot` ended: nothing it owed or was sent is waited for (the web process, before
    its successor starts: that one zeroes what it took, People.share)."""
    n = len(counts) // 4
    counts[slot] = 0
    counts[n + slot] = 0
