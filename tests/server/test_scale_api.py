"""POST /api/scale and GET /api/scale/presets (the Scale page's calculator), and the `measure` query
over the websocket (measured training memory beside the formula)."""
import json

import httpx
import pytest

from ws_helpers import create, send

LADDER = ["neuron", "mlp", "transformer", "gpt2-small", "llama-3.1-8b", "llama-2-70b", "120b", "gpt3-175b",
          "llama-3.1-405b"]


def post(live_server, body):
    return httpx.post(live_server.http_url + "/api/scale", json=body, timeout=30)


def test_presets_in_ladder_order(live_server):
    rungs = live_server.get("/api/scale/presets").json()
    assert [r["name"] for r in rungs if r["ladder"]] == LADDER
    by = {r["name"]: r for r in rungs}
    assert by["neuron"]["params"] == 2 and by["neuron"]["kind"] == "live"
    assert by["gpt2-small"]["params"] == by["gpt2-small"]["params_published"] == 124_439_808
    assert by["llama-3.1-8b"]["kind"] == "published"


def test_presets_take_the_transformer_pages_config(live_server):
    rungs = live_server.get("/api/scale/presets?n_layer=2&n_embd=64&n_head=2&block_size=32&vocab=50").json()
    gpt = next(r for r in rungs if r["name"] == "transformer")
    assert gpt["model"]["n_layer"] == 2 and gpt["model"]["d_model"] == 64 and gpt["model"]["vocab"] == 50
    # wte 50·64 + wpe 32·64 + 2 blocks · (12·64² + 13·64) + ln_f 2·64 + head 50·64
    assert gpt["params"] == 50 * 64 + 32 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64 + 50 * 64


def test_defaults_are_llama_8b(live_server):
    r = post(live_server, {})
    assert r.status_code == 200
    body = r.json()
    assert body["preset"] == "llama-3.1-8b" and body["params"]["total"] == 8_030_261_248
    mem = body["memory_per_gpu"]
    assert mem["total"] == pytest.approx(sum(mem[k] for k in ("weights", "gradients", "optimizer", "activations")))
    keys = [f["key"] for f in body["figures"]]
    assert keys[0] == "params.embedding" and "memory.total" in keys and "cost_usd" in keys
    assert all("=" in f["formula"] for f in body["figures"])
    assert body["published"]["source"].startswith("Llama 3.1 model card")


def test_overrides_and_shape_rules(live_server):
    body = post(live_server, {"preset": "llama-3.1-405b", "hardware": {"n_gpus": 8192}}).json()
    assert body["parallel"]["dp"] == 64 and body["parallel"]["tp"] == 8 and body["parallel"]["pp"] == 16
    body = post(live_server, {"preset": "gpt2-small", "parallel": {"dp": 4, "tp": 2, "pp": 1}}).json()
    assert body["hardware"]["n_gpus"] == 8
    zero3 = post(live_server, {"preset": "120b", "parallel": {"zero": 3}}).json()
    zero0 = post(live_server, {"preset": "120b", "parallel": {"zero": 0}}).json()
    assert zero3["memory_per_gpu"]["weights"] < zero0["memory_per_gpu"]["weights"]
    assert zero3["comm_bytes_per_step"] == pytest.approx(1.5 * zero0["comm_bytes_per_step"])
    assert [c["claim"] for c in zero3["claims"]] == ["thousands of GPUs", "months", "$10–100M", "megawatts"]


def test_small_models_leave_transformer_figures_null(live_server):
    body = post(live_server, {"preset": "mlp"}).json()
    assert body["params"]["total"] == 25 and body["params"]["attention"] is None
    assert body["gpu_hours"] is None and body["fits"] is None and body["flops"] > 0


