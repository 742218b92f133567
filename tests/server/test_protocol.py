"""The wire protocol (docs/protocol.md) against a real server: every message, and every number a
stage hands out recomputed here from the stages before it."""
from __future__ import annotations

import math
import re
import time

import pytest

import flowscope
from flowscope.engine.device import torch_version
from ws_helpers import (command, create, drain, expect_silence, get_state, paused_state, recv, recv_type, recv_until,
                        send)

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NEURON_STAGES = ["input", "weights", "linear", "activation", "loss", "gradients", "update"]
LINE_STAGES = ["input", "weights", "linear", "loss", "gradients", "update"]
TOL = 1e-12


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def assert_close(got, want, what: str) -> None:
    if isinstance(want, (list, tuple)):
        assert isinstance(got, list) and len(got) == len(want), f"{what}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f"{what}[{i}]")
        return
    assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{what}: {got!r} is not a number"
    assert close(got, want), f"{what}: server {got!r}, recomputed {want!r}"


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def bce(a: float, y: float) -> float:
    return -(y * math.log(a) + (1.0 - y) * math.log(1.0 - a))


def dataset_loss(model: str, dataset: dict, params: dict) -> float:
    """Whole-set mean loss at `params`, recomputed from the dataset message."""
    w, b = params["w"], params.get("b", 0.0)  # no b: the line without its bias
    total = 0.0
    for x, y in zip(dataset["x"], dataset["y"]):
        z = sum(wi * xi for wi, xi in zip(w, x)) + b
        total += bce(sigmoid(z), y) if model == "neuron" else (z - y) ** 2
    return total / len(dataset["y"])


def stage_step(ws, allow_error: bool = False) -> tuple[dict, list[dict]]:
    """One `step`/`stage`: exactly one `stage` comes back (the update also brings its `metrics`),
    and a `state` closes the reply. Returns (the stage, all replies)."""
    replies = command(ws, {"type": "step", "unit": "stage"})
    stages = [m for m in replies if m["type"] == "stage"]
    assert len(stages) == 1, [m["type"] for m in replies]
    assert replies[0]["type"] == "stage", [m["type"] for m in replies]
    allowed = {"stage", "metrics", "state"} | ({"error"} if allow_error else set())
    assert {m["type"] for m in replies} <= allowed, replies
    return stages[0], replies


def walk_step(ws, stage_names: list[str], step: int) -> tuple[dict[str, dict], list[dict]]:
    """Take one whole step stage by stage; check the envelope of each stage."""
    out: dict[str, dict] = {}
    replies_at_update: list[dict] = []
    for index, name in enumerate(stage_names):
        st, replies = stage_step(ws)
        assert st["stage"] == name and st["index"] == index and st["step"] == step, st
        assert st["layer"] == 0 and st["replay"] is False
        assert st["direction"] == ("backward" if name in ("gradients", "update") else "forward"), st
        assert isinstance(st["formula"], str) and st["formula"] and isinstance(st["caption"], str) and st["caption"]
        state = replies[-1]
        assert state["cursor"] == {"step": step, "index": index, "stage": name, "live": True}, state["cursor"]
        out[name] = st
        if name == "update":
            replies_at_update = replies
    return out, replies_at_update


