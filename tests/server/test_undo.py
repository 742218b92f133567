"""No silent loss of work (issue 13): a change that rebuilds a trained run (its shape, its data, a
reset) can be undone, bringing the previous run back whole. Undo anything (issue 17 §3): any change of
settings, a live one (a rate that explodes the loss) included, one change at a time; every member's
loss chart gets the whole history back."""
import pytest

from ws_helpers import command, create, join, recv_type, recv_until, send


@pytest.mark.parametrize("change", [
    {"type": "configure", "config": {"hidden": [3]}},
    {"type": "reset"},
    {"type": "data", "points": [[0, 0, 0], [1, 1, 1], [2, 0, 0], [0, 2, 1]]},
], ids=["shape", "reset", "data"])
def test_undo_brings_back_the_run_a_rebuild_replaced(live_server, change):
    with live_server.connect() as owner, live_server.connect() as phone:
        session, _, _ = create(owner, "mlp", {"hidden": [4, 2]})
        join(phone, session["id"])
        trained = command(owner, {"type": "step", "unit": "step", "count": 20})[-1]
        assert trained["step"] == 20 and trained["undo"] is None
        rebuilt = command(owner, change)[-1]
        assert rebuilt["step"] == 0 and rebuilt["undo"] == 20  # the page offers Undo with what it brings back
        back = command(owner, {"type": "undo"})[-1]
        assert back["step"] == 20 and back["params"] == trained["params"] and back["config"] == trained["config"]
        assert back["undo"] is None
        assert recv_type(phone, "dataset")  # the room sees the data come back too
        again = command(owner, {"type": "step", "unit": "step"})[-1]
        assert again["step"] == 21  # and it trains on from there


def test_nothing_to_undo_and_viewers_cannot(live_server):
    with live_server.connect() as owner, live_server.connect() as phone:
        session, _, _ = create(owner, "neuron")
        send(owner, {"type": "undo"})
        assert "Nothing to undo" in recv_type(owner, "error")["message"]
        assert recv_type(owner, "state")["step"] == 0  # a refused change re-sends the unchanged state
        command(owner, {"type": "step", "unit": "step", "count": 3})
        command(owner, {"type": "reset"})
        join(phone, session["id"])
        send(phone, {"type": "undo"})
        assert recv_type(phone, "error")["code"] == "not_owner"
        live = command(owner, {"type": "configure", "config": {"lr": 0.1}})[-1]  # a live change is undone first
        assert live["undo"] == 0
        back = command(owner, {"type": "undo"})[-1]
        assert back["config"]["lr"] != 0.1 and back["step"] == 0
        assert back["undo"] == 3  # then the reset


def test_undo_of_an_exploding_rate_gives_every_member_the_whole_chart(live_server):
    """Today after an undo a viewer's chart showed a single dot: the room's history now comes back
    with it, in one `metrics` that replaces what each member drew."""
    with live_server.connect() as owner, live_server.connect() as phone:
        session, _, _ = create(owner, "line", {"optimizer": "momentum", "lr": 0.05, "batch_size": 3})
        join(phone, session["id"])
        for _ in range(12):  # one at a time: each step's whole-set loss is a point on the chart
            command(owner, {"type": "step", "unit": "step", "count": 1})
        seen = [recv_type(phone, "metrics") for _ in range(12)]
        trained = recv_type(phone, "state")
        while trained["step"] < 12:
            trained = recv_type(phone, "state")
        assert trained["undo"] is None
        assert command(owner, {"type": "configure", "config": {"lr": 900.0}})[-1]["undo"] == 12
        exploded = command(owner, {"type": "step", "unit": "step", "count": 200}, until="error")[-1]
        assert exploded["code"] == "diverged"
        send(owner, {"type": "undo"})
        for ws in (owner, phone):
            history = recv_until(ws, lambda m: m["type"] == "metrics" and m.get("replace"))
            assert history["steps"] == list(range(1, 13))  # every point, not one dot
            assert history["train_losses"] == [m["train_loss"] for m in seen]
            state = recv_type(ws, "state")
            assert state["step"] == 12
            assert state["params"] == trained["params"] and state["config"]["lr"] == 0.05
            assert state["diverged"] is None and state["undo"] is None
        again = command(owner, {"type": "step", "unit": "step"})[-1]
        assert again["step"] == 13 and again["diverged"] is None  # and it trains on from there
