"""Lesson files validate against their schema; a lesson move takes the whole room along."""
import pytest
from pydantic import ValidationError

from flowscope.server.lessons import COURSE, Lesson, in_course_order, load_all
from ws_helpers import create, recv_type, send

LESSONS = load_all()


def test_the_shipped_lessons_validate():
    assert {"neuron-flow", "find-a", "learning-rate", "xor-hidden-layer"} <= set(LESSONS)
    for lesson in LESSONS.values():
        assert lesson.steps and all(step.text for step in lesson.steps)


@pytest.mark.parametrize("broken,needle", [
    ({"model": "neuron", "config": {"lr": -1}}, "lr"),
    ({"model": "neuron", "config": {"colour": "red"}}, "colour"),
    ({"model": "perceptron"}, "model"),
    ({"model": "line", "views": ["hologram"]}, "views"),
    ({"model": "line", "goal": {"stage": "dessert"}}, "stage"),
])
def test_a_broken_lesson_is_refused_with_the_place_at_fault(broken, needle):
    step = {"title": "t", "text": "x", **broken}
    with pytest.raises(ValidationError) as err:
        Lesson.model_validate({"id": "bad", "title": "Bad", "summary": "", "steps": [step]})
    assert needle in str(err.value)


@pytest.mark.parametrize("lesson_id,index", [(k, i) for k, v in LESSONS.items() for i in range(len(v.steps))])
def test_every_lesson_step_creates_its_session(live_server, lesson_id, index):
    step = LESSONS[lesson_id].steps[index]
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": step.model, "config": step.config})
        session = recv_type(ws, "session", timeout=30)  # the first GPT imports torch (seconds on a busy machine)
        assert session["model"] == step.model
        assert all(session["config"][k] == v for k, v in step.config.items())


def test_lessons_over_http(live_server):
    listed = live_server.get("/api/lessons").json()
    assert {item["id"] for item in listed} == set(LESSONS)
    one = live_server.get("/api/lessons/neuron-flow").json()
    assert one["steps"][0]["model"] == "neuron"
    assert live_server.get("/api/lessons/nope").status_code == 404
    assert "steps" in live_server.get("/api/lessons/schema").json()["properties"]


def test_the_teacher_moves_the_room_and_late_joiners_follow(live_server):
    with live_server.connect() as teacher, live_server.connect() as student, live_server.connect() as late:
        session, _, _ = create(teacher, "neuron")
        send(student, {"type": "join", "session": session["id"]})
        recv_type(student, "state")
        send(teacher, {"type": "lesson", "id": "neuron-flow", "step": 2})
        assert recv_type(student, "lesson") == {"type": "lesson", "id": "neuron-flow", "step": 2}
        send(late, {"type": "join", "session": session["id"]})
        hello: list = []
        recv_type(late, "state", skipped=hello)  # queued frames come before the state snapshot
        assert [m["type"] for m in hello] == ["session", "dataset", "lesson"] and hello[-1]["step"] == 2
        send(student, {"type": "lesson", "id": "neuron-flow", "step": 3})
        assert recv_type(student, "error")["code"] == "not_owner"
        send(teacher, {"type": "lesson", "id": "neuron-flow", "step": 99})
        assert "No step 99" in recv_type(teacher, "error")["message"]


def test_the_course_order_is_served_once_descent_and_scale_after_the_transformer(live_server):
    """GET /api/lessons lists the course in order (server/lessons.py COURSE): the page keeps no copy."""
    listed = [item["id"] for item in live_server.get("/api/lessons").json()]
    assert listed == list(COURSE) == ["neuron-flow", "find-a", "learning-rate", "xor-hidden-layer", "next-token",
                                      "pretrain-finetune", "descent", "scale", "many-workers", "course-end"]
    descent, scale = LESSONS["descent"], LESSONS["scale"]
    # each step changes the update rule, which rebuilds the run from its seed: every trick starts alike
    assert [s.config.get("optimizer") for s in descent.steps] == ["sgd", "momentum", "adam", "sgd", "adam"]
    assert descent.steps[3].config["clip"] > 0 and descent.steps[4].config["schedule"] == "step"
    assert [s.scale for s in scale.steps] == ["transformer", "gpt2-small", "llama-3.1-8b", "llama-3.1-405b",
                                              "llama-3.1-405b"]
    assert live_server.get("/api/lessons/scale").json()["steps"][0]["scale"] == "transformer"


def test_a_teachers_own_lesson_comes_after_the_course():
    extra = Lesson.model_validate({"id": "aa-mine", "title": "Mine", "summary": "",
                                   "steps": [{"title": "t", "text": "x", "model": "neuron"}]})
    ordered = in_course_order({"aa-mine": extra, **LESSONS})
    assert list(ordered) == [*COURSE, "aa-mine"]


@pytest.mark.parametrize("step,needle", [
    ({"model": "transformer", "views": ["scale"]}, "scale"),  # the view without a rung
    ({"model": "transformer", "scale": "gpt2-small"}, "scale"),  # a rung nothing shows
    ({"model": "line", "views": ["scale"], "scale": "gpt2-small"}, "Transformer"),
    ({"model": "transformer", "views": ["scale"], "scale": "gpt-7"}, "scale"),
])
def test_a_scale_step_names_its_rung_and_shows_it(step, needle):
    with pytest.raises(ValidationError) as err:
        Lesson.model_validate({"id": "bad", "title": "Bad", "summary": "", "steps": [{"title": "t", "text": "x", **step}]})
    assert needle in str(err.value)
