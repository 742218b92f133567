"""Rooms in room processes (server/pool.py, server/worker.py): rooms spread over the processes, every
kind of command works across the pipe, and a process that dies takes no room with it."""
from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from ws_helpers import command, create, join, recv_type, send


def test_rooms_spread_over_the_processes_and_train_there(server_factory):
    srv = server_factory(room_processes=2)
    with srv.connect() as a, srv.connect() as b:
        first, _, _ = create(a, "mlp", {"hidden": [3]})
        second, _, _ = create(b, "neuron")
        links = [link for link in srv.rooms.pool.links if link.rooms]
        assert len(links) == 2, "two rooms, two processes: one each"
        assert {link.process.pid for link in links} == {link.process.pid for link in srv.rooms.pool.links}
        assert all(link.process.pid != os.getpid() for link in links)
        assert command(a, {"type": "step", "unit": "step", "count": 7})[-1]["step"] == 7
        assert command(b, {"type": "step", "unit": "sample"})[-1]["step"] == 1


@contextlib.contextmanager
def watched_room(srv, steps: int, seed: int):
    """An owner's network room with a viewer in it, `steps` trained: (owner, viewer, session, state)."""
    with srv.connect() as owner, srv.connect() as viewer:
        session, _, _ = create(owner, "mlp", {"hidden": [3], "seed": seed})
        join(viewer, session["id"])
        yield owner, viewer, session, command(owner, {"type": "step", "unit": "step", "count": steps})[-1]


def test_fork_save_load_and_switch_cross_the_pipe(server_factory):
    srv = server_factory(room_processes=2)
    with watched_room(srv, 5, seed=4) as (owner, viewer, session, state):
        saved = command(owner, {"type": "save", "name": "five"}, until="saved")[-1]
        assert saved["steps"] == 5
        # a fork is a new room in the same process, the same weights, owned by the asker
        send(owner, {"type": "fork"})
        fork = recv_type(owner, "session")
        assert fork["id"] != session["id"] and fork["role"] == "owner"
        forked = recv_type(owner, "state")
        assert forked["step"] == 5 and forked["params"] == state["params"]
        # the saved run loads into a new room and goes on where it was
        send(owner, {"type": "load", "id": saved["id"], "token": session["token"]})
        loaded = recv_type(owner, "state")
        assert loaded["step"] == 5 and loaded["params"] == state["params"]
        # the viewer's room switches model under its code: the viewer follows
        send(owner, {"type": "join", "session": session["id"], "token": session["token"]})
        assert recv_type(owner, "session")["role"] == "owner"
        send(owner, {"type": "switch", "model": "neuron", "config": {}})
        while (moved := recv_type(viewer, "session"))["model"] != "neuron":
            pass
        assert moved["id"] == session["id"]


def test_a_refused_build_answers_from_the_room_process(server_factory):
    srv = server_factory(room_processes=1, max_model_mb=0.01)  # the budget is checked where the model is built
    with srv.connect() as ws:
        send(ws, {"type": "create", "model": "transformer", "config": {}})
        error = recv_type(ws, "error", timeout=60)
        assert "MB to train" in error["message"] and error["code"] == "bad_message", error
        assert not srv.rooms.by_code
        create(ws, "neuron")  # the process goes on serving


def test_a_room_process_that_dies_brings_its_rooms_back(server_factory):
    srv = server_factory(room_processes=1)
    with watched_room(srv, 6, seed=2) as (owner, viewer, session, state):
        recv_type(viewer, "state")
        deadline = time.monotonic() + 10  # the room checkpoints as it falls idle
        while (kept := srv.rooms.checkpoints.get(session["id"])) is None or kept.packed.steps != 6:
            assert time.monotonic() < deadline, "no checkpoint of step 6"
            time.sleep(0.05)
        old = srv.rooms.pool.links[0].process
        os.kill(old.pid, signal.SIGKILL)
        for ws in (owner, viewer):
            lost = recv_type(ws, "error", timeout=30)
            assert lost["code"] == "room_lost" and session["id"] in lost["message"]
            back = recv_type(ws, "session", timeout=60)
            assert back["id"] == session["id"] and back["restored"]["step"] == 6
            again = recv_type(ws, "state")
            assert again["step"] == 6
            assert again["params"] == state["params"]  # the weights of step 6, exactly
        assert srv.rooms.pool.links[0].process.pid != old.pid
        assert command(owner, {"type": "step", "unit": "step"})[-1]["step"] == 7  # still the owner: it drives


