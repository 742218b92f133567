"""The line model (y = a·x): its stages, the loss curve L(a), and a run that diverges."""
from __future__ import annotations

import pytest

from e2e_helpers import assert_fits_viewport, assert_stage_shown, open_app, press_and_wait_stage, state, wait_frame

pytestmark = pytest.mark.e2e


def test_line_stages_and_loss_curve(page, server_url, shot):
    session = open_app(page, f"{server_url}/?model=line")
    assert session["model"] == "line"
    assert "activation" not in [e["stage"] for e in session["plan"]]
    assert page.is_visible("#curve")
    assert page.get_attribute("#dataplot", "data-kind") == "line"
    for name in [e["stage"] for e in session["plan"]]:
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


def test_a_line_without_bias_shows_no_b_and_no_gradient_for_it(page, server_url):
    """b is no parameter with bias off: its gradient is absent from the page, not shown as 0."""
    session = open_app(page, f"{server_url}/?model=line")
    assert session["config"]["bias"] is False
    frames = {}
    for name in [e["stage"] for e in session["plan"]]:
        frames[name], _ = press_and_wait_stage(page, "ArrowRight", name)
    assert "grad_b" not in frames["gradients"]["values"] and "b" not in frames["update"]["values"]
    assert_stage_shown(page, frames["update"])  # the table has exactly the frame's rows: no b
    boxes = page.eval_on_selector_all("#pipeline .stage-box", "els => els.map(e => [e.dataset.stage, e.textContent])")
    for stage, text in boxes:
        if stage in ("weights", "update", "gradients"):
            assert "b =" not in text and "∂L/∂b =" not in text, (stage, text)
    page.keyboard.press("ArrowLeft")  # back to the gradients stage: no ∂L/∂b row
    page.wait_for_function("document.getElementById('pipeline').dataset.activeStage === 'gradients'")
    assert page.eval_on_selector_all('#values tr[data-key="grad_b"]', "rows => rows.length") == 0
