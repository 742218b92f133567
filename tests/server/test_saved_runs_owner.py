"""Saved runs belong to their owner — a browser's own key — not to a room (issue 17, "Runs that last";
issue 20, case 6's delete): a new room lists them, they outlive the room and a restart, the owner
deletes them (nobody else can), and a trained-run link opens a copy at its step."""
from __future__ import annotations

import time

import httpx

from ws_helpers import create, expect, recv_until, send

KEY = "browser-key-0123456789abcdef"  # what the page keeps in localStorage (tokens.js ownerKey)
OTHER = "another-browser-key-987654321"


def runs_of(srv, key: str) -> list[dict]:
    return httpx.get(srv.http_url + "/api/runs", headers={"X-Flowscope-Token": key}, timeout=10).json()


def delete(srv, run_id: str, key: str | None) -> int:
    headers = {"X-Flowscope-Token": key} if key else {}
    return httpx.delete(f"{srv.http_url}/api/runs/{run_id}", headers=headers, timeout=10).status_code


def trained(ws, steps: int, name: str, owner: str = KEY) -> tuple[dict, dict]:
    """A neuron room trained `steps` steps and saved under `owner`: its `session` and `saved` replies."""
    session, _, _ = create(ws, "neuron")
    send(ws, {"type": "step", "unit": "step", "count": steps})
    expect(ws, "state")
    send(ws, {"type": "save", "name": name, "owner": owner})
    return session, expect(ws, "saved")


def test_a_new_room_lists_the_browsers_runs_and_they_outlive_the_room_and_a_restart(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path, room_days=1 / 86_400)  # rooms' checkpoints last one second
    with srv.connect() as ws:
        first, saved = trained(ws, 7, "after seven")
    with srv.connect() as ws:
        session, _, _ = create(ws, "line")  # another room, another owner token: the same browser's runs
        assert [r["id"] for r in runs_of(srv, KEY)] == [saved["id"]]
        assert runs_of(srv, session["token"]) == [] and runs_of(srv, OTHER) == []
    srv.stop()
    time.sleep(1.1)  # past the rooms' expiry
    srv = server_factory(data_dir=tmp_path, room_days=1 / 86_400)
    with srv.connect() as ws:
        assert [r["name"] for r in runs_of(srv, KEY)] == ["after seven"]  # the runs stay; the rooms are gone
        send(ws, {"type": "join", "session": first["id"], "token": first["token"]})
        assert recv_until(ws, lambda m: m["type"] == "error")["code"] == "no_session"
        send(ws, {"type": "load", "id": saved["id"], "token": KEY})
        assert expect(ws, "session")["role"] == "owner"
        assert expect(ws, "state")["step"] == 7


def test_only_the_owner_deletes_a_run(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path)
    with srv.connect() as ws:
        mine = trained(ws, 2, "mine")[1]["id"]
        send(ws, {"type": "save", "name": "theirs", "owner": OTHER})
        theirs = expect(ws, "saved")["id"]
        assert delete(srv, mine, OTHER) == 404  # someone else's run answers as no run does
        assert delete(srv, mine, None) == 404
        assert httpx.delete(f"{srv.http_url}/api/runs/{mine}?token={KEY}", timeout=10).status_code == 404  # header only
        assert [r["id"] for r in runs_of(srv, KEY)] == [mine]
        assert delete(srv, mine, KEY) == 204
        assert runs_of(srv, KEY) == [] and [r["id"] for r in runs_of(srv, OTHER)] == [theirs]
        assert delete(srv, mine, KEY) == 404  # gone
        send(ws, {"type": "load", "id": mine, "token": KEY})
        assert recv_until(ws, lambda m: m["type"] == "error")["code"] == "no_session"


def test_a_trained_run_link_opens_a_copy_at_its_step_with_a_token_of_its_own(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path)
    with srv.connect() as owner, srv.connect() as friend:
        _, saved = trained(owner, 9, "for the class")
        (listed,) = runs_of(srv, KEY)
        share = listed["share"]
        assert share and listed["steps"] == 9 and listed["bytes"] > 0
        send(friend, {"type": "load", "id": saved["id"], "key": share[:-1] + ("0" if share[-1] != "0" else "1")})
        assert recv_until(friend, lambda m: m["type"] == "error")["code"] == "no_session"  # a wrong key: no run
        send(friend, {"type": "load", "id": saved["id"], "key": share})
        session = expect(friend, "session")
        assert session["role"] == "owner" and session["token"] != KEY  # a copy of their own, not the owner's key
        assert expect(friend, "state")["step"] == 9
        assert runs_of(srv, session["token"]) == []  # the link gives no access to the owner's list
        send(friend, {"type": "step", "unit": "step", "count": 1})
        assert expect(friend, "state")["step"] == 10  # trains on from there


