"""The teacher's class list (issue 17): names checked in words, students who fork or leave stay on the
list with their state (a forked student's step and loss as their room's runner reports them), the
token holder keeps the list while a student drives, `remove` and `recall`, and who may send them."""
import json

import pytest

from flowscope.server.rooms.names import BadName, MAX_NAME, person_name
from ws_helpers import create, recv, recv_type, send
from ws_helpers import join as ws_join


def roster_until(ws, pred, most: int = 60) -> list[dict]:
    """The owner's rosters, read raw, until one satisfies `pred` (the helpers pass over rosters)."""
    for _ in range(most):
        msg = json.loads(ws.recv(timeout=10))
        if msg["type"] == "roster" and pred(msg["members"]):
            return msg["members"]
    raise AssertionError("no such roster")


def by_name(members) -> dict:
    return {m["name"]: m for m in members if m["name"]}


def test_names_are_trimmed_and_refused_in_words():
    assert person_name("  Ana   María ") == "Ana María"
    assert person_name(None) is None
    assert person_name("अनु\u200d") == "अनु\u200d"  # a joiner is part of how some scripts are written
    for bad, words in (("   ", "only spaces"), ("x" * (MAX_NAME + 1), f"at most {MAX_NAME}"),
                       ("a\x07b", "control or invisible"), ("\u202eevil", "control or invisible")):
        with pytest.raises(BadName, match=words):
            person_name(bad)


def test_a_bad_name_is_refused_and_the_student_is_not_let_in(live_server):
    with live_server.connect() as teacher, live_server.connect() as student:
        session, _, _ = create(teacher, "neuron")
        send(student, {"type": "join", "session": session["id"], "name": "Ana\u0007"})
        err = recv_type(student, "error")
        assert err["code"] == "bad_name" and "control" in err["message"] and "pattern" not in err["message"]
        send(student, {"type": "step", "unit": "stage"})
        assert recv_type(student, "error")["code"] == "no_session"


def test_forked_and_disconnected_students_stay_on_the_list(live_server):
    with live_server.connect() as teacher:
        session, _, _ = create(teacher, "neuron")
        code = session["id"]
        with live_server.connect() as ana, live_server.connect() as bo:
            ws_join(ana, code, name="Ana")
            ws_join(bo, code, name=" Bo ")
            members = by_name(roster_until(teacher, lambda ms: {"Ana", "Bo"} <= set(by_name(ms))))
            assert members["Bo"]["state"] == "following" and members["Ana"]["role"] == "viewer"
            assert [m["teacher"] for m in members.values()] == [False, False]
            # Ana forks and trains 3 steps in her own room: the teacher's list says so, with her numbers.
            send(ana, {"type": "fork"})
            fork = recv_type(ana, "session")
            assert fork["id"] != code and fork["role"] == "owner"
            send(ana, {"type": "step", "unit": "step", "count": 4})
            seen: list[dict] = []
            while not (seen and seen[-1]["type"] == "state" and seen[-1]["step"] == 4):
                seen.append(recv(ana))
            loss = [m for m in seen if m["type"] == "metrics"][-1]["loss"]
            members = by_name(roster_until(teacher, lambda ms: by_name(ms).get("Ana", {}).get("step") == 4))
            assert members["Ana"]["state"] == "forked"
            assert members["Ana"]["loss"] == loss  # the engine's number, as the runner reported it
            # Bring everyone back: Ana's page is told which room; Bo, who follows, is told nothing.
            send(teacher, {"type": "recall"})
            assert recv_type(ana, "recall")["session"] == code
        # Both pages closed: both disconnected, still listed (a student comes back under their name).
        members = by_name(roster_until(teacher, lambda ms: all(m["state"] == "disconnected" for m in ms
                                                                if m["name"] in ("Ana", "Bo")) and len(by_name(ms)) == 2))
        assert members["Ana"]["step"] is None
        with live_server.connect() as ana_again:
            ws_join(ana_again, code, name="Ana")
            members = roster_until(teacher, lambda ms: by_name(ms)["Ana"]["state"] == "following")
            assert sum(m["name"] == "Ana" for m in members) == 1
            # Forget Bo; remove Ana (her page is told, and she is out of the room).
            bo_id = by_name(members)["Bo"]["id"]
            send(teacher, {"type": "remove", "to": bo_id})
            members = roster_until(teacher, lambda ms: "Bo" not in by_name(ms))
            send(teacher, {"type": "remove", "to": by_name(members)["Ana"]["id"]})
            assert recv_type(ana_again, "removed")["session"] == code
            roster_until(teacher, lambda ms: "Ana" not in by_name(ms))
            send(ana_again, {"type": "step", "unit": "stage"})
            assert recv_type(ana_again, "error")["code"] == "no_session"


