"""Limits are the server's, not a socket's (issue 21, cases 5 and 6): builds at once and restores of a
code are counted on the whole server; `switch` is admitted like `create` (--max-workers); a trainer
built for a room that never takes it is released (no leak in the room processes)."""
from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from flowscope.engine.trainers import make_trainer as real_make_trainer
from test_shutdown import TINY
from ws_helpers import create, recv_type, recv_until, send


class Builds:
    """make_trainer, counted: how many ran at once at most, and how many restored a run."""

    def __init__(self, pause: float = 0.0):
        self.lock, self.now, self.most, self.restores, self.pause = threading.Lock(), 0, 0, 0, pause

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(self.pause)
            return real_make_trainer(*args, **kwargs)
        finally:
            with self.lock:
                self.now -= 1


def test_two_sockets_from_one_address_share_the_servers_builds(server_factory, monkeypatch):
    import flowscope.server.rooms.rooms as rooms_module

    builds = Builds(pause=0.4)
    monkeypatch.setattr(rooms_module, "make_trainer", builds)
    srv = server_factory(max_builds=1)
    with srv.connect() as a, srv.connect() as b:
        for ws in (a, b):  # at once: each socket used to get a build semaphore of its own
            send(ws, {"type": "create", "model": "neuron"})
        for ws in (a, b):
            recv_type(ws, "session", timeout=20)
    assert builds.most == 1


def test_one_restore_per_code_whoever_asks(server_factory, monkeypatch):
    import flowscope.server.rooms.rooms as rooms_module

    monkeypatch.setattr(rooms_module, "GRACE_SECONDS", 0.2)
    srv = server_factory()
    with srv.connect() as owner:
        session, _, _ = create(owner, "neuron")
        send(owner, {"type": "step", "unit": "step", "count": 3})
        recv_until(owner, lambda m: m["type"] == "state" and m["step"] == 3)
    code = session["id"]
    deadline = time.monotonic() + 10
    while code in srv.rooms.by_code:  # closed after its grace period, its checkpoint kept
        assert time.monotonic() < deadline
        time.sleep(0.05)
    restores = []
    real_restore = srv.rooms.restore
    monkeypatch.setattr(rooms_module, "make_trainer", Builds(pause=0.5))  # both joins arrive mid-restore
    monkeypatch.setattr(srv.rooms, "restore", lambda saved, trainer: restores.append(code) or real_restore(saved, trainer))
    built = []
    real_lease = srv.rooms.lease
    monkeypatch.setattr(srv.rooms, "lease", lambda *a, **k: built.append(a[0]) or real_lease(*a, **k))
    with srv.connect() as a, srv.connect() as b:
        for ws in (a, b):
            send(ws, {"type": "join", "session": code})
        states = [recv_type(ws, "state", timeout=20) for ws in (a, b)]
    assert [s["step"] for s in states] == [3, 3]
    assert len(built) == 1 and restores == [code]  # one build for the code, not one per socket


def test_a_switch_past_max_workers_is_refused_like_a_create(server_factory):
    srv = server_factory(max_workers=2)
    with srv.connect() as ws:
        create(ws, "transformer", TINY)
        send(ws, {"type": "create", "model": "transformer", "config": {**TINY, "workers": 3}})
        created = recv_type(ws, "error", timeout=20)
        send(ws, {"type": "switch", "model": "transformer", "config": {**TINY, "workers": 3}})
        switched = recv_type(ws, "error", timeout=20)
    assert "--max-workers" in created["message"] and switched["message"] == created["message"]


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def census(srv) -> dict:
    """What the (one) room process holds, asked over its pipe from the server's own event loop."""
    process = srv.rooms.pool.links[0]
    return asyncio.run_coroutine_threadsafe(process.census(), srv.rooms.pool.loop).result(timeout=20)


BIG = {**TINY, "n_layer": 4, "n_head": 4, "n_embd": 256, "block_size": 32}  # ≈ 3.2M parameters: 13 MB each


def test_creates_refused_after_their_build_leak_no_trainer(server_factory):
    """Two pages of one computer create at once, one room each allowed: both pass the check, both
    build, the second is refused after its build. Its trainer must not stay in the room process
    (each used to stay there for good: 13 MB a refusal here)."""
    srv = server_factory(room_processes=1, max_sessions_per_client=1)
    pid = srv.rooms.pool.links[0].process.pid
    refused, rounds, start = 0, 10, None
    for i in range(rounds + 1):
        with srv.connect() as a, srv.connect() as b:
            for ws in (a, b):
                send(ws, {"type": "create", "model": "transformer", "config": BIG})
            for ws in (a, b):
                got = recv_until(ws, lambda m: m["type"] in ("session", "error"), timeout=60)
                refused += got["type"] == "error" and got["code"] == "busy"
        start = start or rss(pid)
    held = census(srv)
    # RSS is reported, not asserted: freed memory stays with the allocator (creating and closing rooms
    # alone, with nothing refused, grew it ×1.3–1.4 here), so only the count shows a leak
    print(f"{refused} creates refused after their build; room process holds {held}; RSS ×{rss(pid) / start:.2f}")
    assert refused >= rounds // 2  # the race happened
    assert held["built"] == 0 and held["rooms"] <= 2, held
