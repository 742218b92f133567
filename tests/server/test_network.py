"""The `mlp` model over the wire: per-layer stages a client can recompute, binary field frames,
your own data (drawn points, CSV) with clear errors, hand-edited weights, out-of-range networks."""
import json
import time

import numpy as np
import pytest

from flowscope.server.wire import decode_tensors

from ws_helpers import send

ACT = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z,
       "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
DACT = {"tanh": lambda z, a: 1 - a * a, "relu": lambda z, a: (z > 0).astype(float), "linear": lambda z, a: np.ones_like(z),
        "sigmoid": lambda z, a: a * (1 - a)}


def until_state(ws, timeout=5.0, field_wait=0.5):
    """(text messages up to the first state, binary frames decoded) — waits a moment for a field."""
    texts, fields, deadline = [], [], time.monotonic() + timeout
    state_at = None
    while True:
        now = time.monotonic()
        limit = (state_at + field_wait) if state_at else deadline
        if now >= limit:
            if state_at is None:
                pytest.fail(f"no state within {timeout} s; got {[m['type'] for m in texts]}")
            return texts, fields
        try:
            raw = ws.recv(timeout=limit - now)
        except TimeoutError:
            continue
        if isinstance(raw, bytes):
            fields.append(decode_tensors(raw))
            if state_at:
                return texts, fields
            continue
        texts.append(json.loads(raw))
        if texts[-1]["type"] == "state" and state_at is None:
            state_at = time.monotonic()


def create(ws, config):
    send(ws, {"type": "create", "model": "mlp", "config": config})
    texts, fields = until_state(ws)
    assert [m["type"] for m in texts] == ["session", "dataset", "state"], texts
    return texts, fields


def test_create_streams_the_field_and_the_per_layer_plan(ws):
    (session, dataset, state), fields = create(ws, {"dataset": "circle", "hidden": [4, 2]})
    assert [e["stage"] for e in session["plan"]] == ["input", "weights", "linear", "activation", "linear", "activation", "linear",
                                 "activation", "loss", "gradients", "gradients", "gradients", "update"]
    assert dataset["classes"] == 2 and len(dataset["test_x"]) == 150 and dataset["inputs"] == ["x₁", "x₂"]
    assert [len(layer["W"]) for layer in state["params"]["layers"]] == [4, 2, 1]
    assert state["test_loss"] > 0 and set(state["accuracy"]) == {"train", "test"}
    header, tensors = fields[-1]
    assert header["type"] == "field" and header["span"] == 6.0 and header["step"] == 0
    assert tensors["output"].shape == (100, 100, 1) and tensors["layer0"].shape == (24, 24, 4)
    probs = tensors["output"].astype(float)
    assert 0 <= probs.min() and probs.max() <= 1


def forward(layers, x, acts):
    zs, outs, a = [], [], x
    for layer, act in zip(layers, acts):
        z = a @ np.array(layer["W"]).T + np.array(layer["b"])
        a = act(z)
        zs.append(z)
        outs.append(a)
    return zs, outs


