"""A real class's screens: a phone (390×844, touch), a 1024×768 projector and a 1920×1080 projector in
presenter mode each walk a lesson with a clicker's PageDown, and at every step nothing overlaps,
no text is cut, the page never scrolls sideways, the step's controls can be reached and (phone)
are 44 px tall, (1920) every text is 22 px or more; on the last step, trained until a step raises the
whole set's loss, its "Up on this step" note leaves the loss chart whole (no text over it, and on a
projector the chart still 220 × 140 px or more). Then a teacher and a phone watcher in one room:
the teacher moves the lesson with PageDown, the phone follows, its ribbon keeping the lit stage in
view. Screenshots: tests/e2e/screenshots/class-*.png."""
from __future__ import annotations

from pathlib import Path

import pytest

from e2e_helpers import SESSION_READY, device
from flowscope.server.lessons import COURSE
from layout_audit import SMALL_CHARTS, audit, unreachable

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parent / "screenshots"

COURSE = list(COURSE)  # the server's course order (server/lessons.py): the menu lists it as served
LESSON_STEPS = 7  # frontend/lessons/neuron-flow.json
SCREENS = {
    "phone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, presenter=False),
    "1024-presenter": dict(viewport={"width": 1024, "height": 768}, presenter=True),
    "1920-presenter": dict(viewport={"width": 1920, "height": 1080}, presenter=True),
}


def _context(browser, screen: dict):
    return device(browser, **{k: v for k, v in screen.items() if k != "presenter"})


def _press(pg, selector: str, touch: bool) -> None:
    if touch:
        pg.tap(selector)
    else:
        pg.click(selector)


def _lesson_step(pg) -> int:
    return int(pg.get_attribute("#lesson-panel", "data-step"))


def _step_controls(pg) -> list[str]:
    """The buttons the open lesson step leaves on (its `controls`), plus the lesson's way on."""
    ids = pg.evaluate("""() => {
      const r = flowscope.state().room;
      return r.lessonData[r.lesson.id].steps[r.lesson.step].controls.filter(c => ['stage','back','step','play','reset'].includes(c));
    }""")
    nav = "#lesson-next-lesson" if pg.is_visible("#lesson-next-lesson") else "#lesson-next"
    return [f"#controls #{c}" for c in ids] + ["#lesson-prev", nav]


def _train_until_the_loss_rises(pg, most: int = 10) -> int:
    """Whole steps (S) until one raises the whole set's loss and the loss chart says why; how many.
    (The lesson's seeded run, η = 0.5 and one sample a step, rises on its first step.)"""
    for n in range(1, most + 1):
        pg.keyboard.press("s")
        pg.wait_for_function("n => document.getElementById('losschart').dataset.points === String(n)", arg=n, timeout=10_000)
        if pg.is_visible("#losschart .loss-note"):
            return n
    raise AssertionError(f"no step in {most} raised the whole set's loss")


