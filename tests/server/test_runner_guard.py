"""The runner never dies of a command (issue 12, items 1, 2 and 8), tested on a real Runner thread
with a publish that records frames instead of a websocket."""
from __future__ import annotations

import json
import threading
import time

import pytest

from flowscope.server.rooms import commands as handlers
from flowscope.server.protocol import CLIENT
from flowscope.server.rooms.runner import MAX_PENDING, Hello, Runner
from flowscope.server.settings import Settings

TINY_GPT = {"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1}


class Room:
    """A runner and what it published, per recipient (None: the whole room)."""

    def __init__(self, model="neuron", config=None):
        self.frames: list[tuple[object, dict | bytes]] = []
        self.lock = threading.Condition()
        self.runner = Runner("TEST1", model, config or {}, Settings(), self._publish, lambda fn, *a: fn(*a))
        self.runner.start()

    def _publish(self, frames, to):
        with self.lock:
            for text, _ in frames:
                self.frames.append((to, json.loads(text) if isinstance(text, str) else text))
            self.lock.notify_all()

    def send(self, msg: dict, client="owner", role="owner"):
        self.runner.submit(CLIENT.validate_python(msg), client, role)

    def wait_for(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for i, (to, msg) in enumerate(self.frames):
                    if isinstance(msg, dict) and pred(to, msg):
                        del self.frames[: i + 1]
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching frame within {timeout} s; got "
                                         f"{[m.get('type') for _, m in self.frames if isinstance(m, dict)]}")
                self.lock.wait(left)

    def state(self) -> dict:
        """The room's state as a new member would get it."""
        self.runner.submit(Hello("viewer", "probe"), "probe")
        return self.wait_for(lambda to, m: to == "probe" and m["type"] == "state")

    def close(self):
        self.runner.stop()
        self.runner.thread.join(timeout=5)


@pytest.fixture
def room():
    rooms = []

    def make(model="neuron", config=None):
        rooms.append(Room(model, config))
        return rooms[-1]

    yield make
    for r in rooms:
        r.close()


def test_a_landscape_then_a_new_shape_keeps_the_room_alive(room):
    """The case that killed a class's room: a landscape, then a layer removed."""
    r = room("mlp", {"hidden": [4, 2]})
    r.send({"type": "landscape", "resolution": 5}, client="viewer", role="viewer")
    r.wait_for(lambda to, m: m["type"] == "landscape")
    r.send({"type": "landscape", "resolution": 5})
    r.wait_for(lambda to, m: m["type"] == "landscape")
    r.send({"type": "configure", "config": {"hidden": [3]}})
    r.wait_for(lambda to, m: m["type"] == "state")
    r.send({"type": "step", "unit": "step", "count": 3})
    assert r.wait_for(lambda to, m: m["type"] == "state")["step"] == 3
    assert r.runner.thread.is_alive()


def test_a_viewers_landscape_does_not_move_the_rooms_axes(room):
    r = room("line", {"bias": True})
    r.send({"type": "landscape", "resolution": 5}, client="viewer", role="viewer")
    r.wait_for(lambda to, m: m["type"] == "landscape")
    assert r.state()["landscape_at"] is None
    r.send({"type": "landscape", "resolution": 5})
    r.wait_for(lambda to, m: m["type"] == "landscape")
    assert r.state()["landscape_at"] is not None


EVERY_TYPE = {
    "neuron": [{"type": "step", "unit": "stage"}, {"type": "step", "unit": "step", "count": 2}, {"type": "back"},
               {"type": "play"}, {"type": "pause"}, {"type": "reset"}, {"type": "configure", "config": {"lr": 0.1}},
               {"type": "set_param", "name": "w", "index": [0], "value": 1.0}, {"type": "dataset"},
               {"type": "landscape", "resolution": 5}, {"type": "explain", "name": "w", "index": [0]},
               {"type": "phase", "phase": "finetune"}],
    "mlp": [{"type": "data", "points": [[0, 0, 0], [1, 1, 1], [2, 2, 0], [3, 3, 1]]}],
    "transformer": [{"type": "attention"}, {"type": "probs", "text": "ab"}, {"type": "sample", "chars": 3},
                    {"type": "char_loss", "text": "abc"}, {"type": "optimizer_state", "name": "lm_head.weight",
                                                            "index": [0, 0]}],
}


@pytest.mark.parametrize("model", list(EVERY_TYPE))
def test_a_failing_handler_answers_internal_and_the_room_goes_on(room, model):
    r = room(model, TINY_GPT if model == "transformer" else None)
    for msg in EVERY_TYPE[model]:
        kind = type(CLIENT.validate_python(msg))
        real = r.runner.handlers[kind]

        def broken(*args, **kwargs):
            raise RuntimeError("injected")

        r.runner.handlers[kind] = broken
        r.send(msg)
        err = r.wait_for(lambda to, m: m["type"] == "error")
        assert err["code"] == "internal" and msg["type"] in err["message"], err
        assert "injected" not in err["message"]  # the traceback stays in the log
        r.runner.handlers[kind] = real
        r.send({"type": "dataset"})  # and the room still answers
        r.wait_for(lambda to, m: m["type"] == "dataset")
    assert r.runner.thread.is_alive()


def test_every_client_message_type_that_reaches_a_runner_has_a_handler(room):
    r = room()
    routed_elsewhere = {"create", "join", "handover", "reclaim", "allow", "fork", "save", "load", "lesson", "switch",
                        "lesson_close", "locks", "scale", "remove", "recall"}  # remove, recall: the teacher's, dispatch.the_class
    kinds = {m.__name__ for m in handlers.READ_ONLY} | {k.__name__ for k in r.runner.handlers}
    every = CLIENT.json_schema()["discriminator"]["mapping"]
    missing = [t for t, ref in every.items() if t not in routed_elsewhere and ref.split("/")[-1] not in kinds]
    assert not missing


def test_a_long_command_is_paused_within_a_chunk_and_answers_meanwhile(room):
    r = room("mlp")
    r.send({"type": "step", "unit": "step", "count": 10000})
    r.send({"type": "dataset"}, client="viewer", role="viewer")
    r.wait_for(lambda to, m: to == "viewer" and m["type"] == "dataset")  # answered while the steps run
    r.send({"type": "pause"})
    r.wait_for(lambda to, m: m["type"] == "state" and not m["playing"] and r.runner.job is None)
    time.sleep(0.2)
    assert r.runner.job is None and 0 < r.state()["step"] < 10000


def test_queued_work_ends_with_its_room(room):
    r = room("mlp")
    for _ in range(40):
        r.send({"type": "step", "unit": "step", "count": 10000})
    time.sleep(0.2)
    started = time.monotonic()
    r.runner.stop()
    r.runner.thread.join(timeout=5)
    assert not r.runner.thread.is_alive() and time.monotonic() - started < 2


def test_the_queue_is_bounded(room):
    r = room("mlp")
    r.send({"type": "step", "unit": "step", "count": 10000})
    for _ in range(100):
        r.send({"type": "step", "unit": "step", "count": 1})
    err = r.wait_for(lambda to, m: m["type"] == "error" and m["code"] == "busy")
    assert "waiting" in err["message"]
    r.send({"type": "pause"})
    r.wait_for(lambda to, m: m["type"] == "state" and r.runner.job is None)


def _slow_landscape(r, monkeypatch):
    """A viewer's landscape in slices of two points, whose first pause between slices waits for `go`."""
    import flowscope.engine.landscape as landscape

    monkeypatch.setattr(landscape, "GRID_CHUNK", len(r.runner.trainer.data.x) * 8 * 2)
    go, turns, turn = threading.Event(), [], r.runner.owner_turn
    def owner_turn():
        turns.append(time.monotonic())
        if len(turns) == 1:
            assert go.wait(5)
        turn()
    r.runner.owner_turn = owner_turn
    r.send({"type": "landscape", "resolution": 15}, client="viewer", role="viewer")
    return go, turns


def test_the_owner_steps_while_a_viewers_landscape_is_drawn(room, monkeypatch):
    """Issue 20, case 1: a viewer's landscape took the room's thread for 20–45 s and the owner's step
    waited behind it. Now the owner's commands are taken between the landscape's slices."""
    r = room("mlp", {"hidden": [8, 8], "n_samples": 400})
    go, turns = _slow_landscape(r, monkeypatch)
    deadline = time.monotonic() + 5
    while not turns and time.monotonic() < deadline:  # the landscape is in hand
        time.sleep(0.01)
    r.send({"type": "step", "unit": "step"})
    go.set()
    state = r.wait_for(lambda to, m: m["type"] in ("state", "landscape") and (m["type"] == "landscape" or m["step"] == 1))
    assert state["type"] == "state", "the owner's step came before the viewer's landscape"
    grid = r.wait_for(lambda to, m: m["type"] == "landscape")
    assert grid["step"] == 0 and len(grid["loss"]) == 15  # the weights as they were when it was asked for
    assert len(turns) > 50


def test_a_room_that_ends_during_a_viewers_landscape_ends_at_once(room, monkeypatch):
    r = room("mlp", {"hidden": [8, 8], "n_samples": 400})
    go, turns = _slow_landscape(r, monkeypatch)
    while not turns:
        time.sleep(0.01)
    r.runner.stop()
    go.set()
    r.runner.thread.join(timeout=5)
    assert not r.runner.thread.is_alive() and len(turns) == 1
    assert not any(m.get("type") in ("landscape", "error") for _, m in r.frames if isinstance(m, dict))


def test_a_crowd_joining_does_not_fill_the_owners_queue():
    """A hundred viewers joining queue a hundred hellos (the server's own commands); the owner's play
    right behind them was refused "64 commands waiting" and the room never played (seen in
    test_scale's hundred viewers). Only the sender's own commands count against the 64."""
    from flowscope.server.rooms.people import PEOPLE

    published, before = [], PEOPLE.waiting
    runner = Runner("TEST2", "line", {}, Settings(), lambda frames, to: published.extend(frames), lambda fn, *a: fn(*a))
    try:  # not started: the queue holds what was submitted, as while the thread is busy
        for i in range(100):
            runner.submit(Hello("viewer", f"v{i}"), f"v{i}")
        runner.submit(CLIENT.validate_python({"type": "play"}), "owner")
        assert not published, published
        step = CLIENT.validate_python({"type": "step", "unit": "step", "count": 1})
        for _ in range(MAX_PENDING - 1):  # the play and these: the owner's 64
            runner.submit(step, "owner")
        assert not published, published
        runner.submit(step, "owner")
        assert len(published) == 1 and f"{MAX_PENDING} commands waiting" in published[0][0]
    finally:
        runner._forget_queue()  # what was queued no longer counts as people waiting (PEOPLE is the process's)
        runner.trainer.close()
    assert PEOPLE.waiting == before, "the commands queued here still hold every other room back"


def test_a_stopped_room_leaves_no_persons_command_counted(room):
    """Commands taken from the queue together with the stop are never handled: they must not stay
    counted, or every playing room (in every room process) would wait at each chunk from then on."""
    from flowscope.server.protocol import Pause, Step
    from flowscope.server.rooms.people import PEOPLE
    from flowscope.server.rooms.runner import _STOP

    runner = room().runner
    before = PEOPLE.waiting
    runner.submit(Step(type="step", unit="step", count=10_000), None)
    time.sleep(0.1)  # the long command runs: between its chunks the queue is taken whole
    runner.commands.put((_STOP, None, None))  # as stop() does, with a person's command right behind it
    runner.submit(Pause(type="pause"), None)
    assert runner.join(5)
    assert PEOPLE.waiting == before
