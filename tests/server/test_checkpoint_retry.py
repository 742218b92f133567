"""A checkpoint that fails is retried, not dropped for good (issue 20, case 2; issue 18, fault 2): the
room's members hear once that it is not being saved and why, once that it is saved again, and the
checkpoint then holds the latest step (it stayed at the failure's step before, silently)."""
from __future__ import annotations

from flowscope.server.roomstore import RoomStore
from ws_helpers import recv_until, send


def test_a_failed_checkpoint_is_retried_and_the_room_is_told(server_factory, monkeypatch):
    srv = server_factory()  # rooms in threads here: the store below is the one they write to
    real_put, failing = RoomStore.put, [True]

    def put(self, *args, **kwargs):
        if failing[0]:
            raise OSError(30, "Read-only file system")
        return real_put(self, *args, **kwargs)

    monkeypatch.setattr(RoomStore, "put", put)
    with srv.connect() as owner:
        send(owner, {"type": "create", "model": "line"})  # the first save's failure may come before the state
        session = recv_until(owner, lambda m: m["type"] == "session", timeout=20)
        told = recv_until(owner, lambda m: m["type"] == "error", timeout=10)
        assert told["code"] == "not_saved" and "Read-only file system" in told["message"]
        send(owner, {"type": "step", "unit": "step", "count": 50})
        recv_until(owner, lambda m: m["type"] == "state" and m["step"] == 50, timeout=20)
        failing[0] = False  # the disk is writable again: the next try (after its back-off) succeeds
        again = recv_until(owner, lambda m: m["type"] == "error", timeout=15)
        assert again["code"] == "saved_again" and "step 50" in again["message"]
    kept = srv.rooms.checkpoints.get(session["id"])
    assert kept is not None and kept.packed.steps == 50