def test_a_trained_run_link_opened_to_view_cannot_be_changed_and_forks_to_train_on(server_factory, tmp_path):
    """Issue 17 §4: "a link to a trained run opens it at its step (view, or copy to train on)". Opened to
    view, the visitor watches the run at its step and nothing they send changes it; `fork` is the copy."""
    srv = server_factory(data_dir=tmp_path)
    with srv.connect() as owner, srv.connect() as friend:
        _, saved = trained(owner, 9, "for the class")
        (listed,) = runs_of(srv, KEY)
        send(friend, {"type": "load", "id": saved["id"], "view": True})  # no key: refused
        assert recv_until(friend, lambda m: m["type"] == "error")["code"] == "bad_message"
        send(friend, {"type": "load", "id": saved["id"], "key": listed["share"], "view": True})
        session = expect(friend, "session")
        assert session["role"] == "viewer" and session.get("token") is None  # nobody's token: nobody drives it
        at = expect(friend, "state")
        assert at["step"] == 9
        for change in ({"type": "step", "unit": "step", "count": 1}, {"type": "configure", "config": {"lr": 2.0}},
                       {"type": "reset"}):
            send(friend, change)
            assert recv_until(friend, lambda m: m["type"] == "error")["code"] == "not_owner"
        send(friend, {"type": "fork"})  # copy to train on
        mine = expect(friend, "session")
        assert mine["role"] == "owner" and mine["id"] != session["id"] and mine["token"]
        assert expect(friend, "state")["step"] == 9
        send(friend, {"type": "step", "unit": "step", "count": 1})
        assert expect(friend, "state")["step"] == 10


def named(srv, name: str, passphrase: str, key: str | None = None) -> httpx.Response:
    headers = {"X-Flowscope-Token": key} if key else {}
    return httpx.post(srv.http_url + "/api/owner", json={"name": name, "passphrase": passphrase},
                      headers=headers, timeout=10)


def test_a_teachers_name_and_passphrase_list_their_runs_from_another_browser(server_factory, tmp_path):
    """Issue 17 §4: saved runs belong to their owner — a browser, or a teacher's name. The name comes with
    a passphrase (a name alone anyone could type); this browser's runs move to it, and another browser
    that gives the same name and passphrase lists, loads and deletes them."""
    srv = server_factory(data_dir=tmp_path)
    with srv.connect() as ws:
        _, saved = trained(ws, 5, "before naming")
    first = named(srv, "Ms Rivera", "tide pools at dawn", KEY)  # in the browser that saved it
    assert first.status_code == 200, first.text
    mine = first.json()
    assert mine["moved"] == 1 and mine["name"] == "Ms Rivera" and mine["owner"] != KEY
    assert runs_of(srv, KEY) == [] and [r["id"] for r in runs_of(srv, mine["owner"])] == [saved["id"]]
    # another browser: the same name (its case and spaces don't matter) and passphrase
    other = named(srv, "  ms   RIVERA ", "tide pools at dawn").json()
    assert other["owner"] == mine["owner"] and other["moved"] == 0
    assert [r["name"] for r in runs_of(srv, other["owner"])] == ["before naming"]
    with srv.connect() as ws:
        send(ws, {"type": "load", "id": saved["id"], "token": other["owner"]})
        assert expect(ws, "session")["role"] == "owner"
        assert expect(ws, "state")["step"] == 5
    # the name without its passphrase is nobody's key
    assert runs_of(srv, named(srv, "Ms Rivera", "tide pools at dusk").json()["owner"]) == []
    assert named(srv, "Ms Rivera", "short").status_code == 422  # a passphrase of 8 characters at least
    assert delete(srv, saved["id"], other["owner"]) == 204
    # each address may ask a few times a minute: guessing passphrases online goes nowhere
    codes = [named(srv, "Ms Rivera", f"guess number {i}").status_code for i in range(12)]
    assert codes[-1] == 429 and 200 in codes
