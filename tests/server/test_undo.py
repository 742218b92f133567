"""No silent loss of work (issue 13): a change that rebuilds a trained run (its shape, its data, a
reset) can be undone, bringing the previous run back whole."""
import pytest

from ws_helpers import command, create, join, recv_type, send


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
        live = command(owner, {"type": "configure", "config": {"lr": 0.1}})[-1]  # a live change keeps the offer
        assert live["undo"] == 3
