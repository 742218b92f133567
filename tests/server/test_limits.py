"""Fair limits and private rooms (issue 12, cases 3, 9, 10, 12): sessions per client address in every mode,
a server cap one address can't fill, viewers per address per room, failed joins rate-limited, fork and load
at the limit answered, saved runs belong to their room's owner token, bounded, and written off the loop."""
from __future__ import annotations

import contextlib
import json
import sqlite3
import threading

import httpx
import pytest

from flowscope.engine.export import PackedRun
from flowscope.server.rooms.limits import JoinLimiter, TooMany
from flowscope.server.rooms.rooms import ALPHABET, CODE_LENGTH
from flowscope.server.settings import Settings
from flowscope.server.store import RunStore, StoreFull
from ws_helpers import command, create, recv_type, send

STRICT = dict(max_sessions_per_client=10, max_viewers_per_client=3, join_failures_burst=20)  # the defaults


def expect(ws, type_):
    """The next text message of that type, passing over binary frames and anything else (a first save
    imports torch: seconds on a busy machine)."""
    while True:
        raw = ws.recv(timeout=30)
        if isinstance(raw, str) and json.loads(raw)["type"] == type_:
            return json.loads(raw)


def test_defaults_keep_one_address_from_filling_the_server():
    s = Settings()
    assert not s.classroom and s.max_sessions_per_client == 10 < s.max_sessions == 200
    assert s.max_viewers_per_client == 3 and s.max_saved_runs >= 1 and not s.allow_any_host


def test_sessions_per_address_outside_classroom_mode(server_factory):
    srv = server_factory(**{**STRICT, "max_sessions_per_client": 3})
    assert not srv.settings.classroom
    with contextlib.ExitStack() as stack:
        owners = [stack.enter_context(srv.connect()) for _ in range(4)]
        for ws in owners[:3]:  # three rooms, each with its owner in it
            create(ws, "neuron")
        send(owners[3], {"type": "create", "model": "neuron"})
        reply = recv_type(owners[3], "error")
        assert reply["code"] == "busy" and "3 sessions" in reply["message"]
        assert "max_sessions_per_client" in reply["message"]
        assert len(srv.rooms.by_code) == 3
        command(owners[2], {"type": "step", "unit": "stage"}, until="stage")  # the rooms go on, answered


def test_at_the_limit_the_oldest_empty_room_of_that_address_makes_way(server_factory):
    srv = server_factory(**{**STRICT, "max_sessions_per_client": 2})
    with srv.connect() as ws, srv.connect() as other:  # one address (127.0.0.1), two pages
        first, _, _ = create(ws, "neuron")
        second, _, _ = create(ws, "line")  # the page moved on: its first room waits out its grace, empty
        third, _, _ = create(other, "neuron")  # at the limit: the empty room closes to make way
        assert set(srv.rooms.by_code) == {second["id"], third["id"]}
        send(other, {"type": "create", "model": "neuron"})  # both rooms in use: nothing to close
        reply = recv_type(other, "error")
        assert reply["code"] == "busy" and "max_sessions_per_client" in reply["message"]
        assert set(srv.rooms.by_code) == {second["id"], third["id"]}


def test_server_cap_names_its_limit(server_factory):
    srv = server_factory(**{**STRICT, "max_sessions": 2})
    with srv.connect() as a, srv.connect() as a2, srv.connect() as b:
        create(a, "neuron")
        create(a2, "neuron")  # two rooms in use: none empty to close
        send(b, {"type": "create", "model": "neuron"})
        reply = recv_type(b, "error")
        assert reply["code"] == "busy" and "max_sessions" in reply["message"]


