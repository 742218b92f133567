"""The course reaches on (issue 17 §5), with a teacher's laptop, a phone and a tablet in one room:
PageUp on a lesson's first step goes back into the previous lesson (its last step) and everyone
follows; a fresh teacher tab opened on a lesson's last step goes on with PageDown; a watching
student's lesson task says to watch the teacher's stage, the teacher's names the keys."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e_helpers import PHONE, SESSION_READY, TABLET, device

pytestmark = pytest.mark.e2e
LESSONS = Path(__file__).resolve().parents[2] / "frontend" / "lessons"


def at(pg, lesson: str, step: int, role: str, code: str | None = None, timeout: float = 40_000) -> None:
    cond = (SESSION_READY + " && flowscope.state().room.lesson && flowscope.state().room.lesson.id === w.lesson"
            " && flowscope.state().room.lesson.step === w.step && flowscope.state().session.role === w.role"
            " && document.getElementById('lesson-panel').dataset.step === String(w.step)"
            " && document.getElementById('lesson-panel').dataset.lesson === w.lesson"
            " && (!w.code || flowscope.state().session.id === w.code)")
    try:
        pg.wait_for_function(f"(w) => {cond}", arg=dict(lesson=lesson, step=step, role=role, code=code), timeout=timeout)
    except Exception as e:
        raise AssertionError(f"not at {lesson} {step} as {role}: {pg.evaluate('flowscope.state && [flowscope.state().room.lesson, flowscope.state().session && flowscope.state().session.role]')}") from e


def test_page_up_back_a_lesson_a_fresh_tab_goes_on_and_tasks_for_the_reader(browser, server_url):
    first = json.loads((LESSONS / "neuron-flow.json").read_text())["steps"]
    find_a = json.loads((LESSONS / "find-a.json").read_text())["steps"]
    tctx, teacher = device(browser, viewport={"width": 1280, "height": 800})
    pctx, phone = device(browser, **PHONE)
    bctx, tablet = device(browser, **TABLET)
    try:
        teacher.goto(f"{server_url}/?model=line&lesson=find-a&lstep=0")
        at(teacher, "find-a", 0, "owner")
        code = teacher.evaluate("flowscope.state().session.id")
        phone.goto(f"{server_url}/room/{code}?name=Ana")
        tablet.goto(f"{server_url}/room/{code}?name=Bo")
        for pg in (phone, tablet):
            at(pg, "find-a", 0, "viewer", code)
            task = pg.text_content("#lesson-task")
            assert task.startswith("Watch the teacher's stage"), task
            assert "→" not in task and "Press" not in task and "Step to" not in task
        assert teacher.text_content("#lesson-task") == find_a[0]["task"]

        # An accidental PageDown into the next lesson is undone by the clicker: PageUp on step 0.
        teacher.keyboard.press("PageUp")
        last = len(first) - 1
        at(teacher, "neuron-flow", last, "owner", code)
        at(phone, "neuron-flow", last, "viewer", code)
        at(tablet, "neuron-flow", last, "viewer", code)

        # A fresh teacher tab (the same browser: it holds the room's token) on that last step goes on.
        fresh = tctx.new_page()
        fresh.errors = []
        fresh.on("pageerror", lambda e: fresh.errors.append(str(e)))
        fresh.goto(f"{server_url}/room/{code}")
        at(fresh, "neuron-flow", last, "owner", code)
        fresh.wait_for_function("flowscope.state().room.lessons !== null", timeout=10_000)
        fresh.keyboard.press("PageDown")
        at(fresh, "find-a", 0, "owner", code)
        at(phone, "find-a", 0, "viewer", code)
        at(tablet, "find-a", 0, "viewer", code)
        for pg in (teacher, fresh, phone, tablet):
            assert not pg.errors, pg.errors
    finally:
        for ctx in (tctx, pctx, bctx):
            ctx.close()