def check_step_numbers(model: str, st: dict[str, dict], before: dict, lr: float, bias: bool = True) -> None:
    """Recompute every number of one step from the stages before it (and from scratch)."""
    x, y = st["input"]["values"]["x"], st["input"]["values"]["y"]
    n = len(y)
    assert len(x) == n and all(len(row) == len(before["w"]) for row in x)

    # a number shown must be true or absent: without a bias b is no parameter, so no b, no ∂L/∂b
    for stage, key in (("weights", "b"), ("gradients", "grad_b"), ("update", "b")):
        assert (key in st[stage]["values"]) == bias, f"{stage}.{key} shown only when b is a parameter"
    w, b = st["weights"]["values"]["w"], st["weights"]["values"].get("b", 0.0)
    assert w == before["w"] and b == before.get("b", 0.0), "weights stage must show the parameters the step starts from"
    for name in ("input", "weights", "linear", "loss", "gradients"):
        assert st[name]["params"] == before, f"{name}: params in effect are the old ones"

    z = st["linear"]["values"]["z"]
    assert_close(z, [sum(wi * xi for wi, xi in zip(w, row)) + b for row in x], "z = w·x + b")

    if model == "neuron":
        a = st["activation"]["values"]["a"]
        assert_close(a, [sigmoid(zi) for zi in z], "a = σ(z)")
        loss = sum(bce(ai, yi) for ai, yi in zip(a, y)) / n
        dz = [(ai - yi) / n for ai, yi in zip(a, y)]
    else:
        assert "activation" not in st
        loss = sum((zi - yi) ** 2 for zi, yi in zip(z, y)) / n
        dz = [2.0 * (zi - yi) / n for zi, yi in zip(z, y)]
    assert_close(st["loss"]["values"]["loss"], loss, "loss (batch mean)")

    g = st["gradients"]["values"]
    assert_close(g["dz"], dz, "dz")
    # from the server's own dz, too: the chain rule step by step
    grad_w = [sum(d * row[j] for d, row in zip(g["dz"], x)) for j in range(len(w))]
    assert_close(g["grad_w"], grad_w, "grad_w = Σ dz·x")
    if bias:
        assert_close(g["grad_b"], sum(g["dz"]), "grad_b = Σ dz")

    u = st["update"]["values"]
    assert u["lr"] == lr
    new_w = [wi - lr * gi for wi, gi in zip(w, g["grad_w"])]
    assert_close(u["w"], new_w, "w ← w − lr·grad_w")
    if bias:
        assert_close(u["b"], b - lr * g["grad_b"], "b ← b − lr·grad_b")
    assert st["update"]["params"] == {"w": u["w"], **({"b": u["b"]} if bias else {})}, "update's params are the new ones"
    if not bias:
        assert "b" not in st["update"]["params"], "no b where it is not a parameter (true or absent)"


# ----- session, dataset, state ------------------------------------------------------------------
@pytest.mark.parametrize("model, stages", [("neuron", NEURON_STAGES), ("line", LINE_STAGES)])
def test_create_replies_session_dataset_state(ws, model, stages):
    session, dataset, state = create(ws, model)
    assert re.fullmatch(f"[{ALPHABET}]{{5}}", session["id"]), session["id"]
    assert session["role"] == "owner" and session["model"] == model and session["protocol"] == 1
    assert [e["stage"] for e in session["plan"]] == stages
    assert session["config"]["seed"] == 0 and session["config"]["lr"] == (0.5 if model == "neuron" else 0.02)

    assert len(dataset["x"]) == len(dataset["y"]) == session["config"]["n_samples"]
    assert len(dataset["features"]) == len(dataset["x"][0])
    if model == "neuron":
        assert dataset["task"] == "classification" and set(dataset["y"]) <= {0.0, 1.0}
    else:
        assert dataset["task"] == "regression"

    assert state["step"] == 0 and state["cursor"] is None and state["playing"] is False
    assert state["diverged"] is None and state["lr"] == session["config"]["lr"]
    # the default line has no bias: b is not a parameter, so it is absent (not 0)
    assert set(state["params"]) == ({"w", "b"} if model == "neuron" else {"w"})
    assert len(state["params"]["w"]) == len(dataset["features"])
    assert_close(state["loss"], dataset_loss(model, dataset, state["params"]), "state.loss (whole set)")
    if model == "line":
        curve = state["curve"]
        assert curve["param"] == "a" and len(curve["a"]) == len(curve["loss"]) == 101
        assert curve["a"] == sorted(curve["a"]) and curve["a"][0] < state["params"]["w"][0] < curve["a"][-1]
        # exact, whole set: recompute a few points
        for i in (0, 50, 100):
            p = {"w": [curve["a"][i]], "b": state["params"].get("b", 0.0)}
            assert math.isclose(curve["loss"][i], dataset_loss("line", dataset, p), rel_tol=1e-9)
    else:
        assert state["curve"] is None


def test_same_seed_same_start_and_different_seed_differs(live_server):
    with live_server.connect() as a, live_server.connect() as b, live_server.connect() as c:
        sa, da, ta = create(a, "neuron", {"seed": 7})
        sb, db, tb = create(b, "neuron", {"seed": 7})
        sc, dc, tc = create(c, "neuron", {"seed": 8})
    assert sa["id"] != sb["id"]
    assert da == db and ta["params"] == tb["params"]
    assert dc != da and tc["params"] != ta["params"]


