"""The classroom in the browser, with two pages: a teacher who drives and a student who watches.
Rooms (code, QR code, link without the token), stages in sync, hand-over and take-back, fork, the
owner token surviving a reload, lessons followed by the room, presenter mode, saved runs."""
from __future__ import annotations

import json
import urllib.request

import pytest

from e2e_helpers import SESSION_READY, assert_fits_viewport, open_app, press_and_wait_stage, state

pytestmark = pytest.mark.e2e

ROLE = "window.flowscope && flowscope.state().session && flowscope.state().session.role === {!r} && flowscope.state().conn === 'open'"


@pytest.fixture
def student(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    errors = list(pg.errors)
    ctx.close()
    assert not errors, f"student page threw: {errors}"


def wait_role(pg, role: str, room: str | None = None) -> dict:
    cond = ROLE.format(role) + (f" && flowscope.state().session.id === {room!r}" if room else "")
    pg.wait_for_function(cond + " && flowscope.state().params", timeout=15_000)
    return pg.evaluate("flowscope.state().session")


def font_px(pg, selector: str) -> float:
    return pg.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)")


def test_teacher_and_student(page, student, server_url, shot):
    teacher = page
    session = open_app(teacher, f"{server_url}/")
    code = session["id"]
    token = teacher.frames_seen.last("session")["token"]
    assert session["role"] == "owner" and len(code) == 5
    # The page's URL is the room's (a reload comes back to it) and never holds the token.
    teacher.wait_for_function("c => location.pathname === '/room/' + c", arg=code)
    assert token not in teacher.url and "seed=0" in teacher.url
    assert teacher.evaluate("c => localStorage.getItem('flowscope.token.' + c)", code) == token

    # The room card: the code, the link others open, its QR code.
    assert teacher.text_content("#room-code") == code
    teacher.click("#room-button")
    assert teacher.text_content("#room-code-big") == code
    link = teacher.text_content("#room-link")
    assert link == f"{server_url}/room/{code}"
    assert teacher.get_attribute("#room-qr", "src").startswith("/api/qr?text=")
    teacher.wait_for_function("document.getElementById('room-qr').naturalWidth > 100")
    assert font_px(teacher, "#room-code-big") >= 48
    teacher.click("#copy-link")
    teacher.wait_for_function("document.getElementById('copy-status').textContent !== ''")
    teacher.keyboard.press("Escape")
    assert teacher.is_hidden("#room-panel")

    # The student opens the link with a name: a viewer, everything that drives disabled.
    student.goto(f"{link}?name=Ana")
    wait_role(student, "viewer", code)
    student.wait_for_selector("#fork", state="visible")
    assert student.text_content("#watching") == f"watching room {code}"
    for sel in ("#stage", "#back", "#controls #step", "#play", "#reset", 'input[name="lr"]'):
        assert student.is_disabled(sel), sel
    assert student.is_visible("#fork") and not student.is_visible("#reclaim")

    # The teacher steps; the student sees the same stage and the same formula.
    for name in ("input", "weights", "linear"):
        frame, _ = press_and_wait_stage(teacher, "ArrowRight", name)
        student.wait_for_function(
            "([n, f]) => document.getElementById('pipeline').dataset.activeStage === n"
            " && document.getElementById('formula').textContent === f", arg=[name, frame["formula"]])
    assert student.text_content("#formula") == teacher.text_content("#formula")
    shot(student, "classroom-student")

    # A viewer's key press is refused by the server, politely, and changes nothing.
    student.keyboard.press("ArrowRight")
    student.wait_for_selector(".toast:has-text('only its owner can drive it')")
    assert "fork" in student.text_content(".toast")
    assert teacher.get_attribute("#pipeline", "data-active-stage") == "linear"

    # Hand-over: the teacher's list names Ana; she drives, then the teacher takes it back.
    teacher.click("#room-button")
    give = teacher.wait_for_selector("#roster li:has-text('Ana') button.give")
    shot(teacher, "classroom-teacher")
    give.click()
    wait_role(student, "owner", code)
    student.wait_for_selector("#driving", state="visible")
    assert student.text_content("#driving") == "you are driving"
    assert not student.is_disabled("#stage")
    wait_role(teacher, "viewer", code)
    teacher.keyboard.press("Escape")
    teacher.wait_for_selector("#reclaim", state="visible")
    assert not teacher.is_visible("#fork")
    student.keyboard.press("ArrowRight")
    student.wait_for_function("document.getElementById('pipeline').dataset.activeStage === 'activation'")
    teacher.wait_for_function("document.getElementById('pipeline').dataset.activeStage === 'activation'")
    teacher.click("#reclaim")
    wait_role(teacher, "owner", code)
    wait_role(student, "viewer", code)
    student.wait_for_selector("#driving", state="hidden")

    # Fork: the student gets a room of her own (and its token), the URL says so.
    student.click("#fork")
    student.wait_for_function(ROLE.format("owner") + " && flowscope.state().session.id !== " + repr(code))
    mine = state(student)["session"]["id"]
    student.wait_for_function("c => location.pathname === '/room/' + c", arg=mine)
    assert student.text_content("#room-code") == mine
    assert student.evaluate("c => localStorage.getItem('flowscope.token.' + c)", mine)
    assert state(student)["step"] == state(teacher)["step"]  # a copy of the room as it was

    # Back into the teacher's room through "Join a room", typing the code as read off the wall.
    student.click("#room-button")
    student.fill("#join-code", code.lower())
    student.fill("#join-name", "Ana")
    student.click("#join-go")
    wait_role(student, "viewer", code)
    assert "name=Ana" in student.url

    # The teacher reloads: the stored token makes the room theirs again, same code.
    teacher.reload()
    wait_role(teacher, "owner", code)
    teacher.wait_for_function(SESSION_READY)

    # A lesson: the teacher opens it and moves to step 2; the student's page follows.
    teacher.click("#lessons-button")
    teacher.click("#lessons-menu button[data-lesson='neuron-flow']")
    teacher.wait_for_function("document.getElementById('lesson-progress').textContent === 'step 1 of 7'")
    teacher.click("#lesson-next")
    teacher.wait_for_function("document.getElementById('lesson-progress').textContent === 'step 2 of 7'")
    title = teacher.text_content("#lesson-step-title")
    assert title == "Weigh and add"
    student.wait_for_function("document.getElementById('lesson-panel').dataset.step === '1' && !document.getElementById('lesson-panel').hidden")
    assert student.text_content("#lesson-step-title") == title
    assert student.text_content("#lesson-progress") == "step 2 of 7"
    assert student.is_hidden("#lesson-next")  # the teacher moves the lesson
    # The step shows pipeline, formula and data only, and offers Stage, Back and Reset.
    for pg in (teacher, student):
        assert pg.is_hidden("#losschart") and pg.is_visible("#dataplot") and pg.is_visible("#formula-panel")
        assert pg.is_hidden("#controls #step") and pg.is_hidden("#settings")
    teacher.keyboard.press("r")
    teacher.wait_for_function("flowscope.state().step === 0 && !flowscope.state().stage")
    teacher.wait_for_function("document.getElementById('lesson-goal').dataset.met === 'false'")
    for name in ("input", "weights", "linear"):
        press_and_wait_stage(teacher, "ArrowRight", name)
    teacher.wait_for_function("document.getElementById('lesson-goal').dataset.met === 'true'")
    student.wait_for_function("document.getElementById('lesson-goal').dataset.met === 'true'")
    teacher.keyboard.press("s")  # not offered in this step: nothing happens
    teacher.wait_for_timeout(300)
    assert state(teacher)["step"] == 0
    assert_fits_viewport(teacher)
    shot(teacher, "lesson")
    teacher.click("#lesson-close")
    teacher.wait_for_selector("#lesson-panel", state="hidden")
    teacher.wait_for_selector("#losschart", state="visible")

    # Presenter mode: P makes the type larger, hides the settings form, and the URL remembers it.
    before = font_px(teacher, "#formula-panel .caption")
    teacher.keyboard.press("p")
    teacher.wait_for_function("document.documentElement.classList.contains('presenter')")
    assert font_px(teacher, "#formula-panel .caption") > before * 1.15
    teacher.wait_for_selector("#settings", state="hidden")
    assert "presenter=1" in teacher.url
    assert_fits_viewport(teacher)
    shot(teacher, "presenter")
    teacher.click("#presenter-toggle")
    teacher.wait_for_function("!document.documentElement.classList.contains('presenter')")
    teacher.wait_for_selector("#settings", state="visible")
    assert "presenter" not in teacher.url

    # Save, then load: the run comes back in a new room of the teacher's, at the same step.
    teacher.keyboard.press("s")
    teacher.wait_for_function("flowscope.state().step === 1")
    teacher.click("#room-button")
    teacher.fill("#save-name", "class demo")
    teacher.click("#save-run")
    teacher.wait_for_function("document.getElementById('saved-line').dataset.id")
    run_id = teacher.get_attribute("#saved-line", "data-id")
    assert f"run {run_id}" in teacher.text_content("#saved-line")
    row = teacher.wait_for_selector(f"#runs li[data-run='{run_id}']")
    assert "class demo" in row.text_content()
    href = teacher.get_attribute(f"#runs li[data-run='{run_id}'] a", "href")
    assert href.startswith(f"/api/runs/{run_id}/weights?token=")  # only the owner token downloads it
    weights = teacher.request.get(server_url + href)
    assert weights.ok and len(weights.body()) > 100
    teacher.click(f"#runs li[data-run='{run_id}'] button")
    teacher.wait_for_function(ROLE.format("owner") + f" && flowscope.state().session.id !== {code!r}")
    teacher.wait_for_function("flowscope.state().step === 1")
    teacher.wait_for_function("location.pathname === '/room/' + flowscope.state().session.id")


