"""Issue 19, point 9: the Scale calculator's input, over HTTP and over the socket, checked by the one
model (ScaleRequest): a raw NaN/Infinity or an overflowing 1e400 is a 422 naming the field (not a 500
that resets the connection), `true` and "12" are not integers on either way in, and GPU counts and tp
are bounded."""
import json

import httpx
import pytest

from flowscope.server.protocol import ScaleQuery
from flowscope.server.scale import ScaleRequest, parse
from ws_helpers import recv, send

BAD = [  # raw JSON body, the field it names
    ('{"hardware": {"mfu": NaN}}', ["hardware", "mfu"]),
    ('{"hardware": {"pue": Infinity}}', ["hardware", "pue"]),
    ('{"training": {"tokens": -Infinity}}', ["training", "tokens"]),
    ('{"training": {"tokens": 1e400}}', ["training", "tokens"]),
    ('{"model": {"n_layer": true}}', ["model", "n_layer"]),
    ('{"model": {"n_layer": "12"}}', ["model", "n_layer"]),
    ('{"model": {"n_layer": 12.5}}', ["model", "n_layer"]),
    ('{"parallel": {"zero": true}}', ["parallel", "zero"]),
    ('{"model": {"tied_embeddings": 1}}', ["model", "tied_embeddings"]),
    ('{"hardware": {"n_gpus": 1e24}}', ["hardware", "n_gpus"]),
    ('{"hardware": {"n_gpus": 1000000000000000000000000}}', ["hardware", "n_gpus"]),
]


def raw_post(live_server, text):
    return httpx.post(live_server.http_url + "/api/scale", content=text.encode(),
                      headers={"content-type": "application/json"}, timeout=30)


@pytest.mark.parametrize("text, field", BAD)
def test_http_refuses_with_a_422_naming_the_field(live_server, text, field):
    r = raw_post(live_server, text)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", *field]


def test_the_socket_refuses_the_same_bodies(live_server):
    with live_server.connect() as ws:
        for text, field in BAD:
            send(ws, '{"type": "scale", "seq": 1, "request": ' + text + "}")
            msg = recv(ws)
            assert msg["type"] == "error" and field[-1] in msg["message"], (text, msg)
        send(ws, {"type": "scale", "seq": 2, "request": {"model": {"n_layer": 12}}})
        assert recv(ws)["type"] == "scale"  # the socket still answers


def test_one_model_checks_both_ways_in():
    assert ScaleQuery.model_fields["request"].annotation is ScaleRequest
    for text, field in BAD:
        request, detail = parse(text.encode())
        assert request is None and detail[0]["loc"] == ["body", *field]
        json.dumps(detail, allow_nan=False)  # the refusal carries no NaN back
    assert parse(b"")[0] == ScaleRequest() and parse(b'{"hardware": {"mfu": 1}}')[0].hardware.mfu == 1.0


@pytest.mark.parametrize("body, field, words", [
    ({"preset": "llama-3.1-405b", "parallel": {"tp": 32}, "hardware": {"n_gpus": 16384}}, ["parallel", "tp"], "n_kv_head"),
    ({"preset": "gpt2-small", "parallel": {"dp": 500_000, "tp": 4}}, ["hardware", "n_gpus"], "GPUs"),
    ({"preset": "bloom-176b", "hardware": {"mfu": 0.3, "hfu": 0.4}}, ["hardware", "hfu"], "not both"),
])
def test_settings_that_cannot_be_run_are_refused(live_server, body, field, words):
    r = httpx.post(live_server.http_url + "/api/scale", json=body, timeout=30)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", *field] and words in r.json()["detail"][0]["msg"]


def test_hfu_is_taken_and_both_utilizations_come_back(live_server):
    body = httpx.post(live_server.http_url + "/api/scale", json={"preset": "megatron-1t"}, timeout=30).json()
    hw = body["hardware"]
    assert hw["utilization_given"] == "hfu" and hw["hfu"] == pytest.approx(163 / 312) and hw["mfu"] < hw["hfu"]
    assert body["flops_hardware"] > body["flops"] and set(body["conventions"]) >= {"utilization", "flops", "bytes"}
    r = httpx.post(live_server.http_url + "/api/scale", json={"preset": "megatron-1t", "hardware": {"mfu": 0.4}},
                   timeout=30).json()
    assert r["hardware"]["utilization_given"] == "mfu" and r["hardware"]["mfu"] == 0.4