def test_one_stage_per_stage_step(ws):
    create(ws, "neuron")
    send(ws, {"type": "step", "unit": "stage"})
    first = recv(ws)
    assert first["type"] == "stage" and first["stage"] == "input" and first["step"] == 0
    state = recv(ws)
    assert state["type"] == "state" and state["step"] == 0
    assert state["cursor"] == {"step": 0, "index": 0, "stage": "input", "live": True}
    expect_silence(ws, 0.3)  # no second stage


# ----- every number recomputed ------------------------------------------------------------------
@pytest.mark.parametrize("config", [{}, {"batch_size": 4}, {"features": 2, "dataset": "blobs", "batch_size": 4}],
                         ids=["neuron-b1", "neuron-b4", "neuron-2features-b4"])
def test_neuron_stages_recomputed(ws, config):
    session, dataset, state = create(ws, "neuron", config)
    lr = session["config"]["lr"]
    before = state["params"]
    for step in range(3):  # three steps: each starts from the previous update
        st, replies = walk_step(ws, NEURON_STAGES, step)
        n = len(st["input"]["values"]["y"])
        assert n == session["config"]["batch_size"]
        for row, yi in zip(st["input"]["values"]["x"], st["input"]["values"]["y"]):
            assert row in dataset["x"] and yi in (0.0, 1.0), "the batch comes from the training set"
        check_step_numbers("neuron", st, before, lr)
        metrics = next(m for m in replies if m["type"] == "metrics")
        state = replies[-1]
        assert metrics["steps"] == [step + 1] and metrics["step"] == step + 1
        assert metrics["losses"] == [st["loss"]["values"]["loss"]] == [metrics["loss"]]
        assert state["step"] == step + 1 and state["params"] == st["update"]["params"]
        assert metrics["train_loss"] == state["loss"]
        assert_close(state["loss"], dataset_loss("neuron", dataset, state["params"]), "train loss after update")
        before = state["params"]


@pytest.mark.parametrize("config", [{}, {"batch_size": 1}, {"bias": True, "dataset": "offset"}],
                         ids=["line-b4-nobias", "line-b1", "line-bias"])
def test_line_stages_recomputed(ws, config):
    session, dataset, state = create(ws, "line", config)
    lr, bias = session["config"]["lr"], session["config"]["bias"]
    before = state["params"]
    assert before.get("b", 0.0) == 0 and ("b" in before) == bias
    for step in range(3):
        st, replies = walk_step(ws, LINE_STAGES, step)
        assert len(st["input"]["values"]["y"]) == session["config"]["batch_size"]
        check_step_numbers("line", st, before, lr, bias=bias)
        state = replies[-1]
        assert state["params"] == st["update"]["params"]
        if not bias:
            assert "b" not in state["params"]
        assert_close(state["loss"], dataset_loss("line", dataset, state["params"]), "train loss after update")
        before = state["params"]


# ----- whole steps and epochs -------------------------------------------------------------------
def test_step_count_gives_metrics_for_every_step(ws):
    _, dataset, _ = create(ws, "neuron")
    replies = command(ws, {"type": "step", "unit": "step", "count": 25})
    assert [m["type"] for m in replies] == ["metrics", "state"]
    metrics, state = replies
    assert metrics["steps"] == list(range(1, 26)) and metrics["step"] == 25
    assert len(metrics["losses"]) == len(metrics["train_losses"]) == 25
    assert metrics["loss"] == metrics["losses"][-1] and metrics["train_loss"] == metrics["train_losses"][-1]
    assert all(isinstance(v, float) and v >= 0 for v in metrics["losses"])
    # the whole-set loss is evaluated at the last step of a run (it costs more than a step)
    assert metrics["train_losses"][:-1] == [None] * 24 and metrics["train_losses"][-1] >= 0
    assert state["step"] == 25 and state["cursor"]["step"] == 24 and state["cursor"]["stage"] == "update"
    assert metrics["train_loss"] == state["loss"]
    assert_close(state["loss"], dataset_loss("neuron", dataset, state["params"]), "train loss")

    metrics, state = command(ws, {"type": "step", "unit": "step"})  # count defaults to 1
    assert metrics["steps"] == [26] and state["step"] == 26