def test_the_teacher_keeps_the_list_while_a_student_drives_and_only_the_teacher_may_use_it(live_server):
    with live_server.connect() as teacher, live_server.connect() as ana, live_server.connect() as bo:
        session, _, _ = create(teacher, "line")
        code = session["id"]
        mine = ws_join(ana, code, name="Ana")[0]
        ws_join(bo, code, name="Bo")
        roster_until(teacher, lambda ms: {"Ana", "Bo"} <= set(by_name(ms)))
        # A student may neither recall nor remove.
        send(bo, {"type": "remove", "to": mine["you"]})
        assert recv_type(bo, "error")["code"] == "not_owner"
        send(teacher, {"type": "handover", "to": mine["you"]})
        # The teacher, watching now, still gets the list: Ana drives, the teacher holds the token.
        members = roster_until(teacher, lambda ms: by_name(ms)["Ana"]["role"] == "owner")
        assert [m["teacher"] for m in members if m["role"] == "viewer" and m["name"] is None] == [True]
        # The driving student may not remove either (the class is the teacher's), the teacher may.
        send(ana, {"type": "remove", "to": by_name(members)["Bo"]["id"]})
        assert recv_type(ana, "error")["code"] == "not_owner"
        send(teacher, {"type": "remove", "to": "nobody"})
        assert recv_type(teacher, "error")["code"] == "no_session"
        send(teacher, {"type": "remove", "to": by_name(members)["Bo"]["id"]})
        assert recv_type(bo, "removed")["session"] == code


def test_a_teacher_tab_that_watches_comes_back_as_the_teacher(live_server):
    """A tab that handed control on reloads (the room moved to another model): it joins with the token
    and `watch`, and stays the one who sees the class, while the student keeps driving."""
    with live_server.connect() as teacher, live_server.connect() as ana:
        session, _, _ = create(teacher, "line")
        code, token = session["id"], session["token"]
        mine = ws_join(ana, code, name="Ana")[0]
        roster_until(teacher, lambda ms: "Ana" in by_name(ms))
        send(teacher, {"type": "handover", "to": mine["you"]})
        assert recv_type(ana, "session")["role"] == "owner"
    with live_server.connect() as ana2, live_server.connect() as back:
        mine = ws_join(ana2, code, name="Ana")[0]
        send(ana2, {"type": "reclaim", "token": "x" * 22})  # a student can't take the room with a guess
        assert recv_type(ana2, "error")["code"] == "not_owner"
        send(back, {"type": "join", "session": code, "token": token, "watch": True})
        assert recv_type(back, "session")["role"] == "viewer"
        members = roster_until(back, lambda ms: "Ana" in by_name(ms))
        assert [m["teacher"] for m in members if m["id"] != mine["you"]] == [True]
        send(back, {"type": "remove", "to": mine["you"]})  # still the teacher: the class is theirs
        assert recv_type(ana2, "removed")["session"] == code


def test_the_address_printed_for_students_is_the_join_page(capsys, server_factory):
    from types import SimpleNamespace

    from flowscope.server.cli import announce
    from flowscope.server.settings import Settings

    settings = Settings(classroom=True, public_url="http://192.168.7.20:8000", open_browser=False)
    announce(SimpleNamespace(started=True, should_exit=False), settings, "http://127.0.0.1:8000")
    assert "students open http://192.168.7.20:8000/join " in capsys.readouterr().out
    srv = server_factory()
    page = srv.get("/join")
    assert page.status_code == 200 and 'id="jp-code"' in page.text and 'id="jp-name"' in page.text
