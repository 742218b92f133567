"""Shared steps for the browser tests (imported by the test modules)."""
from __future__ import annotations

import time
from pathlib import Path

SESSION_READY = (
    "window.flowscope && flowscope.state().session && flowscope.state().dataset"
    " && flowscope.state().params && flowscope.state().conn === 'open'"
)


def open_app(page, url: str) -> dict:
    page.goto(url)
    page.wait_for_function(SESSION_READY, timeout=15_000)
    return page.evaluate("flowscope.state().session")


def assert_fits_viewport(page) -> None:
    """The main views fit 1280×800 without scrolling (a projector shows no scrollbars)."""
    w, h = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    assert w <= vw and h <= vh, f"page is {w}×{h}, viewport {vw}×{vh}"


def state(page) -> dict:
    return page.evaluate("flowscope.state()")


def fmt_value(page, value):
    """Format a value exactly as the page does (its own format.js), to compare with the DOM."""
    return page.evaluate("async (v) => (await import('/static/render/format.js')).fmtValue(v)", value)


def wait_frame(page, kind: str, pred=lambda m: True, start: int = 0, timeout: float = 5.0) -> dict:
    """The first frame of `kind` after index `start` matching `pred` (frames arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        for m in page.frames_seen.items[start:]:
            if m.get("type") == kind and pred(m):
                return m
        if time.monotonic() > deadline:
            raise AssertionError(f"no {kind} frame after #{start}; got {[m.get('type') for m in page.frames_seen.items[start:]]}")
        page.wait_for_timeout(20)


def press_and_wait_stage(page, key: str, expected: str) -> tuple[dict, dict]:
    """Press `key`; wait until `expected` is the lit stage. Returns its frame and the timings in ms
    from the key press: `drawn` (views updated) and `received` (its frame arrived)."""
    start = len(page.frames_seen.items)
    t0 = page.evaluate("performance.now()")
    page.keyboard.press(key)
    page.wait_for_function(
        "([name, t0]) => document.getElementById('pipeline').dataset.activeStage === name"
        " && flowscope.lastStageDrawnAt > t0",
        arg=[expected, t0],
        timeout=5_000,
    )
    drawn, received = page.evaluate("[flowscope.lastStageDrawnAt, flowscope.lastStageReceivedAt]")
    frame = wait_frame(page, "stage", lambda m: m["stage"] == expected, start)
    return frame, {"drawn": drawn - t0, "received": received - t0}


def assert_stage_shown(page, frame: dict) -> None:
    """The lit box, the formula and every value in the table are the ones the server sent."""
    name = frame["stage"]
    assert page.get_attribute("#pipeline", "data-active-stage") == name
    lit = page.eval_on_selector_all("#pipeline .stage-box.active", "els => els.map(e => e.dataset.stage)")
    assert lit == [name]
    assert page.text_content("#formula") == frame["formula"]
    for key, value in frame["values"].items():
        cell = page.text_content(f'#values tr[data-key="{key}"] td')
        assert cell == fmt_value(page, value), (name, key, cell, value)
    shown = page.eval_on_selector_all("#values tr", "rows => rows.map(r => r.dataset.key)")
    assert sorted(shown) == sorted(frame["values"]), (shown, list(frame["values"]))


# a class's devices (issue 17's browser tests): a phone and a tablet beside the teacher's screen
PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
TABLET = dict(viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True)
SHOTS = Path(__file__).resolve().parent / "screenshots"


def device(browser, **opts):
    """A browser context and its page, recording the page's uncaught errors in `page.errors`."""
    ctx = browser.new_context(**opts)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return ctx, pg


def in_room(pg, code: str, role: str) -> None:
    """Wait until `pg` is in room `code` with `role` (its session answered)."""
    pg.wait_for_function(SESSION_READY + f" && flowscope.state().session.id === '{code}'"
                         f" && flowscope.state().session.role === '{role}'", timeout=20_000)
