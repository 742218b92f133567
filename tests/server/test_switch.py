"""A room keeps its class through lessons on other models (issue 13): the owner switches the room's
model; the code, the members and their roles stay, and every member gets the new model's session."""
from ws_helpers import create, join, recv_type, send


def test_the_owner_moves_the_whole_room_to_another_model(live_server):
    with live_server.connect() as owner, live_server.connect() as phone:
        session, _, _ = create(owner, "neuron")
        join(phone, session["id"])
        send(owner, {"type": "switch", "model": "mlp", "config": {"hidden": [2]}})
        for ws, role in ((owner, "owner"), (phone, "viewer")):
            again = recv_type(ws, "session", timeout=20)
            assert again["id"] == session["id"] and again["model"] == "mlp" and again["role"] == role
            assert recv_type(ws, "state")["params"]["layers"][0]["W"]  # the network's weights
        send(owner, {"type": "step", "unit": "step", "count": 2})
        assert recv_type(phone, "state")["step"] == 2  # the phone follows the new model's training
        assert live_server.rooms.by_code[session["id"]].model == "mlp"


def test_a_viewer_cannot_switch_and_a_bad_config_changes_nothing(live_server):
    with live_server.connect() as owner, live_server.connect() as phone:
        session, _, _ = create(owner, "line")
        join(phone, session["id"])
        send(phone, {"type": "switch", "model": "mlp"})
        assert recv_type(phone, "error")["code"] == "not_owner"
        send(owner, {"type": "switch", "model": "mlp", "config": {"hidden": [99]}})
        assert "hidden" in recv_type(owner, "error")["message"]
        assert live_server.rooms.by_code[session["id"]].model == "line"
        send(owner, {"type": "step", "unit": "step"})
        assert recv_type(owner, "state")["step"] == 1


def test_closing_the_lesson_and_locks_reach_every_member_now_and_later(live_server):
    with live_server.connect() as owner, live_server.connect() as phone:
        session, _, _ = create(owner, "neuron")
        join(phone, session["id"])
        send(owner, {"type": "lesson", "id": "neuron-flow", "step": 1})
        assert recv_type(phone, "lesson")["step"] == 1
        send(owner, {"type": "locks", "lock": ["lr", "seed"], "hide": ["settings"]})
        assert recv_type(phone, "locks") == {"type": "locks", "lock": ["lr", "seed"], "hide": ["settings"]}
        send(phone, {"type": "locks", "lock": []})  # a watcher can't unlock itself
        assert recv_type(phone, "error")["code"] == "not_owner"
        with live_server.connect() as late:  # a late joiner gets the locks too
            send(late, {"type": "join", "session": session["id"]})
            assert recv_type(late, "locks")["lock"] == ["lr", "seed"]
        send(owner, {"type": "lesson_close"})
        assert recv_type(phone, "lesson_closed") == {"type": "lesson_closed"}
        assert live_server.rooms.by_code[session["id"]].lesson is None
        send(owner, {"type": "locks", "lock": ["no such group!"]})
        assert recv_type(owner, "error")["code"] == "bad_message"
