"""`landscape` and `dataset` queries: exact values, only to the asker, viewers allowed."""
import math

import pytest

from ws_helpers import command, create, get_state, recv, recv_type, send


def bce(z, y):
    return max(z, 0) - z * y + math.log1p(math.exp(-abs(z)))


def test_neuron_landscape_values_recompute_from_the_dataset(ws):
    _, dataset, state = create(ws, "neuron")
    send(ws, {"type": "landscape", "resolution": 5})
    grid = recv(ws)
    assert grid["type"] == "landscape" and grid["axes"] == ["w", "b"] and grid["step"] == 0
    assert len(grid["loss"]) == 5 and all(len(row) == 5 for row in grid["loss"])
    assert grid["center"] == [state["params"]["w"][0], state["params"]["b"]]
    for i, j in [(0, 0), (2, 2), (4, 1)]:
        w, b = grid["x"][j], grid["y"][i]
        direct = sum(bce(w * x[0] + b, y) for x, y in zip(dataset["x"], dataset["y"])) / len(dataset["y"])
        assert grid["loss"][i][j] == pytest.approx(direct, rel=1e-10)


def test_network_landscape_and_a_bad_request(ws):
    create(ws, "mlp")
    assert isinstance(ws.recv(timeout=5), bytes)  # the network's field frame follows its state
    send(ws, {"type": "landscape", "resolution": 9, "kind": "weights", "span": 2.0,
              "weights": [["W0", [0, 1]], ["W1", [1, 0]]]})
    grid = recv(ws)
    assert grid["axes"] == ["W0[0,1]", "W1[1,0]"] and len(grid["x"]) == 9
    assert min(min(r) for r in grid["loss"]) <= grid["loss"][4][4]  # the centre is one of the values
    send(ws, {"type": "landscape", "resolution": 500})
    assert recv(ws)["type"] == "error"
    send(ws, {"type": "landscape", "kind": "weights", "weights": [["W9", [0, 0]], ["W0", [0, 0]]]})
    assert recv_type(ws, "error")["message"].startswith("no weight W9[0, 0]; this network has W0 (4, 2)")


def test_line_without_bias_has_no_w_b_landscape(ws):
    create(ws, "line")
    replies = command(ws, {"type": "landscape"}, until="error")
    assert "bias" in replies[-1]["message"]


def test_viewers_may_ask_and_only_the_asker_is_answered(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, dataset, _ = create(owner, "neuron")
        send(viewer, {"type": "join", "session": session["id"]})
        for _ in range(3):
            recv(viewer)
        send(viewer, {"type": "dataset"})
        again = recv(viewer)
        assert again == dataset
        send(viewer, {"type": "landscape", "resolution": 3})
        assert recv(viewer)["type"] == "landscape"
        send(owner, {"type": "pause"})  # the owner saw neither answer: its next message is this state
        assert recv(owner)["type"] == "state"


def test_racers_share_a_start_landscape_and_walk_it_step_by_step(live_server):
    """Race mode on the wire: two sessions with one seed and different optimizers get the same
    start landscape, and every step of each reports its place on it."""
    config = {"batch_size": 40, "lr": 0.1}
    with live_server.connect() as sgd, live_server.connect() as adam:
        grids = []
        for ws, name in ((sgd, "sgd"), (adam, "adam")):
            create(ws, "neuron", {**config, "optimizer": name})
            send(ws, {"type": "landscape", "resolution": 21, "at": "start"})
            grids.append(recv_type(ws, "landscape"))
        assert grids[0]["loss"] == grids[1]["loss"] and grids[0]["kind"] == "unit" and grids[0]["at"] == "start"
        ends = []
        for ws in (sgd, adam):
            replies = command(ws, {"type": "step", "unit": "step", "count": 5})
            metrics = next(r for r in replies if r["type"] == "metrics")
            state = replies[-1]
            assert metrics["steps"] == [1, 2, 3, 4, 5] and len(metrics["positions"]) == 5
            assert metrics["positions"][-1] == state["landscape_at"] == [state["params"]["w"][0], state["params"]["b"]]
            ends.append(state["landscape_at"])
        assert ends[0] != ends[1]  # one start, one data, two update rules


def test_explain_fills_adams_numbers_in(ws):
    create(ws, "neuron", {"optimizer": "adam", "lr": 0.1})
    send(ws, {"type": "explain", "name": "w", "index": [0]})
    first = recv_type(ws, "explain")
    assert first["lines"] == ["no update yet: take a step"] and first["values"] == {}
    command(ws, {"type": "step", "unit": "step", "count": 2})
    send(ws, {"type": "explain", "name": "b", "index": []})
    msg = recv_type(ws, "explain")
    assert msg["optimizer"] == "adam" and msg["step"] == 2 and msg["values"]["t"] == 2
    assert msg["values"]["v_hat"] == pytest.approx(msg["values"]["v"] / (1 - 0.999 ** 2))
    assert any(line.startswith("bias correction: m̂ = m/(1−β₁ᵗ)") for line in msg["lines"])
    assert msg["values"]["after"] == pytest.approx(get_state(ws)["params"]["b"])
    send(ws, {"type": "explain", "name": "W0", "index": [0, 0]})
    assert recv_type(ws, "error")["message"] == "no parameter 'W0'; this model has w, b"
