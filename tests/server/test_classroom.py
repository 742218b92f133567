"""Rooms for a class: the owner's token, hand-over and reclaim, forks, saved runs that outlive the server."""
import io
import json

import pytest
import torch

from ws_helpers import command, create, get_state, recv, recv_type, send, start_server
from ws_helpers import join as ws_join


def join(ws, code, **extra) -> dict:
    return ws_join(ws, code, **extra)[0]


def expect(ws, type_):
    """The next text message of that type, passing over binary `field` frames and anything else."""
    while True:
        raw = ws.recv(timeout=5)
        if isinstance(raw, str) and json.loads(raw)["type"] == type_:
            return json.loads(raw)


def roster(ws):
    """The owner's latest roster (the helpers pass over rosters, so read them raw here)."""
    while True:
        msg = json.loads(ws.recv(timeout=5))
        if msg["type"] == "roster":
            return msg["members"]


def test_the_token_goes_only_to_the_creator_and_brings_them_back(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        token = session["token"]
        assert token and len(token) >= 16
        assert join(viewer, session["id"])["token"] is None
        send(viewer, {"type": "join", "session": session["id"], "token": "not-the-token"})
        assert recv_type(viewer, "error")["code"] == "not_owner"
        command(owner, {"type": "step", "unit": "step", "count": 3})
    with live_server.connect() as again:  # the teacher's page reloads: a new socket, the same token
        back = join(again, session["id"], token=token)
        assert back["role"] == "owner" and back["token"] == token
        assert get_state(again)["step"] == 3


def test_hand_over_and_take_back(live_server):
    with live_server.connect() as teacher, live_server.connect() as student:
        session, _, _ = create(teacher, "line")
        mine = join(student, session["id"], name="Ana")
        members = roster(teacher)
        assert {"id": mine["you"], "name": "Ana", "role": "viewer", "state": "following", "teacher": False,
                "step": None, "loss": None} in members
        send(teacher, {"type": "handover", "to": mine["you"]})
        assert recv_type(student, "session")["role"] == "owner"
        assert recv_type(teacher, "session")["role"] == "viewer"
        recv_type(student, "state")  # the rest of the new owner's hello
        replies = command(student, {"type": "step", "unit": "stage"})
        assert replies[0]["type"] == "stage"
        send(teacher, {"type": "step", "unit": "stage"})
        assert recv_type(teacher, "error")["code"] == "not_owner"
        send(teacher, {"type": "reclaim", "token": session["token"]})
        assert recv_type(teacher, "session")["role"] == "owner"
        assert recv_type(student, "session")["role"] == "viewer"
        send(teacher, {"type": "handover", "to": "nobody"})
        assert "Nobody" in recv_type(teacher, "error")["message"]


def test_a_viewer_forks_the_room_into_a_session_of_their_own(live_server):
    with live_server.connect() as teacher, live_server.connect() as student:
        session, _, _ = create(teacher, "neuron", {"optimizer": "momentum"})
        command(teacher, {"type": "step", "unit": "step", "count": 4})
        join(student, session["id"])
        room_state = get_state(teacher)
        send(student, {"type": "fork"})
        forked = recv_type(student, "session")
        assert forked["role"] == "owner" and forked["id"] != session["id"] and forked["token"]
        state = recv_type(student, "state")
        assert state["params"] == room_state["params"] and state["step"] == 4
        command(student, {"type": "step", "unit": "step", "count": 2})
        assert get_state(teacher)["step"] == 4  # the room goes on untouched
        assert get_state(student)["step"] == 6


def test_save_restart_load_gives_identical_weights(tmp_path):
    first = start_server(data_dir=tmp_path)
    try:
        with first.connect() as ws:
            send(ws, {"type": "create", "model": "mlp", "config": {"hidden": [3], "dataset": "xor"}})
            token = expect(ws, "session")["token"]
            expect(ws, "state")
            send(ws, {"type": "step", "unit": "epoch"})
            trained = expect(ws, "state")
            send(ws, {"type": "save", "name": "xor, one epoch"})
            saved = expect(ws, "saved")
        assert saved["steps"] == trained["step"]
        runs = first.get(f"/api/runs?token={token}").json()  # a saved run is its room owner's
        assert [r["id"] for r in runs] == [saved["id"]] and runs[0]["name"] == "xor, one epoch"
    finally:
        first.stop()
    second = start_server(data_dir=tmp_path)  # a new server process state, the same data directory
    try:
        blob = second.get(f"/api/runs/{saved['id']}/weights?token={token}")
        assert blob.status_code == 200 and "attachment" in blob.headers["content-disposition"]
        state_dict = torch.load(io.BytesIO(blob.content), weights_only=True)
        assert state_dict["W0"].tolist() == trained["params"]["layers"][0]["W"]
        with second.connect() as ws:
            send(ws, {"type": "load", "id": saved["id"], "token": token})
            loaded = expect(ws, "session")
            state = expect(ws, "state")
            assert loaded["role"] == "owner" and state["params"] == trained["params"]
            assert state["step"] == trained["step"]
            send(ws, {"type": "load", "id": "nope"})
            assert expect(ws, "error")["code"] == "no_session"
        assert second.get("/api/runs/nope/weights").status_code == 404
    finally:
        second.stop()


@pytest.mark.parametrize("msg", [{"type": "handover", "to": "x"}])
def test_viewers_cannot_hand_over(live_server, msg):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        join(viewer, session["id"])
        send(viewer, msg)
        assert recv(viewer)["code"] == "not_owner"


def test_classroom_mode_settings_from_the_cli(monkeypatch):
    import flowscope.server.cli as cli

    seen = {}
    monkeypatch.setattr(cli, "lan_address", lambda: "192.168.7.20")
    monkeypatch.setattr(cli, "serve", lambda settings: seen.update(settings=settings))
    cli.main(["--classroom", "--no-browser", "--port", "8123", "--data-dir", "/tmp/fs-cli-test"])
    settings = seen["settings"]
    assert settings.host == "0.0.0.0" and settings.public_url == "http://192.168.7.20:8123"
    assert "192.168.7.20" in settings.allowed_hosts and settings.max_sessions_per_client == 10


def test_classroom_server_checks_host_and_limits_sessions_per_client(server_factory):
    srv = server_factory(classroom=True, public_url="http://192.168.7.20:8000", allowed_hosts=["192.168.7.20"],
                         max_sessions_per_client=2)
    assert srv.get("/api/info").json() == {"classroom": True, "public_url": "http://192.168.7.20:8000"}
    svg = srv.get("/api/qr?text=http://192.168.7.20:8000/room/K7QXP")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    import httpx

    assert httpx.get(srv.http_url + "/api/info", headers={"Host": "192.168.7.20:8000"}).status_code == 200
    assert httpx.get(srv.http_url + "/api/info", headers={"Host": "evil.example"}).status_code == 400
    with srv.connect() as a, srv.connect() as b, srv.connect() as c:
        create(a, "neuron")
        create(b, "neuron")
        send(c, {"type": "create", "model": "neuron"})
        reply = recv(c)
        assert reply["code"] == "busy" and "2 sessions" in reply["message"]


def test_a_late_joiner_gets_the_loss_so_far(live_server):
    """A student who joins after 40 steps sees the loss chart the teacher sees, not an empty one."""
    with live_server.connect() as teacher, live_server.connect() as late:
        session, _, _ = create(teacher, "line")
        replies = command(teacher, {"type": "step", "unit": "step", "count": 40})
        sent = [m for m in replies if m["type"] == "metrics"]
        send(late, {"type": "join", "session": session["id"]})
        greeting = []
        recv_type(late, "state", skipped=greeting)
        so_far = [m for m in greeting if m["type"] == "metrics"]
        assert len(so_far) == 1 and so_far[0]["steps"][-1] == 40
        assert so_far[0]["train_losses"][-1] == sent[-1]["train_losses"][-1]
        assert all(loss is not None for loss in so_far[0]["train_losses"])  # only evaluated steps
        _, _, state = ws_join(teacher, session["id"], token=session["token"])  # the owner's own page, reloaded
        assert state["step"] == 40