def test_fork_and_load_at_the_limit_are_answered(server_factory, tmp_path):
    srv = server_factory(**{**STRICT, "max_sessions_per_client": 1}, data_dir=tmp_path)
    with srv.connect() as ws:
        session, _, _ = create(ws, "neuron")
        send(ws, {"type": "save", "name": "mine"})
        run_id = expect(ws, "saved")["id"]
        send(ws, {"type": "fork"})  # used to get no reply at all
        reply = recv_type(ws, "error")
        assert reply["code"] == "busy", reply
        send(ws, {"type": "load", "id": run_id, "token": session["token"]})  # used to drop the socket
        reply = recv_type(ws, "error")
        assert reply["code"] == "busy", reply
        command(ws, {"type": "step", "unit": "stage"}, until="stage")  # the socket and its room go on


def test_viewers_per_address_per_room(server_factory):
    srv = server_factory(**STRICT)
    with srv.connect() as owner:
        session, _, _ = create(owner, "neuron")
        with contextlib.ExitStack() as stack:
            viewers = [stack.enter_context(srv.connect()) for _ in range(4)]
            for v in viewers[:3]:  # the owner's own page does not count against its address
                send(v, {"type": "join", "session": session["id"]})
                assert recv_type(v, "session")["role"] == "viewer"
            send(viewers[3], {"type": "join", "session": session["id"]})
            reply = recv_type(viewers[3], "error")
            assert reply["code"] == "busy" and "max_viewers_per_client" in reply["message"]


def test_failed_joins_are_rate_limited_per_address(server_factory):
    srv = server_factory(**{**STRICT, "join_failures_burst": 5, "join_failures_per_minute": 1})
    with srv.connect() as owner, srv.connect() as guesser:
        session, _, _ = create(owner, "neuron")
        codes = [c for c in ("AAAAA", "BBBBB", "CCCCC", "DDDDD", "EEEEE") if c != session["id"]][:5]
        for code in codes:
            send(guesser, {"type": "join", "session": code})
            assert recv_type(guesser, "error")["code"] == "no_session"
        send(guesser, {"type": "join", "session": session["id"]})  # now even a right guess waits
        reply = recv_type(guesser, "error")
        assert reply["code"] == "busy" and "a minute" in reply["message"], reply
        assert guesser not in srv.rooms.by_code[session["id"]].clients


def test_join_limiter_refills_and_the_guessing_arithmetic():
    now = [0.0]
    limiter = JoinLimiter(burst=2, per_minute=30, clock=lambda: now[0])
    limiter.failed("a")
    limiter.failed("a")
    with pytest.raises(TooMany):
        limiter.check("a")
    limiter.check("b")  # other addresses are not affected
    now[0] += 2.0  # 30 a minute: one try back every 2 s
    limiter.check("a")
    # docs/protocol.md "Limits": 31^5 codes, 30 rooms, 30 failures a minute → about 22 days per address
    codes = len(ALPHABET) ** CODE_LENGTH
    assert codes == 28_629_151
    days = codes / 30 / Settings().join_failures_per_minute / 60 / 24
    assert 20 < days < 24


def _save(ws):
    send(ws, {"type": "save", "name": "mine"})
    return expect(ws, "saved")["id"]


def test_saved_runs_belong_to_the_owner_token(server_factory, tmp_path):
    srv = server_factory(**STRICT, data_dir=tmp_path)
    with srv.connect() as a, srv.connect() as b:
        mine, _, _ = create(a, "neuron")
        theirs, _, _ = create(b, "line")
        run_a, run_b = _save(a), _save(b)
        assert srv.get("/api/runs").json() == []  # no token: nobody's runs
        listed = httpx.get(srv.http_url + "/api/runs", headers={"X-Flowscope-Token": mine["token"]}).json()
        assert [r["id"] for r in listed] == [run_a]
        assert [r["id"] for r in srv.get(f"/api/runs?token={theirs['token']}").json()] == [run_b]
        assert srv.get(f"/api/runs/{run_a}/weights?token={theirs['token']}").status_code == 404
        assert srv.get(f"/api/runs/{run_a}/weights").status_code == 404
        assert srv.get(f"/api/runs/{run_a}/weights?token={mine['token']}").status_code == 200
        send(b, {"type": "load", "id": run_a, "token": theirs["token"]})  # someone else's run: as if none
        assert recv_type(b, "error")["code"] == "no_session"
        send(a, {"type": "load", "id": run_a, "token": mine["token"]})
        loaded = recv_type(a, "session")
        assert loaded["token"] == mine["token"]  # the loaded room keeps the token, so its saves list together


