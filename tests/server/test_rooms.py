"""Rooms: viewers join by code and see exactly what the owner sees; only the owner drives.
And the websocket refuses pages from other sites (Origin) and other host names (DNS rebinding)."""
from __future__ import annotations

import json
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ws_helpers import (command, create, join, expect_silence, get_state, paused_state, raw_handshake, recv, recv_raw,
                        recv_type, recv_until, send, ws_connect)

CONTROL = [
    {"type": "step", "unit": "stage"}, {"type": "step", "unit": "step", "count": 2}, {"type": "step", "unit": "epoch"},
    {"type": "back"}, {"type": "play"}, {"type": "pause"}, {"type": "reset"},
    {"type": "configure", "config": {"lr": 0.1}}, {"type": "configure", "config": {"seed": 3}},
]


def test_viewer_joins_and_gets_everything_at_once(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, dataset, _ = create(owner, "line", {"seed": 4})
        command(owner, {"type": "step", "unit": "step", "count": 5})
        for _ in range(2):
            command(owner, {"type": "step", "unit": "stage"})
        owner_state = get_state(owner)
        v_session, v_dataset, v_state = join(viewer, session["id"])
        assert v_session["role"] == "viewer" and v_session["id"] == session["id"]
        mine = {"role", "you", "token"}  # per connection: the rest of the session is the same for all
        assert {k: v for k, v in v_session.items() if k not in mine} == {k: v for k, v in session.items() if k not in mine}
        assert session["token"] and v_session["token"] is None and v_session["you"] != session["you"]
        assert v_dataset == dataset
        assert v_state == owner_state, "a late joiner sees the current state at once"
        assert len(live_server.rooms.by_code[session["id"]].clients) == 2


def test_viewer_receives_the_owners_frames_byte_for_byte(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        join(viewer, session["id"])
        for _ in range(8):  # a whole step and one more stage: stage, (metrics), state each time
            send(owner, {"type": "step", "unit": "stage"})
            for _ in range(3):  # stage, (metrics), state
                mine, theirs = recv_raw(owner), recv_raw(viewer)
                assert mine == theirs
                if json.loads(mine)["type"] == "state":
                    break
            else:
                pytest.fail("no state closed the reply")
        send(owner, {"type": "back", "count": 2})
        for _ in range(2):  # the replayed stage and the state
            assert recv_raw(owner) == recv_raw(viewer)
        send(owner, {"type": "step", "unit": "step", "count": 3})
        for _ in range(2):  # metrics and state
            assert recv_raw(owner) == recv_raw(viewer)
        send(owner, {"type": "reset"})
        for _ in range(2):  # dataset and state
            assert recv_raw(owner) == recv_raw(viewer)
        expect_silence(viewer, 0.1)


def test_viewer_sees_play(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron", {"speed": 300})
        join(viewer, session["id"])
        send(owner, {"type": "play"})
        steps: list[int] = []
        while len(steps) < 50:
            steps += recv_type(viewer, "metrics")["steps"]
        assert steps == list(range(1, len(steps) + 1)), "a viewer gets every step's metrics too"
        send(owner, {"type": "pause"})
        in_flight: list[dict] = []
        paused = recv_until(viewer, paused_state, skipped=in_flight)
        steps += [s for m in in_flight if m["type"] == "metrics" for s in m["steps"]]
        assert paused["step"] == steps[-1] and steps == list(range(1, len(steps) + 1))


@pytest.mark.parametrize("msg", CONTROL, ids=lambda m: m["type"] + "-" + str(m.get("unit", m.get("config", ""))))
def test_viewer_cannot_drive(live_server, msg):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        command(owner, {"type": "step", "unit": "step", "count": 2})
        before = get_state(owner)
        join(viewer, session["id"])
        send(viewer, msg)
        reply = recv(viewer)
        assert reply["type"] == "error" and reply["code"] == "not_owner", reply
        assert session["id"] in reply["message"]
        expect_silence(viewer, 0.1)
        expect_silence(owner, 0.05)
        after = get_state(owner)
        assert (after["step"], after["params"], after["config"]) == (before["step"], before["params"], before["config"])
        # the pause sent by get_state reaches the viewer too, and the socket is still fine
        assert recv_type(viewer, "state")["step"] == before["step"]


def test_join_unknown_code_is_no_session(live_server):
    with live_server.connect() as ws:
        for code in ("ZZZZ9", "AAAAA"):
            if code in live_server.rooms.by_code:
                continue
            send(ws, {"type": "join", "session": code})
            reply = recv(ws)
            assert reply["type"] == "error" and reply["code"] == "no_session", reply
            assert code in reply["message"]
        session, _, _ = create(ws, "neuron")  # still usable
        assert session["role"] == "owner"


def test_join_ignores_case_and_spaces(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        v_session, _, _ = join(viewer, f"  {session['id'].lower()} ")
        assert v_session["id"] == session["id"] and v_session["role"] == "viewer"


def test_viewer_leaving_for_its_own_session_stops_watching(live_server):
    with live_server.connect() as owner, live_server.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        join(viewer, session["id"])
        mine, _, _ = create(viewer, "line")
        assert mine["role"] == "owner" and mine["id"] != session["id"]
        command(owner, {"type": "step", "unit": "step", "count": 2})
        expect_silence(viewer, 0.2)
        assert len(live_server.rooms.by_code[session["id"]].clients) == 1


def test_disconnect_leaves_the_room(live_server):
    with live_server.connect() as owner:
        session, _, _ = create(owner, "neuron")
        with live_server.connect() as viewer:
            join(viewer, session["id"])
            assert len(live_server.rooms.by_code[session["id"]].clients) == 2
        get_state(owner)  # a round trip: the viewer's close has been handled by now, or soon
        clients = live_server.rooms.by_code[session["id"]].clients
        for _ in range(100):
            if len(clients) == 1:
                break
            expect_silence(owner, 0.02)
        assert len(clients) == 1
        command(owner, {"type": "step", "unit": "step"})  # the owner goes on undisturbed


# ----- limits and the life of a room -----------------------------------------------------------
def test_a_full_room_refuses_one_more(server_factory):
    srv = server_factory(max_clients_per_session=2)
    with srv.connect() as owner, srv.connect() as first, srv.connect() as second:
        session, _, _ = create(owner, "neuron")
        join(first, session["id"])
        send(second, {"type": "join", "session": session["id"]})
        reply = recv(second)
        assert reply["type"] == "error" and "full" in reply["message"] and reply["code"] == "busy", reply
        assert len(srv.rooms.by_code[session["id"]].clients) == 2
        create(second, "line")  # the refused client can still start its own


def test_max_sessions(server_factory):
    srv = server_factory(max_sessions=2)
    with srv.connect() as a, srv.connect() as b, srv.connect() as c:
        create(a, "neuron")
        create(b, "neuron")
        send(c, {"type": "create", "model": "neuron"})
        reply = recv(c)
        assert reply["type"] == "error" and reply["code"] == "busy", reply
        assert len(srv.rooms.by_code) == 2


def test_an_empty_room_waits_for_its_owner_then_expires(live_server, monkeypatch):
    import flowscope.server.rooms.rooms as sessions

    monkeypatch.setattr(sessions, "GRACE_SECONDS", 0.5)
    with live_server.connect() as owner:
        session, _, _ = create(owner, "neuron")
        command(owner, {"type": "step", "unit": "step", "count": 3})
    code = session["id"]
    runner = live_server.rooms.by_code[code].link
    with live_server.connect() as back:  # a reload within the grace period finds the room as it was
        _, _, state = join(back, code)
        assert state["step"] == 3
    deadline = time.monotonic() + 5
    while code in live_server.rooms.by_code:  # empty again: gone after the grace period
        assert time.monotonic() < deadline, "the empty session never expired"
        time.sleep(0.02)
    assert runner.join(2), "an expired session's runner must stop (in its room process)"
    with live_server.connect() as late:  # its checkpoint brings it back, as it was (roomstore.py)
        session, _, state = join(late, code)
        assert state["step"] == 3 and session["restored"]["step"] == 3


# ----- Origin and Host --------------------------------------------------------------------------
def refused(url: str, **kwargs) -> bool:
    """True when the server refuses the websocket: an HTTP 403 handshake, or a close with 1008."""
    try:
        with ws_connect(url, **kwargs) as ws:
            ws.send(json.dumps({"type": "create"}))
            ws.recv(timeout=5)
    except InvalidStatus as exc:
        assert exc.response.status_code in (400, 403), exc.response.status_code
        return True
    except ConnectionClosed as exc:
        assert exc.rcvd is not None and exc.rcvd.code == 1008, exc
        return True
    return False


@pytest.mark.parametrize("origin", ["http://evil.example", "https://127.0.0.1.evil.example",
                                    "http://127.0.0.1:1", "null"])
def test_foreign_origin_is_refused(live_server, origin):
    assert refused(live_server.ws_url, origin=origin)


def test_same_origin_is_accepted(live_server):
    with live_server.connect(origin=live_server.http_url) as ws:
        session, _, _ = create(ws, "neuron")
        assert session["role"] == "owner"


def test_no_origin_is_accepted(live_server):
    """Scripts send no Origin: there is nothing to forge, so they are let in."""
    with live_server.connect() as ws:
        create(ws, "neuron")


def test_listed_origin_is_accepted(server_factory):
    srv = server_factory(allowed_origins=["http://teacher.example:5173"])
    with srv.connect(origin="http://teacher.example:5173") as ws:
        create(ws, "neuron")
    assert refused(srv.ws_url, origin="http://student.example:5173")


def test_foreign_host_header_is_refused(live_server):
    """DNS rebinding: a page served under another name (resolving to 127.0.0.1) sends a matching Origin
    and Host; the Host check must refuse it, on HTTP and on the websocket."""
    port = live_server.port
    r = httpx.get(live_server.http_url + "/api/health", headers={"Host": f"evil.example:{port}"}, timeout=5)
    assert r.status_code == 400
    r = httpx.get(live_server.http_url + "/api/health", headers={"Host": f"localhost:{port}"}, timeout=5)
    assert r.status_code == 200
    sock, status = raw_handshake(port, host=f"evil.example:{port}", origin=f"http://evil.example:{port}")
    sock.close()
    assert status in (400, 403), status
    sock, status = raw_handshake(port, host=f"127.0.0.1:{port}", origin=f"http://127.0.0.1:{port}")
    sock.close()
    assert status == 101, "the same handshake from our own page is accepted"


def test_the_owner_joining_their_own_room_stays_the_owner(live_server):
    with live_server.connect() as owner:
        session, _, _ = create(owner, "neuron")
        send(owner, {"type": "join", "session": session["id"]})
        again = recv_type(owner, "session")
        assert again["role"] == "owner"
        assert [recv(owner)["type"] for _ in range(2)] == ["dataset", "state"]  # the full hello again
        replies = command(owner, {"type": "step", "unit": "stage"})
        assert [m["type"] for m in replies] == ["stage", "state"]