def test_locks_and_hidden_controls_from_the_link(page, server_url):
    open_app(page, f"{server_url}/?lr=0.25&seed=7&lock=lr,step&hide=reset")
    page.wait_for_function("location.pathname.startsWith('/room/')")  # drawn once with the session
    page.wait_for_selector("#reset", state="hidden")
    assert page.is_disabled('input[name="lr"]') and page.is_disabled("#controls #step")
    assert not page.is_disabled("#stage")
    page.keyboard.press("s")  # locked: not sent
    page.keyboard.press("r")  # hidden: not sent
    page.wait_for_timeout(300)
    assert state(page)["step"] == 0 and state(page)["session"]["config"]["seed"] == 7
    assert "lock=lr,step" in page.url and "hide=reset" in page.url  # a reload keeps them
    # The owner's share popover builds a room link and a run link with what is ticked.
    page.click("#room-button")
    page.click("#share summary")
    page.check("#share input[data-kind='lock'][data-group='seed']")
    page.check("#share input[data-kind='hide'][data-group='settings']")
    code = state(page)["session"]["id"]
    assert page.input_value("#share-room") == f"{server_url}/room/{code}?hide=settings&lock=seed"
    run = page.input_value("#share-run")
    assert run.startswith(f"{server_url}/?lr=0.25&") and "seed=7" in run and run.endswith("lock=seed&hide=settings")