def test_whole_step_finishes_the_step_in_hand(ws):
    create(ws, "neuron")
    for _ in range(3):  # input, weights, linear of step 0
        stage_step(ws)
    metrics, state = command(ws, {"type": "step", "unit": "step", "count": 2})
    assert metrics["steps"] == [1, 2], "the step in hand counts as the first of the two"
    assert state["step"] == 2


def test_whole_steps_match_stage_walk(live_server):
    """A step taken whole and the same step walked stage by stage give the same parameters."""
    with live_server.connect() as a, live_server.connect() as b:
        create(a, "neuron", {"seed": 3, "batch_size": 2})
        create(b, "neuron", {"seed": 3, "batch_size": 2})
        _, state_a = command(a, {"type": "step", "unit": "step", "count": 2})
        for step in range(2):
            walk_step(b, NEURON_STAGES, step)
        state_b = get_state(b)
    assert state_a["params"] == state_b["params"] and state_a["loss"] == state_b["loss"]


@pytest.mark.parametrize("batch_size, per_epoch", [(1, 40), (3, 14)])
def test_epoch(ws, batch_size, per_epoch):
    create(ws, "neuron", {"batch_size": batch_size})
    metrics, state = command(ws, {"type": "step", "unit": "epoch", "count": 2})
    assert metrics["steps"] == list(range(1, 2 * per_epoch + 1))
    assert state["step"] == 2 * per_epoch
    metrics, state = command(ws, {"type": "step", "unit": "epoch"})
    assert metrics["steps"] == list(range(2 * per_epoch + 1, 3 * per_epoch + 1))


# ----- history: back and replay -----------------------------------------------------------------
def test_back_replays_in_reverse_then_forward_until_live(ws):
    create(ws, "neuron")
    handed = [stage_step(ws)[0] for _ in range(len(NEURON_STAGES) + 3)]  # step 0 and 3 stages of step 1

    def same_but_replay(got: dict, original: dict) -> None:
        assert got["replay"] is True
        assert {**got, "replay": False} == original, (got["step"], got["stage"])

    backs = []
    for _ in range(4):
        replies = command(ws, {"type": "back"})
        assert [m["type"] for m in replies] == ["stage", "state"]
        backs.append(replies[0])
        state = replies[1]
        assert state["cursor"]["live"] is False and state["step"] == 1, "back changes nothing but the cursor"
    # reverse order: the stages before the newest, newest first
    for got, original in zip(backs, reversed(handed[:-1])):
        same_but_replay(got, original)
    assert [(m["step"], m["index"]) for m in backs] == [(1, 1), (1, 0), (0, 6), (0, 5)]

    # forward again: the very same numbers, marked replay, until the newest stage handed out
    for original in handed[-4:]:
        st, replies = stage_step(ws)
        same_but_replay(st, original)
        assert all(m["type"] != "metrics" for m in replies), "a replayed update must not step again"
    assert replies[-1]["cursor"] == {"step": 1, "index": 2, "stage": "linear", "live": True}
    assert replies[-1]["step"] == 1
    new, _ = stage_step(ws)
    assert new["replay"] is False and (new["step"], new["stage"]) == (1, "activation")


def test_back_count_and_bounds(ws):
    create(ws, "neuron")
    send(ws, {"type": "back"})
    err = recv(ws)
    assert err["type"] == "error" and err["code"] == "bad_message", "nothing to step back to yet"
    expect_silence(ws, 0.2)
    handed = [stage_step(ws)[0] for _ in range(5)]
    st = command(ws, {"type": "back", "count": 3})[0]
    assert st["type"] == "stage" and st["replay"] and (st["step"], st["index"]) == (0, 1)
    assert st["values"] == handed[1]["values"]
    st = command(ws, {"type": "back", "count": 1000})[0]  # clamps at the oldest kept stage
    assert (st["step"], st["index"], st["replay"]) == (0, 0, True)
    # a whole step jumps back to the newest point first, then finishes the step in hand
    metrics, state = command(ws, {"type": "step", "unit": "step"})
    assert metrics["steps"] == [1] and state["cursor"]["live"] is True