def test_viewers_save_only_when_the_owner_allows(server_factory, tmp_path):
    srv = server_factory(**STRICT, data_dir=tmp_path)
    with srv.connect() as owner, srv.connect() as viewer:
        session, _, _ = create(owner, "neuron")
        send(viewer, {"type": "join", "session": session["id"]})
        recv_type(viewer, "state")
        send(viewer, {"type": "save", "name": "not mine"})
        assert recv_type(viewer, "error")["code"] == "not_owner"
        send(viewer, {"type": "allow", "save": True})  # only the owner sets the room's rules
        assert recv_type(viewer, "error")["code"] == "not_owner"
        send(owner, {"type": "allow", "save": True})
        command(owner, {"type": "pause"})  # the allow is applied before this answers
        run_id = _save(viewer)
        assert [r["id"] for r in srv.get(f"/api/runs?token={session['token']}").json()] == [run_id]


def test_saving_runs_off_the_event_loop(server_factory, tmp_path, monkeypatch):
    srv = server_factory(**STRICT, data_dir=tmp_path)
    store = srv.app.state.store
    threads = []
    real = store.save
    monkeypatch.setattr(store, "save", lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    with srv.connect() as ws:
        create(ws, "neuron")
        _save(ws)
    assert threads and threads[0] is not srv.thread, "the store was written on the event loop's thread"


def test_store_bounds_count_size_and_owner(tmp_path):
    def run(size):
        return PackedRun(model="neuron", steps=1, config="{}", custom="null", metrics="[]", weights=b"x" * size,
                         state=None)

    store = RunStore(tmp_path, max_runs=3, max_bytes=10_000, max_per_owner=2)
    store.save("a", run(100), owner="t1")
    store.save("b", run(100), owner="t1")
    with pytest.raises(StoreFull, match="max_saved_runs_per_owner"):
        store.save("c", run(100), owner="t1")
    with pytest.raises(StoreFull, match="max_saved_mb"):
        store.save("big", run(20_000), owner="t2")
    store.save("d", run(100), owner="t2")
    store.save("e", run(100), owner="t3")  # the server's bound: the oldest run ("a") made way (test_saved_budgets)
    assert len(store.list("t1")) == 1 and len(store.list("t2")) == 1 and len(store.list("t3")) == 1
    store.close()


def test_store_from_before_owners_keeps_its_runs_private(tmp_path):
    db = sqlite3.connect(tmp_path / "runs.sqlite3")
    db.execute("create table runs (id text primary key, name text not null, model text not null, created real "
               "not null, steps integer not null, config text not null, custom text, metrics text not null, "
               "weights blob not null)")
    db.execute("insert into runs values ('0123abcd', 'old', 'neuron', 0, 1, '{}', 'null', '[]', x'00')")
    db.commit()
    db.close()
    store = RunStore(tmp_path)
    assert store.get("0123abcd")["name"] == "old"  # still there for the server itself
    assert store.get("0123abcd", owner="anyone") is None and store.get("0123abcd", owner=None) is None
    store.close()


def test_an_address_past_its_saved_runs_answers_busy(server_factory, tmp_path):
    srv = server_factory(**STRICT, data_dir=tmp_path, max_saved_runs_per_address=1)
    with srv.connect() as ws:
        create(ws, "neuron")
        _save(ws)
        send(ws, {"type": "save", "name": "one more"})
        reply = recv_type(ws, "error")
        assert reply["code"] == "busy" and "1 saved runs" in reply["message"]
