"""A client that stops reading is dropped; it never slows training or the other clients.

(a) server.wire.Client on fake sockets, with asyncio; (b) the real server with a viewer that stalls.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from flowscope.server.wire import Client, writer_task
from ws_helpers import create, get_state, masked_frame, paused_state, raw_handshake, recv, recv_until, send


def run_isolated(main) -> None:
    """asyncio.run in a thread of its own: the main thread may hold another library's running loop
    (Playwright's sync API does, while the browser tests' fixture is alive)."""
    errors: list[BaseException] = []

    def target():
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the coroutine did not finish within 30 s"
    if errors:
        raise errors[0]


# ----- (a) unit level ---------------------------------------------------------------------------
class StuckSocket:
    """send_text never returns: a peer whose buffers are full."""

    def __init__(self):
        self.calls = 0

    async def send_text(self, text: str) -> None:
        self.calls += 1
        await asyncio.Event().wait()


class FakeSocket:
    def __init__(self):
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)


class GatedSocket(FakeSocket):
    """Holds every send until `gate` is set, then records it."""

    def __init__(self):
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.waiting.set()
        await self.gate.wait()
        self.sent.append(text)


class BrokenSocket:
    async def send_text(self, text: str) -> None:
        raise RuntimeError("Cannot call 'send' once a close message has been sent.")


async def until(predicate, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


def test_stalled_client_is_dropped_after_send_timeout_and_others_get_everything():
    async def main():
        stuck, good = Client(StuckSocket(), 0.5, 100), Client(FakeSocket(), 0.5, 100)
        with writer_task(stuck) as stuck_task, writer_task(good):
            t0 = asyncio.get_running_loop().time()
            frames = [f'{{"type":"metrics","step":{i}}}' for i in range(50)]
            for i, text in enumerate(frames):  # as Session._deliver does: every frame to every client
                for client in (stuck, good):
                    client.push(text)
                    client.push(f'{{"type":"state","step":{i}}}', latest=True)
                await asyncio.sleep(0.002)
            await until(lambda: good.ws.sent[-1:] == ['{"type":"state","step":49}'])
            assert [t for t in good.ws.sent if "metrics" in t] == frames, "every ordered frame, in order"
            states = [json.loads(t)["step"] for t in good.ws.sent if "state" in t]
            assert states == sorted(set(states)), "states only move forward"
            assert not stuck.dropped.is_set(), "dropped too early"
            await asyncio.wait_for(stuck.dropped.wait(), 3)
            elapsed = asyncio.get_running_loop().time() - t0
            assert 0.5 <= elapsed < 2.0, elapsed
            await until(stuck_task.done)  # its writer has ended
            assert stuck.ws.calls == 1 and stuck.sent == 0
            queued = list(stuck.queue)
            stuck.push("after")  # pushes to a dropped client are ignored
            assert list(stuck.queue) == queued and not good.dropped.is_set()

    run_isolated(main)


def test_latest_frames_replace_each_other_ordered_frames_are_all_kept():
    async def main():
        sock = GatedSocket()
        client = Client(sock, 5.0, 100)
        with writer_task(client):
            client.push("m0")
            await asyncio.wait_for(sock.waiting.wait(), 1)  # m0 is being sent (held at the gate)
            for i in range(1, 6):
                client.push(f"s{i}", latest=True)
                client.push(f"m{i}")
            assert client.mailboxes["state"] == "s5" and list(client.queue) == [f"m{i}" for i in range(1, 6)]
            sock.gate.set()
            await until(lambda: len(sock.sent) == 7)
            assert sock.sent == ["m0", "m1", "m2", "m3", "m4", "m5", "s5"]
            client.push("s6", latest=True)
            await until(lambda: len(sock.sent) == 8)
            assert sock.sent[-1] == "s6" and client.sent == 8 and not client.dropped.is_set()

    run_isolated(main)


def test_queue_over_max_queue_drops_the_client():
    async def main():
        client = Client(StuckSocket(), 30.0, 10)
        with writer_task(client):
            client.push("m0")
            await until(lambda: client.ws.calls == 1)  # the writer holds m0
            for _ in range(100):
                client.push("state", latest=True)  # the one-slot mailbox never counts against the queue
            for i in range(1, 11):
                client.push(f"m{i}")
            assert len(client.queue) == 10 and not client.dropped.is_set()
            client.push("m11")
            assert client.dropped.is_set(), "an 11th unsent ordered frame drops the client"
            assert len(client.queue) == 10, "and nothing more is queued for it"

    run_isolated(main)


def test_send_error_drops_the_client():
    async def main():
        client = Client(BrokenSocket(), 5.0, 100)
        with writer_task(client) as task:
            client.push("m0")
            await asyncio.wait_for(client.dropped.wait(), 1)
            await until(task.done)
            assert task.exception() is None

    run_isolated(main)


# ----- (b) the real server ----------------------------------------------------------------------
def test_stalled_viewer_is_dropped_and_never_slows_the_owner(server_factory):
    # Linux autotunes a loopback socket's send buffer up to ~4 MB: at this stream's ~200 KB/s a viewer
    # that stops reading would take ~20 s to fill it. Capping SO_SNDBUF on the listener (32 KiB, which
    # the kernel doubles; each accepted connection inherits it) makes the stall show in about a second,
    # as on a slow real network.
    srv = server_factory(send_timeout=0.5, sndbuf=32 << 10)
    with srv.connect() as owner:
        session, _, _ = create(owner, "line", {"n_samples": 1000, "speed": 2000})
        code = session["id"]
        viewer, status = raw_handshake(srv.port, rcvbuf=4096)
        try:
            assert status == 101
            viewer.sendall(masked_frame(json.dumps({"type": "join", "session": code})))
            clients = srv.rooms.by_code[code].clients
            deadline = time.monotonic() + 5
            while len(clients) < 2:
                assert time.monotonic() < deadline, "the viewer never joined"
                time.sleep(0.01)
            # from here on the viewer never reads a byte

            send(owner, {"type": "play"})
            t0 = last = time.monotonic()
            steps: list[int] = []
            gaps: list[float] = []
            dropped_at = None
            while time.monotonic() - t0 < 6.0:
                msg = recv(owner, timeout=2)
                now = time.monotonic()
                if msg["type"] == "metrics":
                    gaps.append(now - last)
                    last = now
                    steps += msg["steps"]
                elif msg["type"] != "state":
                    pytest.fail(f"unexpected {msg}")
                if dropped_at is None and len(clients) == 1:
                    dropped_at = now - t0
            send(owner, {"type": "pause"})

            assert dropped_at is not None, "the stalled viewer was never dropped"
            assert dropped_at < 4.0, dropped_at
            assert list(clients.values()) == ["owner"]
            assert steps == list(range(1, len(steps) + 1)), "the owner got every step's metrics"
            assert max(gaps) < 1.0, f"a {max(gaps):.2f} s gap in the owner's metrics"
            rate = len(steps) / 6.0
            assert rate > 500, f"training slowed to {rate:.0f} steps/s (speed 2000)"
            after = [g for g in gaps[len(gaps) // 2:]]  # the second half: well after the drop
            assert len(after) >= 30 and max(after) < 1.0
            state = recv_until(owner, paused_state)
            assert get_state(owner)["step"] == state["step"] >= steps[-1]
        finally:
            viewer.close()
