"""Undo in the page (issue 13: no silent loss of work): a reset after training offers Undo, which
brings the trained run back whole."""
import pytest

from e2e_helpers import SESSION_READY

pytestmark = pytest.mark.e2e


def test_reset_then_undo_brings_the_run_back(page, server_url, shot):
    page.goto(f"{server_url}/")
    page.wait_for_function(SESSION_READY, timeout=15_000)
    for _ in range(5):
        page.keyboard.press("s")
    page.wait_for_function("flowscope.state().step === 5", timeout=10_000)
    trained = page.evaluate("JSON.stringify(flowscope.state().params)")
    assert page.is_hidden("#undo")
    page.keyboard.press("r")
    page.wait_for_function("flowscope.state().step === 0", timeout=10_000)
    page.wait_for_selector("#undo", state="visible")
    assert "back to step 5" in page.text_content("#undo")
    shot(page, "undo-offered")
    page.click("#undo")
    page.wait_for_function("flowscope.state().step === 5", timeout=10_000)
    assert page.evaluate("JSON.stringify(flowscope.state().params)") == trained
    page.wait_for_selector("#undo", state="hidden")
    assert not page.errors, page.errors