@pytest.mark.parametrize("config,head", [
    ({"dataset": "xor", "hidden": [3, 2], "activation": ["tanh", "relu"], "l2": 0.01}, "bce"),
    ({"dataset": "three", "hidden": [3]}, "ce"),
    ({"dataset": "plane", "hidden": [2], "activation": "sigmoid", "l1": 0.01}, "mse"),
])
def test_every_stage_recomputes_from_the_ones_before(ws, config, head):
    (session, _, state), _ = create(ws, {**config, "batch_size": 5})
    ev = []
    for _ in [e["stage"] for e in session["plan"]]:
        send(ws, {"type": "step", "unit": "stage"})
        texts, _ = until_state(ws, field_wait=0.05)
        ev.append(next(m for m in texts if m["type"] == "stage"))
    x, y = np.array(ev[0]["values"]["x"]), np.array(ev[0]["values"]["y"])
    layers = ev[1]["values"]["layers"]
    names = [layer["activation"] for layer in layers]
    hidden = [ACT[n] for n in names[:-1]]
    softmax = lambda z: np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)
    out_act = {"bce": ACT["sigmoid"], "ce": softmax, "mse": ACT["linear"]}[head]
    zs, outs = forward(layers, x, hidden + [out_act])
    depth = len(layers)
    for k in range(depth):
        lin, act = ev[2 + 2 * k], ev[3 + 2 * k]
        assert lin["stage"] == "linear" and lin["layer"] == k and act["layer"] == k
        np.testing.assert_allclose(lin["values"]["z"], zs[k], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(act["values"]["a"], outs[k], rtol=1e-10, atol=1e-12)
    B, a_out = len(x), outs[-1]
    if head == "bce":
        per = -(y * np.log(a_out[:, 0]) + (1 - y) * np.log(1 - a_out[:, 0]))
        dz = (a_out - y[:, None]) / B
    elif head == "ce":
        onehot = np.eye(a_out.shape[1])[y.astype(int)]
        per, dz = -np.log(a_out[np.arange(B), y.astype(int)]), (a_out - onehot) / B
    else:
        per, dz = (a_out[:, 0] - y) ** 2, 2 * (a_out - y[:, None]) / B
    l1, l2 = config.get("l1", 0), config.get("l2", 0)
    reg = sum(l1 * np.abs(L["W"]).sum() + l2 * np.square(L["W"]).sum() for L in layers)
    loss = ev[2 + 2 * depth]
    assert loss["values"]["loss"] == pytest.approx(per.mean() + reg, rel=1e-10)
    grads = ev[3 + 2 * depth: 3 + 3 * depth]
    assert [g["layer"] for g in grads] == list(range(depth - 1, -1, -1))  # last layer first
    update = ev[-1]["values"]
    for g in grads:
        k = g["layer"]
        W = np.array(layers[k]["W"])
        np.testing.assert_allclose(g["values"]["dz"], dz, rtol=1e-9, atol=1e-14)
        a_prev = outs[k - 1] if k else x
        gW = dz.T @ a_prev + l1 * np.sign(W) + 2 * l2 * W
        np.testing.assert_allclose(g["values"]["grad_W"], gW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(g["values"]["grad_b"], dz.sum(0), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(update["layers"][k]["W"], W - update["lr"] * gW, rtol=1e-12)
        if k:
            dz = (dz @ W) * DACT[names[k - 1]](zs[k - 1], outs[k - 1])


@pytest.mark.parametrize("config,needle", [
    ({"hidden": [9]}, "hidden.0"), ({"hidden": [2] * 7}, "at most 6"), ({"hidden": [0]}, "hidden.0"),
    ({"activation": ["tanh", "relu"]}, "activation lists 2 names but hidden has 1 layer"),
    ({"features": ["x1", "x3"]}, "features.1"), ({"features": []}, "at least 1"), ({"dataset": "custom"}, "draw them"),
])
def test_out_of_range_networks_are_refused_and_the_session_kept(ws, config, needle):
    create(ws, {"hidden": [4]})
    send(ws, {"type": "configure", "config": config})
    texts, _ = until_state(ws, field_wait=0.05)
    err = next(m for m in texts if m["type"] == "error")
    assert needle in err["message"], err
    assert len(texts[-1]["params"]["layers"]) == 2  # unchanged: one hidden layer and the output


def test_bad_csv_gets_a_bad_data_error_saying_where(ws):
    create(ws, {})
    send(ws, {"type": "data", "csv": "x1,x2,label\n1,2,0\n3,oops,1\n"})
    reply = json.loads(ws.recv(timeout=5))
    assert reply == {"type": "error", "code": "bad_data", "message": "Your data: line 3: 'oops' is not a number"}
    send(ws, {"type": "data", "csv": "1,2,0", "points": [[1, 2, 0]]})
    assert "exactly one" in json.loads(ws.recv(timeout=5))["message"]


def test_csv_and_drawn_points_replace_the_data(ws):
    create(ws, {"test_fraction": 0.25})
    rows = [[x1, x2, int(x1 > 0)] for x1 in (-4, -2, 2, 4) for x2 in (-3, 0, 3)]
    send(ws, {"type": "data", "csv": "\n".join(",".join(map(str, r)) for r in rows)})
    texts, fields = until_state(ws)
    dataset, state = texts[0], texts[-1]
    assert dataset["type"] == "dataset" and len(dataset["x"]) + len(dataset["test_x"]) == 12
    assert len(dataset["test_x"]) == 3 and state["config"]["dataset"] == "custom" and state["step"] == 0
    assert fields and fields[-1][0]["step"] == 0
    send(ws, {"type": "data", "points": [[0, 0, 0], [1, 1, 1], [2, 2, 2], [-1, -1, 0], [3, 3, 1], [-2, 2, 2]]})
    texts, _ = until_state(ws)
    assert texts[0]["classes"] == 3 and texts[-1]["params"]["layers"][-1]["activation"] == "softmax"


def test_set_param_edits_a_weight_and_redraws_the_field(ws):
    _, fields = create(ws, {"hidden": [3]})
    send(ws, {"type": "set_param", "name": "W0", "index": [2, 1], "value": -1.5})
    texts, new_fields = until_state(ws)
    assert texts[-1]["params"]["layers"][0]["W"][2][1] == -1.5
    assert new_fields and not np.array_equal(new_fields[-1][1]["layer0"], fields[-1][1]["layer0"])
    send(ws, {"type": "set_param", "name": "W0", "index": [3, 0], "value": 1.0})
    texts, _ = until_state(ws, field_wait=0.05)
    assert "outside" in texts[0]["message"]


def test_metrics_carry_test_loss(ws):
    create(ws, {})
    send(ws, {"type": "step", "unit": "epoch"})
    texts, _ = until_state(ws, field_wait=0.05)
    metrics = next(m for m in texts if m["type"] == "metrics")
    assert len(metrics["steps"]) == 15 and metrics["test_loss"] == pytest.approx(texts[-1]["test_loss"])


def test_step_units_sample_batch_epoch(ws):
    create(ws, {"batch_size": 10, "n_samples": 100, "test_fraction": 0.5})
    expected = {"sample": 1, "batch": 1, "step": 1, "epoch": 5}  # 50 training points / 10 per batch
    for unit, steps in expected.items():
        send(ws, {"type": "step", "unit": unit})
        texts, _ = until_state(ws, field_wait=0.05)
        metrics = next(m for m in texts if m["type"] == "metrics")
        assert len(metrics["steps"]) == steps, unit
    send(ws, {"type": "step", "unit": "stage"})
    texts, _ = until_state(ws, field_wait=0.05)
    assert len(texts[0]["values"]["x"]) == 10  # a stage-stepped step uses the whole batch


def test_a_teacher_can_raise_the_width_cap(server_factory):
    wide = server_factory(max_width=16)
    with wide.connect() as ws:
        (_, _, state), _ = create(ws, {"hidden": [16, 12]})
        assert [len(layer["W"]) for layer in state["params"]["layers"]] == [16, 12, 1]
        send(ws, {"type": "configure", "config": {"hidden": [17]}})
        texts, _ = until_state(ws, field_wait=0.05)
        assert "less than or equal to 16" in texts[0]["message"]
    assert wide.get("/api/schema").json()["models"]["mlp"]["properties"]["hidden"]["items"]["maximum"] == 16
