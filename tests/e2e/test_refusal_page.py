"""A setting the server refuses never leaves a dead page (issue 22, §1): from the address or from a
control, the run starts (or goes on) with the last good value or the engine's default, the reason
stays beside that setting's control until it changes, and the address says what runs."""
from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.e2e

READY = ("window.flowscope && flowscope.state().session && flowscope.state().conn === 'open'"
         " && !document.querySelector('#controls button').disabled")
# the e2e server runs with the default --max-workers (this machine's core count): one more is refused
TOO_MANY = (os.cpu_count() or 1) + 1


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


@pytest.mark.parametrize("model,key,value,shown", [
    ("line", "batch_size", "0", "batch_size = 0"),
    ("transformer", "lr", "100", "lr = 100"),  # the README's "try lr=100", on the page that refuses it
    ("transformer", "workers", str(TOO_MANY), f"workers = {TOO_MANY}"),
    ("transformer", "n_embd", "65", "n_embd = 65"),  # a rule between settings: 65 is no multiple of 2 heads
])
def test_a_refused_setting_in_the_address_still_starts_the_run(page, server_url, shot, model, key, value, shown):
    page.goto(f"{server_url}/?model={model}&{key}={value}")
    page.wait_for_function(READY, timeout=30_000)  # before: "Connecting…" and every button disabled, for good
    config = page.evaluate("flowscope.state().session.config")
    assert str(config[key]) != value, "the run has the engine's default, not the refused value"
    note = page.locator(f'.refusal[data-refused="{key}"]')
    note.wait_for(state="visible", timeout=5_000)
    text = note.text_content()
    assert shown in text and f"Running with {key} = " in text, text
    control = page.locator(f'[name="{key}"]')
    assert control.get_attribute("aria-invalid") == "true"
    assert _query(page).get(key) == str(config[key]), "the address says what runs"
    page.wait_for_timeout(5_500)  # longer than a toast lives: the reason is still there
    assert note.is_visible()
    shot(page, f"refused-{model}-{key}")


def test_a_refused_value_typed_in_a_control_goes_back_and_says_why(page, server_url, shot):
    page.goto(f"{server_url}/?model=line")
    page.wait_for_function(READY, timeout=15_000)
    field = page.locator('#settings input[name="lr"]')
    before = page.evaluate("flowscope.state().session.config.lr")
    field.fill("5000")
    field.press("Enter")
    note = page.locator('.refusal[data-refused="lr"]')
    note.wait_for(state="visible", timeout=5_000)
    assert "lr = 5000" in note.text_content()
    assert page.evaluate("flowscope.state().session.config.lr") == before
    page.wait_for_function("(v) => flowscope.state().lr === v", arg=before, timeout=5_000)
    assert field.input_value() == str(before), "the field shows the value that runs"
    assert _query(page)["lr"] == str(before)
    page.keyboard.press("s")  # the page still trains
    page.wait_for_function("flowscope.state().step >= 1", timeout=5_000)
    shot(page, "refused-line-lr-control")
    field.fill("0.05")
    field.press("Enter")
    note.wait_for(state="detached", timeout=5_000)  # changed: the old reason goes
    assert field.get_attribute("aria-invalid") is None
    page.wait_for_function("flowscope.state().lr === 0.05", timeout=5_000)


def test_a_refused_join_says_why_on_the_join_page(page, server_url):
    page.goto(f"{server_url}/room/ZZZZZ")  # no such room (Z is in the alphabet; the code is not live)
    # the students' join page, with the code kept and the server's reason beside it
    page.wait_for_url("**/join?*", timeout=15_000)
    page.wait_for_function("document.querySelector('#jp-error')?.textContent.includes('ZZZZZ')", timeout=15_000)
    assert page.input_value("#jp-code") == "ZZZZZ"
    assert page.evaluate("document.activeElement.id") == "jp-code", "the code box has the focus, to type it again"
