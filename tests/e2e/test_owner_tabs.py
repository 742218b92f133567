"""The teacher's own room link in a second window drives (the owner token is shared by the browser's
tabs, frontend/tokens.js); one owner at a time: the first tab is told at once that it watches now and
why, stays watching when it reloads (a room moving to another model reloads every page), and can
take control back. A student's browser, which never created the room, only watches."""
from __future__ import annotations

import pytest

from e2e_helpers import SESSION_READY

pytestmark = pytest.mark.e2e

ROLE = ("(w) => window.flowscope && flowscope.state().session && flowscope.state().session.id === w.code"
        " && flowscope.state().session.role === w.role && flowscope.state().conn === 'open' && flowscope.state().params")


def _page(ctx):
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return pg


def _role(pg, code: str, role: str) -> None:
    pg.wait_for_function(ROLE, arg={"code": code, "role": role}, timeout=15_000)


def test_the_teachers_second_window_drives_and_the_first_says_why_it_watches(browser, server_url):
    teacher_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    student_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        first = _page(teacher_ctx)
        first.goto(f"{server_url}/")
        first.wait_for_function(SESSION_READY, timeout=15_000)
        code = first.evaluate("flowscope.state().session.id")
        assert first.evaluate("c => !!localStorage.getItem('flowscope.token.' + c)", code)

        # The room link, opened in a second window of the same browser: it drives.
        second = _page(teacher_ctx)
        second.goto(f"{server_url}/room/{code}")
        _role(second, code, "owner")
        # The first tab is told at once, before any key is pressed, and offered to take control back.
        _role(first, code, "viewer")
        first.wait_for_selector(".toast:has-text('Your other tab or window of this room took control')", timeout=5_000)
        first.wait_for_selector("#reclaim", state="visible")
        assert first.is_hidden("#fork")
        second.keyboard.press("ArrowRight")
        first.wait_for_function("document.getElementById('pipeline').dataset.activeStage === 'input'", timeout=10_000)

        # A reload of the watching tab (every page reloads when the room changes model) keeps it
        # watching: the two windows don't take the room from each other.
        first.reload()
        _role(first, code, "viewer")
        first.wait_for_selector("#reclaim", state="visible")
        assert second.evaluate("flowscope.state().session.role") == "owner"

        # Taking control back: the first drives again, the second is told why it watches.
        first.click("#reclaim")
        _role(first, code, "owner")
        _role(second, code, "viewer")
        second.wait_for_selector(".toast:has-text('took control')", timeout=5_000)

        # A student's own browser has no token: a viewer, and the teacher keeps the room.
        student = _page(student_ctx)
        student.goto(f"{server_url}/room/{code}")
        _role(student, code, "viewer")
        assert student.is_hidden("#reclaim") and student.is_visible("#fork")
        assert first.evaluate("flowscope.state().session.role") == "owner"
        for pg in (first, second, student):
            assert not pg.errors, pg.errors
    finally:
        teacher_ctx.close()
        student_ctx.close()
