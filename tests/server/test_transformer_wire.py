"""The transformer over the wire: its stages, its text dataset, and the read-only looks inside it."""
import json

import numpy as np
import pytest

from flowscope.server.wire import decode_tensors
from ws_helpers import send

SMALL = {"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 16, "batch_size": 4, "eval_iters": 2}


def expect(ws, type_, timeout=30):
    """The next message of that type (a binary frame for `attention`), passing over the rest."""
    while True:
        raw = ws.recv(timeout=timeout)
        if isinstance(raw, bytes):
            header, tensors = decode_tensors(raw)
            if header["type"] == type_:
                return header, tensors
            continue
        msg = json.loads(raw)
        if msg["type"] in (type_, "error"):
            return msg


@pytest.fixture(scope="module")
def gpt_ws(live_server):
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": "transformer", "config": SMALL})
        session = expect(ws, "session")
        assert session["type"] == "session", session
        yield ws, session


def test_session_dataset_and_state(gpt_ws):
    ws, session = gpt_ws
    stages = [e["stage"] for e in session["plan"]]
    assert stages[0] == "input" and stages[-1] == "update" and stages.count("gradients") >= 2
    send(ws, {"type": "dataset"})
    data = expect(ws, "dataset")
    assert data["kind"] == "text" and data["characters"] > 10000 and len(data["vocab"]) > 30
    send(ws, {"type": "pause"})  # a fresh state without changing anything
    state = expect(ws, "state")
    assert state["gpt"]["device"] == "cpu" and state["test_loss"] == pytest.approx(np.log(len(data["vocab"])), abs=0.5)


def test_stage_by_stage_then_whole_steps(gpt_ws):
    ws, session = gpt_ws
    send(ws, {"type": "step", "unit": "stage"})
    first = expect(ws, "stage")
    assert first["stage"] == "input" and first["formula"]
    send(ws, {"type": "step", "unit": "step", "count": 3})
    metrics = expect(ws, "metrics")
    assert len(metrics["steps"]) == 3 and all(np.isfinite(metrics["losses"]))


def test_attention_rows_sum_to_one_and_the_future_is_masked(gpt_ws):
    ws, _ = gpt_ws
    send(ws, {"type": "attention", "text": "def f(x):\n    return"})
    header, tensors = expect(ws, "attention")
    w = tensors["weights"].astype(float)  # (layers, heads, T, T)
    assert w.shape[:2] == (2, 2) and w.shape[2] == w.shape[3] == len(header["tokens"])
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=2e-3)  # float16 on the wire
    assert not np.triu(w, k=1).any()


def test_probs_sample_char_loss_and_optimizer_state(gpt_ws):
    ws, _ = gpt_ws
    send(ws, {"type": "probs", "text": "import o", "temperature": 0.7, "top_k": 5})
    probs = expect(ws, "probs")
    assert sum(probs["probs"]) == pytest.approx(1.0, abs=1e-6) and sum(p > 0 for p in probs["probs"]) == 5
    send(ws, {"type": "sample", "chars": 40, "seed": 3})
    assert len(expect(ws, "sample")["text"]) == 40
    send(ws, {"type": "char_loss", "text": "the value"})
    loss = expect(ws, "char_loss")
    assert loss["loss"][0] is None and len(loss["loss"]) == len("the value")
    send(ws, {"type": "optimizer_state", "name": "blocks.0.attn.qkv.weight", "index": [0, 0]})
    reply = expect(ws, "optimizer_state")
    assert "exp_avg" in reply["state"] and reply["name"] == "blocks.0.attn.qkv.weight" and reply["index"] == [0, 0]


def test_phase_switch_reports_both_texts(gpt_ws):
    ws, _ = gpt_ws
    send(ws, {"type": "phase", "phase": "finetune"})
    phase = expect(ws, "phase")
    assert phase["to"] == "finetune" and {"train", "val", "task_train", "task_val"} <= set(phase["eval"])
    send(ws, {"type": "pause"})
    assert expect(ws, "state")["gpt"]["phase"] == "finetune"


def test_gpt_queries_on_a_small_model_are_clear_errors(ws):
    send(ws, {"type": "create", "model": "neuron"})
    expect(ws, "state")
    for msg in ({"type": "attention"}, {"type": "phase", "phase": "finetune"}):
        send(ws, msg)
        err = expect(ws, "error")
        assert err["type"] == "error" and "transformer" in err["message"]
