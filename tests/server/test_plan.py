"""The step's plan on the wire: `session` carries it, and a change of shape sends the whole room a
`plan` message with the new one (issue 11: the Network ribbon kept the old layers until a reload)."""
from __future__ import annotations

import json
import time

import pytest

from flowscope.server.replies import SERVER

from ws_helpers import join as ws_join
from ws_helpers import send

# A transformer small enough to build in well under a second on a CPU.
TINY = {"n_layer": 2, "n_head": 1, "n_embd": 16, "block_size": 8, "batch_size": 2, "eval_iters": 1}


def recv_type(ws, type_: str, timeout: float = 5.0, skipped: list | None = None) -> dict:
    """The next text message of `type_`, passing over others (kept in `skipped`) and binary field frames."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no '{type_}' message within {timeout} s (skipped: {[m['type'] for m in skipped or []]})")
        try:
            raw = ws.recv(timeout=left)
        except TimeoutError:
            continue
        if isinstance(raw, bytes):
            continue
        msg = json.loads(raw)
        if msg["type"] == type_:
            return msg
        if skipped is not None:
            skipped.append(msg)


def create(ws, model: str, config: dict, timeout: float = 30.0) -> dict:
    send(ws, {"type": "create", "model": model, "config": config})
    session = recv_type(ws, "session", timeout)
    recv_type(ws, "state", timeout)
    return session


def join(ws, code, **extra) -> dict:
    return ws_join(ws, code, **extra)[0]


def per_layer(plan: list[dict], stage: str) -> list[int]:
    return [e["layer"] for e in plan if e["stage"] == stage]


def configure_until_plan(ws, config: dict, timeout: float = 5.0) -> tuple[dict, list[dict]]:
    """Send `configure`; the `plan` message it causes, and what came before it."""
    send(ws, {"type": "configure", "config": config})
    skipped: list[dict] = []
    msg = recv_type(ws, "plan", timeout=timeout, skipped=skipped)
    SERVER.validate_python(msg)  # the frame is a valid server message
    return msg, skipped


def test_session_carries_the_plan_with_its_words(live_server):
    with live_server.connect() as ws:
        session = create(ws, "mlp", {"hidden": [4, 2]})
        plan = session["plan"]
        assert "stages" not in session  # the plan is the one list of stages (the page and the server ship together)
        assert per_layer(plan, "linear") == [0, 1, 2] and per_layer(plan, "gradients") == [2, 1, 0]
        assert [e["title"] for e in plan if e["stage"] == "linear"] == [
            "Linear combination · hidden layer 1", "Linear combination · hidden layer 2",
            "Linear combination · output layer"]
        assert [e["direction"] for e in plan if e["stage"] in ("gradients", "update")] == ["backward"] * 4


def test_configure_hidden_layers_sends_the_new_plan_to_the_room(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session = create(owner, "mlp", {"hidden": [4, 2]})
        join(viewer, session["id"])
        msg, before = configure_until_plan(owner, {"hidden": [3]})
        assert per_layer(msg["plan"], "linear") == [0, 1]  # one hidden layer and the output
        assert [e["title"] for e in msg["plan"] if e["stage"] == "gradients"] == [
            "Gradients · output layer", "Gradients · hidden layer 1"]
        assert "dataset" in [m["type"] for m in before]  # the rebuild's fresh data came first
        seen = recv_type(viewer, "plan")
        assert seen == msg, "every member of the room gets the same new plan"
        state = recv_type(owner, "state")
        assert len(state["params"]["layers"]) == 2  # and the state that follows is the new network's
        # 0 hidden layers → 1: the plan grows again
        send(owner, {"type": "configure", "config": {"hidden": []}})
        assert per_layer(recv_type(owner, "plan")["plan"], "linear") == [0]
        send(owner, {"type": "configure", "config": {"hidden": [2]}})
        assert per_layer(recv_type(owner, "plan")["plan"], "activation") == [0, 1]


def test_live_settings_and_same_shape_send_no_plan(live_server):
    with live_server.connect() as ws:
        create(ws, "mlp", {"hidden": [3]})
        for change in ({"lr": 0.2}, {"seed": 4}):  # live; a rebuild of the same shape
            send(ws, {"type": "configure", "config": change})
            skipped: list[dict] = []
            recv_type(ws, "state", skipped=skipped)
            assert "plan" not in [m["type"] for m in skipped], change


def test_reset_after_a_shape_change_keeps_the_new_plan(live_server):
    with live_server.connect() as ws:
        create(ws, "mlp", {"hidden": [4, 2]})
        msg, _ = configure_until_plan(ws, {"hidden": [3]})
        send(ws, {"type": "reset"})
        skipped: list[dict] = []
        recv_type(ws, "state", skipped=skipped)
        assert "plan" not in [m["type"] for m in skipped]
        send(ws, {"type": "step", "unit": "stage"})
        assert recv_type(ws, "stage")["stage"] == msg["plan"][0]["stage"]


@pytest.mark.parametrize("n_layer", [3, 1])
def test_transformer_blocks_change_the_plan(live_server, n_layer):
    with live_server.connect() as ws:
        session = create(ws, "transformer", TINY)
        assert per_layer(session["plan"], "linear") == [0, 1, 2, 3]
        msg, _ = configure_until_plan(ws, {"n_layer": n_layer}, timeout=30)
        assert per_layer(msg["plan"], "linear") == list(range(2 * n_layer))
        parts = [e["part"] for e in msg["plan"] if e["stage"] == "linear"]
        assert parts[-2:] == [f"attention, block {n_layer}", f"MLP, block {n_layer}"]
        # stepping follows the new plan: the first sublayer stage is block 1's attention
        for entry in msg["plan"][:3]:
            send(ws, {"type": "step", "unit": "stage"})
            frame = recv_type(ws, "stage", timeout=30)
            assert (frame["stage"], frame["layer"]) == (entry["stage"], entry["layer"])


def test_own_data_with_three_classes_changes_the_output_words(live_server):
    """Drawn points with a third class turn the σ output into a softmax: the room is told."""
    with live_server.connect() as ws:
        session = create(ws, "mlp", {"hidden": [3], "dataset": "xor"})
        assert [e["subtitle"] for e in session["plan"] if e["stage"] == "activation"][-1] == "a = σ(z)"
        points = [[-3, -3, 0], [3, 3, 1], [-3, 3, 2], [3, -3, 0], [0, 3, 1], [3, 0, 2]]
        send(ws, {"type": "data", "points": points})
        msg = recv_type(ws, "plan")
        assert [e["subtitle"] for e in msg["plan"] if e["stage"] == "activation"][-1] == "p = softmax(z)"
