"""The Descent page refuses an out-of-bounds η the way every page refuses a setting (issue 22 §1):
the reason beside the field, the typed value kept and marked invalid, the race and the address
keep the η that runs (before: the box silently went back to the old value)."""
from __future__ import annotations

import pytest

from test_descent_page import SETTLED, open_descent, race

pytestmark = pytest.mark.e2e


def test_an_eta_above_the_bound_is_refused_beside_its_field(page, server_url, shot):
    open_descent(page, server_url, "?racers=sgd,adam&lr=0.1", racers=2)
    maximum = float(page.get_attribute(".lane input", "max"))
    lr = page.locator(".lane").nth(0).locator("input")
    typed = str(int(maximum * 5))
    lr.fill(typed)
    lr.press("Enter")
    note = page.locator('.lane .refusal[data-refused="lr"]')
    note.wait_for(timeout=5_000)
    assert f"lr = {typed}" in note.text_content() and "0.1" in note.text_content()  # what was refused, what runs
    assert lr.input_value() == typed and lr.get_attribute("aria-invalid") == "true"
    page.keyboard.press("s")  # the race goes on with the η that runs; the field keeps what was typed
    page.wait_for_function(f"descent.race().target === 1 && {SETTLED}")
    assert race(page)["racers"][0]["lr"] == 0.1 and lr.input_value() == typed
    assert typed not in page.url
    shot(page, "descent_refused_lr")
    lr.fill("0.2")
    lr.press("Enter")
    page.wait_for_function("descent.race().racers[0].lr === 0.2")
    assert note.count() == 0 and lr.get_attribute("aria-invalid") is None
    everyone = page.locator("#lr-all")  # "η for all": the same refusal
    everyone.fill(typed)
    everyone.press("Enter")
    page.locator('#race-settings .refusal[data-refused="lr"]').wait_for(timeout=5_000)
    assert everyone.input_value() == typed and everyone.get_attribute("aria-invalid") == "true"
    assert race(page)["config"]["lr"] == 0.1
