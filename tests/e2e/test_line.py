"""The line model (y = a·x): its stages, the loss curve L(a), and a run that diverges."""
from __future__ import annotations

import pytest

from e2e_helpers import assert_fits_viewport, assert_stage_shown, open_app, press_and_wait_stage, state, wait_frame

pytestmark = pytest.mark.e2e


def test_line_stages_and_loss_curve(page, server_url, shot):
    session = open_app(page, f"{server_url}/?model=line")
    assert session["model"] == "line"
    assert "activation" not in session["stages"]
    assert page.is_visible("#curve")
    assert page.get_attribute("#dataplot", "data-kind") == "line"
    for name in session["stages"]:
        frame, _ = press_and_wait_stage(page, "ArrowRight", name)
        assert_stage_shown(page, frame)
    st = state(page)
    assert st["step"] == 1
    assert st["curve"] and st["curve"]["param"] == "a"
    before, after = st["move"]["from"]["w"][0], st["move"]["to"]["w"][0]
    assert after == frame["values"]["w"][0] and before != after, "the update leaves a downhill arrow"
    assert_fits_viewport(page)
    shot(page, "line-loss-curve")
    # Whole steps keep walking down the same landscape.
    for _ in range(3):
        page.keyboard.press("s")
    page.wait_for_function("flowscope.state().step >= 4")
    assert state(page)["loss"] < st["loss"]


def test_line_diverges_with_a_huge_learning_rate(page, server_url, shot):
    open_app(page, f"{server_url}/?model=line&lr=100")
    assert state(page)["lr"] == 100
    start = len(page.frames_seen.items)
    for _ in range(5):
        page.keyboard.press("s")
    wait_frame(page, "error", lambda m: m.get("code") == "diverged", start)
    page.wait_for_selector("#banner:not([hidden])", timeout=5_000)
    assert "diverged" in page.text_content("#banner").lower()
    shot(page, "line-diverged")
    # Still alive: more keys are answered, and R brings it back.
    page.keyboard.press("s")
    page.keyboard.press("r")
    page.wait_for_function("document.getElementById('step').textContent === '0'")
    page.wait_for_selector("#banner", state="hidden", timeout=5_000)
    frame, _ = press_and_wait_stage(page, "ArrowRight", "input")
    assert_stage_shown(page, frame)