def test_every_setting_round_trips_through_the_url(page, server_url):
    """A shared link reproduces the run: every config key of every model, with the live schema."""
    open_app(page, f"{server_url}/")
    with urllib.request.urlopen(f"{server_url}/api/schema") as r:
        schema = json.load(r)
    result = page.evaluate("""async (schema) => {
        const c = await import('/static/config.js');
        const { SCHEMA } = await import('/static/schema.js');  // the page's only schema: the served one
        const out = {};
        for (const [model, s] of Object.entries(schema.models)) {
            if (!c.MODELS.includes(model)) continue;  // a model without a page yet
            const config = {};
            for (const [k, p] of Object.entries(s.properties)) config[k] = p.default;
            if (model === 'mlp') Object.assign(config, {hidden: [3, 2], activation: ['relu', 'tanh'], features: ['x1', 'x1x2']});
            config.seed = 12345;
            const back = c.readLocation('/', c.locationSearch(model, config));
            out[model] = {config, back, page: Object.keys(SCHEMA.models[model].properties)};
        }
        return out;
    }""", schema)
    assert {"neuron", "line", "mlp"} <= set(result)
    left_out = {"text"}  # a transformer's own training text is data, not a setting: never in a URL
    for model, r in result.items():
        assert r["back"]["model"] == model and r["back"]["ignored"] == []
        expected = {k: v for k, v in r["config"].items() if v is not None and k not in left_out}
        assert r["back"]["config"] == expected, model
        assert set(schema["models"][model]["properties"]) == set(r["page"]), model