def test_a_persons_command_in_one_process_pauses_the_rooms_playing_in_another():
    from flowscope.server.rooms.people import People, shared_counts

    counts = shared_counts(2)
    here, there = People(), People()
    here.share(counts, 0)
    there.share(counts, 1)
    here.add()  # a person's command waits in this process…
    start = time.monotonic()
    there.wait()  # …so a room playing in the other holds back, up to MAX_WAIT
    assert time.monotonic() - start >= 0.9 * People.MAX_WAIT
    here.done()
    start = time.monotonic()
    there.wait()
    assert time.monotonic() - start < 0.5 * People.MAX_WAIT, "nobody waits: no pause"
    assert counts[:6] == [0] * 6


def test_a_persons_command_on_its_way_to_a_room_process_pauses_the_rooms_playing():
    """Issue 20, case 14: the rooms paused only once the command was read from the pipe — and ten rooms
    playing in that process kept its reader from the interpreter. Sent and not yet taken counts too, and
    so do the few ms after it is answered (its frames cross back while the rooms would send theirs)."""
    from flowscope.server.rooms.people import People, lost, sending, shared_counts

    counts = shared_counts(2)
    here, there = People(), People()
    here.share(counts, 0)
    there.share(counts, 1)
    sending(counts, 0)  # the web process sent a person's command to process 0
    assert there.someone() and here.someone()
    start = time.monotonic()
    there.wait()
    assert time.monotonic() - start >= 0.9 * People.MAX_WAIT
    here.add()  # process 0 read it: now it waits there (counted by add), no longer on its way
    here.took()
    assert there.someone()
    here.done()
    assert there.someone(), "the answer is on its way out: the others wait GRACE_MS more"
    time.sleep(2 * People.GRACE_MS / 1000)
    assert not there.someone() and not here.someone()
    sending(counts, 1)
    lost(counts, 1)  # process 1 died with the command unread: nobody waits for it
    assert not here.someone()


def test_without_kept_rooms_a_dead_process_ends_its_rooms_and_says_so(server_factory):
    srv = server_factory(room_processes=1, persist_rooms=False)
    with srv.connect() as owner:
        session, _, _ = create(owner, "neuron")
        os.kill(srv.rooms.pool.links[0].process.pid, signal.SIGKILL)
        lost = recv_type(owner, "error", timeout=30)
        assert lost["code"] == "room_lost" and "its run is gone" in lost["message"]
        assert session["id"] not in srv.rooms.by_code
        send(owner, {"type": "step", "unit": "step"})
        assert recv_type(owner, "error")["code"] == "no_session"  # told, not left waiting
        create(owner, "neuron")  # the new process serves the next room


def test_a_room_alone_in_a_room_process_steps_all_of_a_frame_but_its_finish():
    """Issue 21, point 7: a fixed 15 % of each play frame left idle cost the streamed run 15 % of the bare
    loop's steps/s; in a room process no event loop shares the interpreter, so only the finish is kept."""
    import multiprocessing

    from flowscope.server.rooms.people import People

    class Room:  # what People reads of a runner (kept in a WeakSet)
        playing, job = True, None

    people = People()
    room = Room()
    people.rooms.add(room)
    assert people.tick_share(0.03) == People.ALONE  # in the web process: the event loop's share stays
    people.share(multiprocessing.get_context("spawn").Array("i", 1, lock=False), 0)
    assert people.tick_share(0.03) == pytest.approx(0.97)  # alone in a room process: all but the finish
    assert people.tick_share(0.5) == People.ALONE  # a slow finish never takes more than the old share
    other = Room()
    people.rooms.add(other)
    assert people.tick_share(0.03) == pytest.approx(People.BUSY_SHARE / 2)  # beside another: shared as before