def test_history_keeps_history_steps(server_factory):
    srv = server_factory(history_steps=2)
    with srv.connect() as ws:
        create(ws, "line", {"batch_size": 1})
        command(ws, {"type": "step", "unit": "step", "count": 5})
        st = command(ws, {"type": "back", "count": 1000})[0]
        assert (st["step"], st["index"]) == (3, 0), "only the last 2 steps are kept"


# ----- reset and configure ----------------------------------------------------------------------
def test_reset_returns_to_the_seeded_start(ws):
    _, dataset0, state0 = create(ws, "neuron", {"batch_size": 2, "seed": 11})
    first, _ = walk_step(ws, NEURON_STAGES, 0)
    command(ws, {"type": "step", "unit": "step", "count": 30})
    replies = command(ws, {"type": "reset"})
    assert [m["type"] for m in replies] == ["dataset", "state"]
    dataset1, state1 = replies
    assert dataset1 == dataset0
    assert state1["step"] == 0 and state1["params"] == state0["params"] and state1["loss"] == state0["loss"]
    assert state1["cursor"] is None and state1["diverged"] is None
    again, _ = walk_step(ws, NEURON_STAGES, 0)
    assert again == first, "after reset the same seed replays the same first step"


def test_configure_lr_applies_live(ws):
    session, _, _ = create(ws, "neuron")
    command(ws, {"type": "step", "unit": "step", "count": 3})
    before = get_state(ws)
    for _ in range(5):  # up to the gradients of step 3
        stage_step(ws)
    replies = command(ws, {"type": "configure", "config": {"lr": 0.125}})
    assert [m["type"] for m in replies] == ["state"], "a live change sends no new dataset"
    state = replies[0]
    assert state["lr"] == 0.125 and state["config"]["lr"] == 0.125
    assert state["step"] == before["step"] == 3 and state["params"] == before["params"]
    assert state["config"]["seed"] == session["config"]["seed"]
    grads = stage_step(ws)[0]
    update = stage_step(ws)[0]
    assert grads["stage"] == "gradients" and update["stage"] == "update"
    assert update["values"]["lr"] == 0.125, "the lr in force when the update is reached"
    new_w = [w - 0.125 * g for w, g in zip(before["params"]["w"], grads["values"]["grad_w"])]
    assert_close(update["values"]["w"], new_w, "w with the new lr")


def test_configure_speed_is_live(ws):
    create(ws, "neuron")
    command(ws, {"type": "step", "unit": "step", "count": 2})
    replies = command(ws, {"type": "configure", "config": {"speed": 500}})
    assert [m["type"] for m in replies] == ["state"]
    assert replies[0]["step"] == 2 and replies[0]["config"]["speed"] == 500


def test_configure_seed_rebuilds(ws):
    _, dataset0, state0 = create(ws, "neuron")
    command(ws, {"type": "step", "unit": "step", "count": 4})
    replies = command(ws, {"type": "configure", "config": {"seed": 5}})
    assert [m["type"] for m in replies] == ["dataset", "state"]
    dataset1, state1 = replies
    assert state1["step"] == 0 and state1["cursor"] is None and state1["config"]["seed"] == 5
    assert dataset1["x"] != dataset0["x"] and state1["params"] != state0["params"]
    # the same as a fresh session with that seed
    with ws_for(ws) as other:
        _, dataset5, state5 = create(other, "neuron", {"seed": 5})
    assert dataset5 == dataset1 and state5["params"] == state1["params"]
    # and a reset now returns to seed 5's start, not seed 0's
    dataset2, state2 = command(ws, {"type": "reset"})
    assert dataset2 == dataset1 and state2["params"] == state1["params"]


def test_configure_dataset_and_features_together(ws):
    create(ws, "neuron")
    dataset, state = command(ws, {"type": "configure", "config": {"features": 2, "dataset": "and"}})
    assert dataset["type"] == "dataset" and len(dataset["x"][0]) == 2 and dataset["target"] == "x₁ AND x₂"
    assert len(state["params"]["w"]) == 2 and state["step"] == 0


def ws_for(ws):
    """Another connection to the same server as `ws`."""
    from ws_helpers import ws_connect

    host, port = ws.remote_address[:2]
    return ws_connect(f"ws://{host}:{port}/ws")


