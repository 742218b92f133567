"""Save and load every model over the wire: one export shape (engine/export.py) for every trainer, so a
loaded run has the saved weights and goes on exactly — its next step's loss is the original's next
step's loss (same optimizer memory, same batch order). Every failure answers with an `error`."""
import io
import json

import pytest
import torch

from ws_helpers import expect, send

TINY_GPT = {"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1,
            "warmup": 2, "decay_steps": 50, "grad_clip": 0.5}
MODELS = [
    ("neuron", {"optimizer": "adam", "lr": 0.05}),
    ("line", {"optimizer": "momentum", "batch_size": 4}),
    ("mlp", {"hidden": [4, 3], "optimizer": "adamw", "batch_size": 8, "weight_decay": 0.01}),
    ("transformer", TINY_GPT),
]
WATCHED = [("blocks.0.attn.qkv.weight", [0, 1]), ("lm_head.weight", [2, 3]), ("wte.weight", [1, 0])]



def next_loss(ws) -> float:
    send(ws, {"type": "step", "unit": "step", "count": 1})
    return expect(ws, "metrics")["losses"][-1]


def weights_seen(ws, model, state):
    """What the wire shows of the weights: all of them for the small models; a few of the GPT's."""
    if model != "transformer":
        return state["params"]
    out = []
    for name, index in WATCHED:
        send(ws, {"type": "optimizer_state", "name": name, "index": index})
        s = expect(ws, "optimizer_state")["state"]
        out.append((s["value"], s.get("exp_avg"), s.get("exp_avg_sq"), s["step"]))
    return out


@pytest.mark.parametrize("model,config", MODELS, ids=[m for m, _ in MODELS])
def test_a_loaded_run_has_the_saved_weights_and_the_same_next_loss(live_server, model, config):
    with live_server.connect() as ws, live_server.connect() as other:
        send(ws, {"type": "create", "model": model, "config": config})
        token = expect(ws, "session")["token"]  # saved runs are this owner token's (list, weights, load)
        expect(ws, "state")
        send(ws, {"type": "step", "unit": "step", "count": 5})
        expect(ws, "metrics")
        before = expect(ws, "state")
        seen = weights_seen(ws, model, before)
        send(ws, {"type": "save", "name": f"{model} after 5"})
        saved = expect(ws, "saved")
        assert saved["steps"] == 5 and saved["name"] == f"{model} after 5"
        blob = live_server.get(f"/api/runs/{saved['id']}/weights?token={token}")
        assert blob.status_code == 200 and torch.load(io.BytesIO(blob.content), weights_only=True)
        original = next_loss(ws)

        send(other, {"type": "load", "id": saved["id"], "token": token})
        session = expect(other, "session")
        assert session["model"] == model and session["role"] == "owner"
        state = expect(other, "state")
        assert state["step"] == 5
        assert weights_seen(other, model, state) == seen  # exactly: the same floats
        assert next_loss(other) == original  # same optimizer memory, same batch: the same next loss


def test_a_save_that_fails_answers_with_an_error(live_server, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(live_server.app.state.store, "save", broken)
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": "neuron"})
        expect(ws, "state")
        send(ws, {"type": "save", "name": "never written"})
        err = expect(ws, "error")
        assert "Could not save" in err["message"] and "disk full" in err["message"]


def test_a_load_that_fails_answers_with_an_error(live_server, monkeypatch):
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": "mlp", "config": {"hidden": [3]}})
        token = expect(ws, "session")["token"]
        expect(ws, "state")
        send(ws, {"type": "save", "name": "will not fit"})
        saved = expect(ws, "saved")
        send(ws, {"type": "load", "id": "nope"})
        assert expect(ws, "error")["code"] == "no_session"
        store = live_server.app.state.store
        real_get = store.get

        def mangled(run_id, owner=None):  # a saved run whose config this version refuses
            run = real_get(run_id, owner)
            run["packed"].config = json.dumps({"hidden": [3], "lr": -1})
            return run

        monkeypatch.setattr(store, "get", mangled)
        send(ws, {"type": "load", "id": saved["id"], "token": token})
        assert "cannot be loaded" in expect(ws, "error")["message"]
        monkeypatch.setattr(store, "get", lambda *a: (_ for _ in ()).throw(OSError("database is locked")))
        send(ws, {"type": "load", "id": saved["id"], "token": token})
        assert "database is locked" in expect(ws, "error")["message"]


def test_a_load_past_the_session_limit_is_answered_busy(server_factory):
    srv = server_factory(max_sessions=1)
    with srv.connect() as ws, srv.connect() as other:
        send(ws, {"type": "create", "model": "neuron"})
        expect(ws, "state")
        send(ws, {"type": "save", "name": "one"})
        saved = expect(ws, "saved")
        send(other, {"type": "load", "id": saved["id"]})  # the one session allowed is taken
        err = expect(other, "error")
        assert err["code"] == "busy"
        send(other, {"type": "load", "id": saved["id"]})  # the socket is still open and answered
        assert expect(other, "error")["code"] == "busy"


def test_a_run_loads_into_the_room_its_class_is_in(live_server):
    """`load` with into_room: the saved run replaces the room's, same code, and the watchers follow."""
    with live_server.connect() as ws, live_server.connect() as phone:
        send(ws, {"type": "create", "model": "line"})
        session = expect(ws, "session")
        expect(ws, "state")
        send(ws, {"type": "step", "unit": "step", "count": 4})
        expect(ws, "metrics")
        saved_state = expect(ws, "state")
        send(ws, {"type": "save", "name": "line after 4"})
        run_id = expect(ws, "saved")["id"]
        send(ws, {"type": "reset"})
        assert expect(ws, "state")["step"] == 0
        send(phone, {"type": "join", "session": session["id"]})
        expect(phone, "state")
        send(phone, {"type": "load", "id": run_id, "token": session["token"], "into_room": True})
        assert expect(phone, "error")["code"] == "not_owner"  # a watcher has no room of its own to load into
        send(ws, {"type": "load", "id": run_id, "token": session["token"], "into_room": True})
        for member, role in ((ws, "owner"), (phone, "viewer")):
            again = expect(member, "session")
            assert again["id"] == session["id"] and again["role"] == role
            state = expect(member, "state")
            assert state["step"] == 4 and state["params"] == saved_state["params"]
