"""Odd bytes, foreign hosts and the smaller edges (issue 12, cases 4, 11, 12): a bad identifier is an
`error`, never a dropped socket; invalid UTF-8 closes with 1007 and no traceback; refused handshakes
log nothing alarming; the Host check holds on every bind; the size limit counts bytes; a bool is not
a number; the OpenAPI says what each route really returns."""
from __future__ import annotations

import logging
import os
import struct
import time

import httpx
import pytest

from flowscope.server import cli
from ws_helpers import command, create, get_state, raw_handshake, recv, recv_type, send

MIB = 1 << 20


@pytest.fixture
def server_log():
    """Every record uvicorn and Flowscope log while the test runs (the servers run in this process)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "uvicorn", "flowscope")]
    for lg in loggers:
        lg.addHandler(handler)
    yield records
    for lg in loggers:
        lg.removeHandler(handler)


ODD = [
    {"type": "join", "session": "ABCDE", "token": "tökén"},
    {"type": "join", "session": "ÅBCDE"},
    {"type": "join", "session": "AB\u0000DE"},
    {"type": "join", "session": "ABCDE", "name": "bell\u0007"},
    {"type": "reclaim", "token": "\u00e9" * 22},
    {"type": "reclaim", "token": "a b"},
    {"type": "handover", "to": "ß"},
    {"type": "load", "id": "../../etc"},
    {"type": "load", "id": "deadbeef", "token": "☃"},
    {"type": "optimizer_state", "name": "w\u202e", "index": [0]},
]


@pytest.mark.parametrize("msg", ODD, ids=[f"{m['type']}-{i}" for i, m in enumerate(ODD)])
def test_odd_identifiers_get_an_error_and_the_socket_stays(live_server, msg):
    with live_server.connect() as ws:
        session, _, _ = create(ws, "neuron")
        msg = {**msg, "session": session["id"]} if msg.get("session") == "ABCDE" else msg
        send(ws, msg)
        reply = recv(ws)
        # a name the roster can't show is refused as a name (the join page says so beside its name box)
        code = "bad_name" if "\u0007" in msg.get("name", "") else "bad_message"
        assert reply["type"] == "error" and reply["code"] == code, reply
        assert get_state(ws)["step"] == 0  # still open, still its room


def test_a_valid_join_with_a_foreign_name_is_fine(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        send(viewer, {"type": "join", "session": f" {session['id'].lower()} ", "name": "Zoë 张"})
        assert recv_type(viewer, "session")["role"] == "viewer"


def _masked(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_invalid_utf8_closes_1007_without_a_traceback(live_server, server_log):
    sock, status = raw_handshake(live_server.port)
    assert status == 101
    sock.sendall(_masked(0x1, b'{"type":"\xff\xfe"}'))
    frame = sock.recv(64)
    sock.close()
    assert frame[0] == 0x88, frame  # a close frame…
    assert struct.unpack("!H", frame[2:4])[0] == 1007  # …saying "invalid payload data" (RFC 6455 §7.4.1)
    time.sleep(0.2)
    assert not [r for r in server_log if r.exc_info], [r.getMessage() for r in server_log]


def test_refused_handshakes_log_no_error(live_server, server_log):
    for origin, host in (("http://evil.example", None), (None, "evil.example")):
        sock, status = raw_handshake(live_server.port, host=host, origin=origin)
        sock.close()
        assert status == 403, (origin, host, status)
    time.sleep(0.2)
    assert not [r for r in server_log if r.levelno >= logging.ERROR or r.exc_info], \
        [r.getMessage() for r in server_log]


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0"])
def test_host_check_on_every_bind(server_factory, bind):
    srv = server_factory(host=bind)  # bound to loopback in the test either way; settings say what the CLI would
    assert httpx.get(srv.http_url + "/api/health").status_code == 200
    for foreign in ("evil.example", "evil.example:8000", "testserver"):
        assert httpx.get(srv.http_url + "/api/runs", headers={"Host": foreign}).status_code == 400, foreign
    sock, status = raw_handshake(srv.port, host="evil.example", origin="http://evil.example")
    sock.close()
    assert status == 403  # a rebound page can't open the websocket with a matching Origin either


def test_allow_any_host_is_the_explicit_opt_out(server_factory):
    srv = server_factory(host="0.0.0.0", allow_any_host=True)
    assert httpx.get(srv.http_url + "/api/health", headers={"Host": "proxy.example"}).status_code == 200


def test_cli_non_loopback_binds_keep_the_guard(monkeypatch):
    seen = {}
    monkeypatch.setattr(cli, "lan_address", lambda: "10.1.2.3")
    monkeypatch.setattr(cli, "serve", lambda settings: seen.update(settings=settings))
    cli.main(["--host", "0.0.0.0", "--no-browser", "--data-dir", "/tmp/fs-cli-test", "--allowed-host", "fs.lan"])
    s = seen["settings"]
    assert not s.allow_any_host and {"10.1.2.3", "fs.lan"} <= set(s.allowed_hosts)
    assert "testserver" not in s.allowed_hosts
    cli.main(["--host", "0.0.0.0", "--no-browser", "--data-dir", "/tmp/fs-cli-test", "--allow-any-host"])
    assert seen["settings"].allow_any_host
    dockerfile = open(os.path.join(os.path.dirname(__file__), "../../Dockerfile")).read()
    assert 'CMD ["flowscope", "--host", "0.0.0.0"' in dockerfile  # the container's bind…
    assert "--allow-any-host" not in dockerfile.split("CMD")[-1]  # …keeps the guard


def test_the_frame_limit_counts_bytes(live_server):
    with live_server.connect() as ws:
        create(ws, "neuron")
        # 600,000 characters of "é" are 1.2 MB in UTF-8: over 1 MiB, though under it in characters
        send(ws, '{"type":"save","name":"' + "é" * 600_000 + '"}')
        reply = recv(ws)
        assert reply["code"] == "too_large" and "bytes" in reply["message"], reply
        assert get_state(ws)["step"] == 0


@pytest.mark.parametrize("config", [{"features": True}, {"features": False}, {"batch_size": True}, {"lr": True}])
def test_a_bool_is_not_a_number(live_server, config):
    with live_server.connect() as ws:
        _, _, before = create(ws, "neuron")
        replies = command(ws, {"type": "configure", "config": config}, until="error")
        assert replies[-1]["code"] == "bad_message" and all(m["type"] != "dataset" for m in replies), replies
        assert get_state(ws)["config"] == before["config"]


def test_openapi_media_types(live_server):
    paths = live_server.get("/openapi.json").json()["paths"]
    assert list(paths["/api/qr"]["get"]["responses"]["200"]["content"]) == ["image/svg+xml"]
    for html in ("/", "/room/{code}", "/descent", "/scale"):
        assert list(paths[html]["get"]["responses"]["200"]["content"]) == ["text/html"], html
    weights = paths["/api/runs/{run_id}/weights"]["get"]["responses"]["200"]["content"]
    assert list(weights) == ["application/octet-stream"]
    assert live_server.get("/").headers["content-type"].startswith("text/html")


def test_request_bodies_are_bounded(server_factory, server_log):
    srv = server_factory(max_body_bytes=4096)
    ok = httpx.post(srv.http_url + "/api/scale", json={"model": {"n_layer": 2}})
    assert ok.status_code != 413
    big = {"model": {"n_layer": 2}, "pad": "x" * 10_000}
    assert httpx.post(srv.http_url + "/api/scale", json=big).status_code == 413  # declared length

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = httpx.post(srv.http_url + "/api/scale", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "max_body_bytes" in r.text
    assert httpx.get(srv.http_url + "/api/health").status_code == 200
    time.sleep(0.2)
    assert not [r for r in server_log if r.exc_info], [r.getMessage() for r in server_log]