# ----- play / pause -----------------------------------------------------------------------------
def test_play_then_pause(ws):
    create(ws, "neuron", {"speed": 300})
    send(ws, {"type": "play"})
    steps: list[int] = []
    states = 0
    t0 = time.monotonic()
    metrics_times = []
    while time.monotonic() - t0 < 1.0:
        msg = recv(ws, timeout=2)
        if msg["type"] == "metrics":
            steps += msg["steps"]
            metrics_times.append(time.monotonic())
        elif msg["type"] == "state":
            states += 1
            assert msg["playing"] is True
            if steps:
                assert msg["step"] >= steps[-1]
        else:
            pytest.fail(f"unexpected {msg}")
    assert len(metrics_times) >= 5, "metrics keep arriving while playing"
    assert len(steps) >= 100, f"about 300 steps/s, got {len(steps)} in 1 s"
    assert steps == list(range(1, len(steps) + 1)), "metrics are never dropped: every step, in order"
    assert states >= 5

    send(ws, {"type": "pause"})
    in_flight: list[dict] = []  # the runner may have a frame in flight: read up to the paused state
    msg = recv_until(ws, paused_state, skipped=in_flight)
    steps += [s for m in in_flight if m["type"] == "metrics" for s in m["steps"]]
    assert msg["step"] == steps[-1]
    assert steps == list(range(1, len(steps) + 1))
    expect_silence(ws, 0.4)  # paused: nothing more comes
    assert get_state(ws)["step"] == steps[-1]


def test_step_while_playing_pauses_first(ws):
    create(ws, "neuron", {"speed": 200})
    send(ws, {"type": "play"})
    recv_type(ws, "metrics")
    send(ws, {"type": "step", "unit": "step"})
    msg = recv_until(ws, paused_state)
    expect_silence(ws, 0.3)
    state = get_state(ws)
    assert state["playing"] is False and state["step"] == msg["step"]