def _check(pg, name: str, *, phone: bool, big: bool) -> None:
    found = audit(pg, phone=phone, min_font=22 if big else None)
    assert not found, f"{name}: {found}"
    blocked = unreachable(pg, _step_controls(pg))
    assert not blocked, f"{name}: {blocked}"
    pg.evaluate("window.scrollTo(0, 0)")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_lesson_walk_fits_the_screen(browser, server_url, shot, screen):
    s = SCREENS[screen]
    phone = screen == "phone"
    ctx, pg = _context(browser, s)
    try:
        pg.goto(f"{server_url}/{'?presenter=1' if s['presenter'] else ''}")
        pg.wait_for_function(SESSION_READY, timeout=15_000)
        # The Lessons menu lists the course in teaching order.
        _press(pg, "#lessons-button", phone)
        pg.wait_for_selector("#lessons-menu button[data-lesson]")
        assert pg.eval_on_selector_all("#lessons-menu button[data-lesson]", "bs => bs.map(b => b.dataset.lesson)") == COURSE
        _press(pg, '#lessons-menu button[data-lesson="neuron-flow"]', phone)
        pg.wait_for_selector("#lesson-panel[data-step='0']", state="visible")
        if s["presenter"]:
            assert pg.evaluate("document.documentElement.classList.contains('presenter')")
        for k in range(LESSON_STEPS):
            pg.wait_for_function("k => document.getElementById('lesson-panel').dataset.step === String(k)"
                                 " && flowscope.state().session", arg=k, timeout=10_000)
            pg.wait_for_timeout(150)  # the layout settles (lesson views, canvases sized again)
            if k == 5:  # a step with the loss chart: one stage forward, so the ribbon has a lit box
                pg.keyboard.press("ArrowRight")
                pg.wait_for_function("document.getElementById('pipeline').dataset.activeStage === 'input'")
            if k == LESSON_STEPS - 1:  # "Let it learn": a step that raised the loss brings its note
                _train_until_the_loss_rises(pg)
                pg.wait_for_timeout(150)  # the chart's canvas is sized again around the note
                if not phone:
                    assert not pg.evaluate(SMALL_CHARTS, [220, 140]), pg.evaluate(SMALL_CHARTS, [220, 140])
                shot(pg, f"class-{screen}-loss-note")
            _check(pg, f"{screen} step {k}", phone=phone, big=screen == "1920-presenter")
            if k in (0, 5):
                shot(pg, f"class-{screen}-step{k}")
            if k < LESSON_STEPS - 1:
                pg.keyboard.press("PageDown")  # what a presentation clicker sends
        # The last step offers the course's next lesson; PageUp goes back a step.
        assert pg.text_content("#lesson-next-lesson").startswith("Next lesson: Finding a")
        assert pg.is_hidden("#lesson-next")
        pg.keyboard.press("PageUp")
        pg.wait_for_selector(f"#lesson-panel[data-step='{LESSON_STEPS - 2}']")
        if phone:
            # A phone reads down: the loop, the lesson, the formula, the data plot, the loss chart.
            tops = pg.evaluate("""() => ['pipeline', 'lesson-panel', 'formula-panel', 'dataplot', 'losschart']
                .map(id => document.getElementById(id).getBoundingClientRect().top)""")
            assert tops == sorted(tops), tops
        if screen == "1920-presenter":
            # Chart type grows with presenter mode: 14 px ticks × 1.75 ≈ 24.5 px.
            assert pg.get_attribute("#dataplot canvas", "data-zoom") == "1.75"
            ribbon_px = pg.eval_on_selector("#pipeline .stage-sub", "e => parseFloat(getComputedStyle(e).fontSize)")
            assert ribbon_px >= 24
        assert not pg.errors, pg.errors
    finally:
        ctx.close()


PAGES = {"neuron": "/", "line": "/?model=line", "mlp": "/?model=mlp", "transformer": "/?model=transformer", "descent": "/descent"}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_page_fits(browser, server_url, shot, screen):
    """Each model's page and the Descent page, as they open: the same checks as the lesson walk."""
    s = SCREENS[screen]
    ctx, pg = _context(browser, s)
    try:
        for name, path in PAGES.items():
            sep = "&" if "?" in path else "?"
            pg.goto(f"{server_url}{path}{sep + 'presenter=1' if s['presenter'] else ''}")
            if name == "descent":
                pg.wait_for_selector("#lanes .lane", timeout=15_000)
            else:
                pg.wait_for_function(SESSION_READY, timeout=20_000)
            pg.wait_for_timeout(500)
            found = audit(pg, phone=screen == "phone", min_font=22 if screen == "1920-presenter" else None)
            assert not found, f"{name} on {screen}: {found}"
            controls = [f"#controls #{c}{'-btn' if name == 'descent' else ''}" for c in ("step", "play", "reset")]
            assert not unreachable(pg, controls), (name, unreachable(pg, controls))
            pg.evaluate("window.scrollTo(0, 0)")
            if screen == "phone":
                pg.screenshot(path=str(SHOTS / f"class-page-{name}-{screen}.png"), full_page=True)
            else:
                shot(pg, f"class-page-{name}-{screen}")
        assert not pg.errors, pg.errors
    finally:
        ctx.close()