@pytest.mark.parametrize("body, field", [
    ({"model": {"n_layer": -2}}, ["body", "model", "n_layer"]),
    ({"preset": "gpt2-small", "model": {"n_head": 7}}, ["body", "model", "n_head"]),
    ({"preset": "llama-3.1-8b", "model": {"n_kv_head": 3}}, ["body", "model", "n_kv_head"]),
    ({"parallel": {"dp": 2, "tp": 2, "pp": 2}, "hardware": {"n_gpus": 7}}, ["body", "parallel", "dp"]),
    ({"preset": "gpt3-175b", "hardware": {"n_gpus": 100}}, ["body", "hardware", "n_gpus"]),
    ({"preset": "gpt5"}, ["body", "preset"]),
    ({"hardware": {"gpu": "tpu-v9"}}, ["body", "hardware", "gpu"]),
    ({"training": {"tokens": -1}}, ["body", "training", "tokens"]),
    ({"preset": "gpt2-small", "parallel": {"tp": 5}}, ["body", "parallel", "tp"]),
])
def test_bad_input_names_the_field(live_server, body, field):
    r = post(live_server, body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == field


def test_in_the_openapi_docs(live_server):
    paths = live_server.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/scale"] and "get" in paths["/api/scale/presets"]


def _measure(ws):
    send(ws, {"type": "measure"})
    while True:
        raw = ws.recv(timeout=60)
        if isinstance(raw, bytes):
            continue
        msg = json.loads(raw)
        if msg["type"] in ("measure", "error"):
            return msg


def test_measure_a_transformer_session(live_server):
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": "transformer",
                  "config": {"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 16, "batch_size": 4}})
        msg = _measure(ws)
        assert msg["type"] == "measure", msg
        assert msg["model"] == "transformer" and msg["step"] == 0
        assert msg["param_bytes"] == msg["predicted"]["param_bytes"]
        assert msg["optimizer_bytes"] == 2 * msg["param_bytes"]  # AdamW: m and v
        assert msg["saved"]["checkpoint"] < msg["saved"]["plain"] and msg["saved"]["bf16"] < msg["saved"]["plain"]
        assert msg["notes"] and msg["mfu"] > 0


def test_measure_a_viewer_may_ask_and_the_neuron_twin(live_server):
    with live_server.connect() as owner:
        session, _, _ = create(owner, "neuron")
        with live_server.connect() as viewer:
            send(viewer, {"type": "join", "session": session["id"]})
            msg = _measure(viewer)
            assert msg["type"] == "measure", msg
            assert msg["model"] == "neuron" and msg["param_bytes"] == 8  # w and b in fp32


def test_each_presets_model_posts_back_unchanged(live_server):
    # the page sends a rung's model as GET /api/scale/presets gave it: every one must be accepted
    for rung in live_server.get("/api/scale/presets").json():
        r = post(live_server, {"preset": rung["name"], "model": rung["model"]})
        assert r.status_code == 200, (rung["name"], r.text)
        assert r.json()["params"]["total"] == rung["params"]


def test_sizes_belong_to_the_small_models(live_server):
    r = post(live_server, {"preset": "gpt2-small", "model": {"sizes": [2, 1]}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "model", "sizes"]
    assert post(live_server, {"preset": "mlp", "model": {"sizes": [2, 8, 1]}}).json()["params"]["total"] == 2 * 8 + 8 + 8 + 1


def test_the_socket_answers_as_the_http_api_does(live_server):
    """The page's fast path: the `scale` query gives POST /api/scale's reply (or its 422 detail)."""
    from ws_helpers import recv_type, send

    body = {"preset": "llama-3.1-8b", "hardware": {"mfu": 0.3}}
    http = live_server_post(live_server, body)
    with live_server.connect() as ws:  # no room needed
        send(ws, {"type": "scale", "seq": 7, "request": body})
        got = recv_type(ws, "scale")
        assert got["seq"] == 7 and got["detail"] is None and got["result"] == http
        send(ws, {"type": "scale", "seq": 8, "request": {"model": {"n_head": 7, "d_model": 64}}})
        bad = recv_type(ws, "scale")
        assert bad["seq"] == 8 and bad["result"] is None and "n_head" in str(bad["detail"][0]["loc"])


def live_server_post(live_server, body):
    import httpx

    return httpx.post(live_server.http_url + "/api/scale", json=body, timeout=10).json()