# ----- divergence -------------------------------------------------------------------------------
def diverge(ws) -> list[dict]:
    create(ws, "line", {"lr": 100})
    replies = command(ws, {"type": "step", "unit": "step", "count": 20})
    errors = [m for m in replies if m["type"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "diverged", replies
    assert "diverged" in errors[0]["message"] and "100" in errors[0]["message"]
    state = replies[-1]
    assert state["diverged"] and state["playing"] is False
    assert 1 <= state["step"] < 20
    return replies


def test_diverged_refuses_steps_until_reset(ws):
    replies = diverge(ws)
    step = replies[-1]["step"]
    for msg in ({"type": "step", "unit": "step", "count": 3}, {"type": "step", "unit": "epoch"}, {"type": "play"}):
        send(ws, msg)
        got: list[dict] = []
        got.append(recv_until(ws, lambda m: m["type"] == "state", skipped=got))
        if msg["type"] != "play":
            assert [m["type"] for m in got] == ["error", "state"], got
            assert got[0]["code"] == "diverged"
        assert got[-1]["step"] == step and got[-1]["diverged"] and got[-1]["playing"] is False
    expect_silence(ws, 0.2)  # play refused: nothing streams

    dataset, state = command(ws, {"type": "reset"})
    assert dataset["type"] == "dataset" and state["diverged"] is None and state["step"] == 0
    metrics, state = command(ws, {"type": "step", "unit": "step"})
    assert metrics["steps"] == [1] and state["step"] == 1


def test_diverged_lower_lr_recovers(ws):
    diverge(ws)
    state = command(ws, {"type": "configure", "config": {"lr": 0.001}})[-1]
    assert state["diverged"] is None


def test_stage_step_after_whole_step_divergence_is_refused(ws):
    diverge(ws)
    for _ in range(2):
        replies = command(ws, {"type": "step", "unit": "stage"}, timeout=2)
        assert [m["type"] for m in replies] == ["error", "state"], replies
        assert replies[0]["code"] == "diverged"


def test_diverged_by_stages_then_stage_is_refused(ws):
    """Diverging while walking stages: the next stage is refused with `diverged`."""
    create(ws, "line", {"lr": 100, "batch_size": 1})
    for step in range(20):
        replies = []
        for _ in LINE_STAGES:
            replies = stage_step(ws, allow_error=True)[1]
        if replies[-1]["diverged"]:
            break
    else:
        pytest.fail("lr=100 on the line should diverge within 20 steps")
    assert [m["code"] for m in replies if m["type"] == "error"] == ["diverged"]
    replies = command(ws, {"type": "step", "unit": "stage"})
    assert [m["type"] for m in replies] == ["error", "state"] and replies[0]["code"] == "diverged"
    _, state = command(ws, {"type": "reset"})
    assert state["diverged"] is None


# ----- set_param (editing a weight by hand) ---------------------------------------------------
def test_set_param_edits_a_weight_and_the_next_step_uses_it(ws):
    session, dataset, _ = create(ws, "neuron", {"features": 2, "dataset": "and"})
    command(ws, {"type": "step", "unit": "step", "count": 2})
    for _ in range(3):  # a half-shown step 2: its gradients belong to the old weights
        stage_step(ws)
    replies = command(ws, {"type": "set_param", "name": "w", "index": [1], "value": -1.5})
    assert [m["type"] for m in replies] == ["state"], replies
    state = replies[0]
    assert state["params"]["w"][1] == -1.5 and state["step"] == 2, "the half-shown step is dropped, not applied"
    assert_close(state["loss"], dataset_loss("neuron", dataset, state["params"]), "loss at the edited weights")
    replies = command(ws, {"type": "set_param", "name": "b", "index": [], "value": 0.25})
    before = replies[-1]["params"]
    assert before["b"] == 0.25 and before["w"][1] == -1.5
    st, _ = walk_step(ws, NEURON_STAGES, 2)  # step 2 again, from the start, with the edited weights
    check_step_numbers("neuron", st, before, session["config"]["lr"])


def test_set_param_b_on_a_line_without_bias_is_refused(ws):
    create(ws, "line")
    send(ws, {"type": "set_param", "name": "b", "index": [], "value": 5.0})
    replies = [recv(ws)]
    replies += drain(ws, 0.2)
    assert replies[0]["type"] == "error" and replies[0]["code"] == "bad_message", replies
    assert "b" not in get_state(ws)["params"]


def test_set_param_b_on_a_line_with_bias(ws):
    session, _, _ = create(ws, "line", {"bias": True, "dataset": "offset"})
    before = command(ws, {"type": "set_param", "name": "b", "index": [], "value": 2.5})[-1]["params"]
    assert before["b"] == 2.5
    st, _ = walk_step(ws, LINE_STAGES, 0)
    check_step_numbers("line", st, before, session["config"]["lr"], bias=True)


# ----- HTTP -------------------------------------------------------------------------------------
def test_health(live_server):
    r = live_server.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"] == flowscope.__version__
    assert body["torch"] == torch_version() and body["torch"]
    assert body["device"] in ("cpu", "cuda")


def test_schema(live_server):
    r = live_server.get("/api/schema")
    assert r.status_code == 200
    body = r.json()
    assert body["protocol"] == 1
    assert {"neuron", "line"} <= set(body["models"])
    lr = body["models"]["neuron"]["properties"]["lr"]
    assert lr["default"] == 0.5 and lr["minimum"] > 0 and lr["maximum"] >= 100
    assert body["models"]["line"]["properties"]["bias"]["default"] is False
    assert set(body["models"]["neuron"]["properties"]["dataset"]["enum"]) == {"pass_fail", "and", "or", "blobs"}
    assert "lr" in body["live"]["line"] and "seed" not in body["live"]["line"]
    mapping = body["client"]["discriminator"]["mapping"]
    assert set(mapping) == {"create", "join", "step", "back", "play", "pause", "reset", "configure", "data",
                            "set_param", "landscape", "dataset", "handover", "reclaim", "allow", "fork", "save", "load",
                            "lesson", "lesson_close", "locks", "switch", "undo", "scale", "phase", "attention", "probs", "sample", "char_loss", "optimizer_state",
                            "explain", "measure", "kill_worker", "remove", "recall"}


def test_index_page(live_server):
    r = live_server.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]


def test_own_training_text_is_bounded_by_the_schema():
    from pydantic import ValidationError

    from flowscope.server.configs import validate_config

    assert len(validate_config("transformer", {"text": "ab" * 250_000})["text"]) == 500_000
    with pytest.raises(ValidationError, match="at most 500000 characters"):
        validate_config("transformer", {"text": "a" * 500_001})
