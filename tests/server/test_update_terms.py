"""Every term of an update comes over the wire from the engine: `explain` (NumPy models) and
`optimizer_state` (the transformer) carry the step, the bias corrections, the schedule's η and the
clipping, so the browser only formats them."""

import pytest

from ws_helpers import expect, send

TINY_GPT = {"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1,
            "warmup": 4, "decay_steps": 50, "grad_clip": 0.01}



def test_explain_carries_every_term_of_a_clipped_scheduled_adam_step(live_server):
    with live_server.connect() as ws:
        config = {"hidden": [3], "optimizer": "adamw", "weight_decay": 0.01, "lr": 0.1, "clip": 0.001,
                  "schedule": "cosine", "schedule_steps": 10}
        send(ws, {"type": "create", "model": "mlp", "config": config})
        expect(ws, "state")
        send(ws, {"type": "explain", "name": "W0", "index": [1, 0]})
        assert expect(ws, "explain")["values"] == {}  # no update yet: nothing, rather than zeros
        send(ws, {"type": "step", "unit": "step", "count": 3})
        state = expect(ws, "state")
        send(ws, {"type": "explain", "name": "W0", "index": [1, 0]})
        ex = expect(ws, "explain")
        v = ex["values"]
        assert ex["step"] == 3 and v["t"] == 3 and v["lr"] < 0.1  # the cosine's η of step 3, not the peak
        assert {"c1", "c2", "m_hat", "v_hat", "step", "decay", "clip_scale", "grad_norm", "max_norm"} <= set(v)
        assert v["before"] - v["decay"] - v["step"] == pytest.approx(v["after"], rel=1e-12)
        assert v["after"] == state["params"]["layers"][0]["W"][1][0]
        assert ex["lines"][0].startswith("gradient clipped")


def test_optimizer_state_carries_the_transformers_last_update(live_server):
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": "transformer", "config": TINY_GPT})
        expect(ws, "state")
        send(ws, {"type": "optimizer_state", "name": "lm_head.weight", "index": [0, 1]})
        assert expect(ws, "optimizer_state")["state"]["update"] is None  # no step yet
        send(ws, {"type": "step", "unit": "step", "count": 2})
        expect(ws, "metrics")
        send(ws, {"type": "optimizer_state", "name": "lm_head.weight", "index": [0, 1]})
        s = expect(ws, "optimizer_state")["state"]
        u = s["update"]["values"]
        assert u["t"] == s["step"] == 2 and u["m"] == s["exp_avg"] and u["after"] == s["value"]
        assert u["clip_scale"] < 1 and u["lr"] == pytest.approx(2 / 4 * 2e-3)  # warmup: (1+1)/4 of the peak
        assert u["before"] - u["decay"] - u["step"] == pytest.approx(u["after"], rel=1e-5, abs=1e-9)
        assert any("clip: ‖g‖" in line for line in s["update"]["lines"])
