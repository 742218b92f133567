"""A viewer refused by a per-address limit (issue 21, point 4) gets a page that says so, in plain words
and next to the join box, and stays usable — not "Connecting…" for good. A real server with
max_viewers_per_client = 1: the second page from this computer in one room is one too many."""
from __future__ import annotations

import pytest

from conftest import running_server

pytestmark = pytest.mark.e2e

READY = ("window.flowscope && flowscope.state().session && flowscope.state().conn === 'open'"
         " && !document.querySelector('#controls button').disabled")


@pytest.fixture(scope="module")
def strict_url(tmp_path_factory):
    with running_server(tmp_path_factory, {"FLOWSCOPE_MAX_VIEWERS_PER_CLIENT": "1"}) as url:
        yield url


def test_a_viewer_past_the_per_address_limit_is_told_and_can_join_elsewhere(browser, strict_url, shot):
    owner = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    owner.goto(f"{strict_url}/?model=neuron")
    owner.wait_for_function(READY, timeout=30_000)
    code = owner.evaluate("flowscope.state().session.id")
    first = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    first.goto(f"{strict_url}/room/{code}")
    first.wait_for_function("window.flowscope && flowscope.state().session && flowscope.state().room.role === 'viewer'", timeout=30_000)
    second = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    errors = []
    second.on("pageerror", lambda e: errors.append(str(e)))
    second.goto(f"{strict_url}/room/{code}")
    # the refusal stays in view beside the join box (not a 5-second toast over a page that never connects)
    note = second.locator("#join-error")
    note.wait_for(state="visible", timeout=30_000)
    text = note.text_content()
    assert "max_viewers_per_client" in text and code in text, text
    join = second.locator("#join-code")
    assert join.is_visible() and join.is_enabled()
    assert "Connecting" not in second.locator("body").inner_text()
    second.wait_for_timeout(5_500)  # longer than a toast lives
    assert note.is_visible()
    shot(second, "limit-viewer-refused-phone")
    # the page is usable: the person may start a room of their own from it
    second.locator("#join-own").click()
    second.wait_for_function(READY, timeout=30_000)
    assert second.evaluate("flowscope.state().room.role") == "owner"
    assert not note.is_visible()
    assert not errors, errors
    for p in (owner, first, second):
        p.context.close()