def test_teacher_clicker_phone_follows(browser, server_url, shot):
    tctx, teacher = _context(browser, {"viewport": {"width": 1280, "height": 800}})
    pctx, phone = _context(browser, SCREENS["phone"])
    try:
        teacher.goto(f"{server_url}/")
        teacher.wait_for_function(SESSION_READY, timeout=15_000)
        code = teacher.evaluate("flowscope.state().session.id")
        # The test server listens on 127.0.0.1 only: the room card says the link won't reach phones.
        teacher.click("#room-button")
        teacher.wait_for_selector("#room-local", state="visible")
        assert "--classroom" in teacher.text_content("#room-local")
        teacher.keyboard.press("Escape")
        teacher.click("#lessons-button")
        teacher.click('#lessons-menu button[data-lesson="neuron-flow"]')
        teacher.wait_for_selector("#lesson-panel[data-step='0']", state="visible")

        phone.goto(f"{server_url}/room/{code}?name=Ana")
        phone.wait_for_function(SESSION_READY + " && flowscope.state().session.role === 'viewer'", timeout=15_000)
        phone.wait_for_selector("#lesson-panel[data-step='0']", state="visible")
        assert phone.is_hidden("#lesson-prev") and phone.is_visible("#lesson-follow")

        for k in range(1, LESSON_STEPS):
            teacher.keyboard.press("PageDown")
            teacher.wait_for_selector(f"#lesson-panel[data-step='{k}']")
            phone.wait_for_selector(f"#lesson-panel[data-step='{k}']", timeout=10_000)
            assert phone.text_content("#lesson-step-title") == teacher.text_content("#lesson-step-title")
        # The teacher walks the stages; the phone's loop, wider than the phone, keeps the lit box in view.
        for stage in ("input", "weights", "linear", "activation", "loss"):
            teacher.keyboard.press("ArrowRight")
            phone.wait_for_function("s => document.getElementById('pipeline').dataset.activeStage === s", arg=stage, timeout=10_000)
        phone.wait_for_timeout(200)
        inside = phone.evaluate("""() => {
          const p = document.getElementById('pipeline').getBoundingClientRect();
          const b = document.querySelector('#pipeline .stage-box.active').getBoundingClientRect();
          return b.left >= p.left - 1 && b.right <= p.right + 1;
        }""")
        assert inside, "the lit stage is scrolled out of the phone's view"
        found = audit(phone, phone=True)
        assert not found, found
        tops = phone.evaluate("""() => ['pipeline', 'formula-panel', 'dataplot', 'losschart']
            .map(id => document.getElementById(id).getBoundingClientRect().top)""")
        assert tops == sorted(tops), tops
        shot(phone, "class-phone-viewer")
        phone.screenshot(path=str(SHOTS / "class-phone-viewer-full.png"), full_page=True)
        # The teacher's last step goes on to the next lesson, on another model: the whole room moves,
        # same code, and the phone follows it there.
        teacher.keyboard.press("PageDown")
        moved = ("window.flowscope && flowscope.state().session && flowscope.state().session.model === 'line'"
                 " && flowscope.state().session.id === code && flowscope.state().room.lesson"
                 " && flowscope.state().room.lesson.id === 'find-a'")
        teacher.wait_for_function(f"(code) => {moved} && flowscope.state().session.role === 'owner'", arg=code,
                                  timeout=30_000)
        phone.wait_for_function(f"(code) => {moved} && flowscope.state().session.role === 'viewer'", arg=code,
                                timeout=30_000)
        phone.wait_for_selector("#lesson-panel[data-step='0']", state="visible")
        shot(phone, "class-phone-followed-to-line")
        assert not teacher.errors and not phone.errors, (teacher.errors, phone.errors)
    finally:
        tctx.close()
        pctx.close()


def test_typed_rate_applies_on_space(page, server_url):
    """Typing a learning rate and pressing Space (play) trains at the typed rate, no Enter needed."""
    page.goto(f"{server_url}/")
    page.wait_for_function(SESSION_READY, timeout=15_000)
    page.fill('#settings input[name="lr"]', "2")
    page.keyboard.press(" ")
    page.wait_for_function("flowscope.state().playing && flowscope.state().lr === 2", timeout=10_000)  # the server's rate
    assert page.evaluate("document.activeElement === document.body || !document.activeElement.matches('input')")
    page.keyboard.press(" ")
    page.wait_for_function("!flowscope.state().playing", timeout=10_000)
