"""The teacher sees the class (issue 17 §2): the dashboard (C) lists the students by name with their
state — following, forked (with their run's step and loss, the engine's numbers), disconnected —;
give control (and the words after it), take it back, remove a student, bring everyone back; a student
who forked has "Back to the class". A teacher's laptop, a phone and a tablet. Screenshots: tests/e2e/screenshots."""
from __future__ import annotations

import pytest

from conftest import Frames
import e2e_helpers as helpers
from e2e_helpers import PHONE, SESSION_READY, SHOTS, TABLET, in_room

pytestmark = pytest.mark.e2e


def device(browser, **opts):
    ctx, pg = helpers.device(browser, **opts)
    pg.frames_seen = Frames(pg)
    return ctx, pg


def own_room(pg, not_code: str) -> str:
    pg.wait_for_function(SESSION_READY + f" && flowscope.state().session.id !== '{not_code}'"
                         " && flowscope.state().session.role === 'owner'", timeout=20_000)
    return pg.evaluate("flowscope.state().session.id")


def row(teacher, name: str) -> str:
    return f"#db-rows tr[data-name='{name}']"


def wait_state(teacher, name: str, state: str) -> None:
    teacher.wait_for_selector(f"{row(teacher, name)}[data-state='{state}']", timeout=15_000)


def test_dashboard_follows_the_class(browser, server_url):
    tctx, teacher = device(browser, viewport={"width": 1280, "height": 800})
    pctx, ana = device(browser, **PHONE)
    bctx, bo = device(browser, **TABLET)
    try:
        teacher.goto(f"{server_url}/")
        teacher.wait_for_function(SESSION_READY, timeout=20_000)
        code = teacher.evaluate("flowscope.state().session.id")
        ana.goto(f"{server_url}/room/{code}?name=Ana")
        bo.goto(f"{server_url}/room/{code}?name=Bo")
        in_room(ana, code, "viewer")
        in_room(bo, code, "viewer")
        # The students' pages have no Class button; the teacher's opens the dashboard with C.
        assert ana.is_hidden("#dashboard-button") and bo.is_hidden("#dashboard-button")
        teacher.keyboard.press("c")
        teacher.wait_for_selector("#dashboard", state="visible")
        wait_state(teacher, "Ana", "following")
        wait_state(teacher, "Bo", "following")
        assert teacher.text_content("#db-counts") == "2 following · 0 forked · 0 disconnected"

        # Ana forks and trains: the dashboard says forked, with her run's step and loss.
        ana.tap("#fork")
        mine = own_room(ana, code)
        assert ana.is_visible("#back-to-class")
        for _ in range(3):
            ana.tap("#controls #step")
            ana.wait_for_timeout(150)
        ana.wait_for_function("flowscope.state().step === 3", timeout=10_000)
        wait_state(teacher, "Ana", "forked")
        teacher.wait_for_function("s => document.querySelector(s)?.textContent === '3'",
                                  arg=f"{row(teacher, 'Ana')} .db-step", timeout=15_000)
        # the loss shown is the engine's: Ana's room's last metrics loss, formatted by the page
        last_loss = [m for m in ana.frames_seen.of("metrics") if m["step"] == 3][-1]["loss"]
        shown = teacher.text_content(f"{row(teacher, 'Ana')} .db-loss")
        assert shown == teacher.evaluate("async (v) => (await import('/static/render/format.js')).fmt(v)", last_loss)
        assert teacher.text_content("#db-counts") == "1 following · 1 forked · 0 disconnected"
        SHOTS.mkdir(parents=True, exist_ok=True)
        teacher.screenshot(path=str(SHOTS / "dashboard-1280.png"))

        # Back to the class: her own button.
        ana.tap("#back-to-class")
        in_room(ana, code, "viewer")
        wait_state(teacher, "Ana", "following")

        # Both fork; the teacher brings everyone back.
        ana.tap("#fork")
        own_room(ana, code)
        bo.tap("#fork")
        own_room(bo, code)
        wait_state(teacher, "Ana", "forked")
        wait_state(teacher, "Bo", "forked")
        for name in ("Ana", "Bo"):  # a fresh fork is asked for its progress at once: step 0, no loss yet
            teacher.wait_for_function("s => document.querySelector(s)?.textContent === '0'",
                                      arg=f"{row(teacher, name)} .db-step", timeout=10_000)
        teacher.set_viewport_size({"width": 1024, "height": 768})
        teacher.screenshot(path=str(SHOTS / "dashboard-1024.png"))
        teacher.click("#db-recall")
        in_room(ana, code, "viewer")
        in_room(bo, code, "viewer")
        wait_state(teacher, "Ana", "following")
        wait_state(teacher, "Bo", "following")
        assert mine != code

        # Give control to Bo: the teacher's page says who has it, in those words; then takes it back.
        teacher.click(f"{row(teacher, 'Bo')} button[data-act='give']")
        in_room(bo, code, "owner")
        in_room(teacher, code, "viewer")
        teacher.wait_for_function("[...document.querySelectorAll('.toast')].some(t => t.textContent.startsWith('You gave control to Bo'))",
                                  timeout=10_000)
        assert not teacher.evaluate("[...document.querySelectorAll('.toast')].some(t => t.textContent.includes('other tab'))")
        teacher.wait_for_function("document.getElementById('db-driver').textContent.startsWith('You gave control to Bo')")
        wait_state(teacher, "Bo", "following")
        assert teacher.text_content(f"{row(teacher, 'Bo')} .db-state") == "driving"
        teacher.click(f"{row(teacher, 'Bo')} button[data-act='back']")
        in_room(teacher, code, "owner")
        in_room(bo, code, "viewer")

        # Bo's tablet goes away: disconnected, still listed. Ana is removed: her page is told.
        bctx.close()
        wait_state(teacher, "Bo", "disconnected")
        teacher.click(f"{row(teacher, 'Ana')} button[data-act='remove']")
        ana.wait_for_url("**/join?*", timeout=15_000)
        ana.wait_for_function("document.getElementById('jp-error').textContent.includes('removed you')", timeout=15_000)
        teacher.wait_for_selector(row(teacher, "Ana"), state="detached", timeout=10_000)
        for pg in (teacher, ana):
            assert not pg.errors, pg.errors
    finally:
        for ctx in (tctx, pctx, bctx):
            ctx.close()
