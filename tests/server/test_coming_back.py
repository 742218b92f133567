"""While a killed room's process comes back (issue 20, case 12): a member's command is refused with a
typed `busy` that says the room is coming back — it was not applied, so the page may send it again — not
"Internal error … BrokenPipeError"; once the room is back the same command works."""
from __future__ import annotations

import os
import signal
import time

from ws_helpers import command, create, recv_type, recv_until, send


def test_a_command_while_the_room_comes_back_is_busy_not_internal(server_factory):
    srv = server_factory(room_processes=1)
    with srv.connect() as owner:
        session, _, _ = create(owner, "neuron", {"seed": 3})
        assert command(owner, {"type": "step", "unit": "step", "count": 3})[-1]["step"] == 3
        deadline = time.monotonic() + 10  # the room checkpoints as it falls idle
        while (kept := srv.rooms.checkpoints.get(session["id"])) is None or kept.packed.steps != 3:
            assert time.monotonic() < deadline, "no checkpoint of step 3"
            time.sleep(0.05)
        os.kill(srv.rooms.pool.links[0].process.pid, signal.SIGKILL)
        assert recv_type(owner, "error", timeout=30)["code"] == "room_lost"
        # the new process imports torch before it serves (seconds): the room is still coming back
        send(owner, {"type": "step", "unit": "step"})
        send(owner, {"type": "save", "name": "now"})
        for _ in range(2):
            told = recv_until(owner, lambda m: m["type"] == "error", timeout=30)
            assert told["code"] == "busy", told
            assert "coming back after its process stopped; try again in a moment" in told["message"], told
        back = recv_type(owner, "session", timeout=90)
        assert back["restored"]["step"] == 3 and back["role"] == "owner"
        recv_type(owner, "state")
        assert command(owner, {"type": "step", "unit": "step"})[-1]["step"] == 4  # sent again, it works
