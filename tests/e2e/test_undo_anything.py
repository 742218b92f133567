"""Undo anything (issue 17 §3): a learning rate that explodes the loss is undone from the divergence
banner's Undo, and any other change with Ctrl+Z — weights, step and the loss chart come back exactly,
on the owner's page and on a watching phone's (before, a live change could not be undone at all, and
after an undo the viewer's chart showed a single dot)."""
from __future__ import annotations

import pytest

from e2e_helpers import PHONE, SESSION_READY, device, in_room

pytestmark = pytest.mark.e2e

CHART = "flowscope.state().metrics.steps"


def _chart(pg) -> list:
    return pg.evaluate(f"[{CHART}, flowscope.state().metrics.trainLosses]")


def _lr(pg, value: str) -> None:
    pg.fill("#settings input[name=lr]", value)
    pg.press("#settings input[name=lr]", "Enter")


def test_the_banner_and_ctrl_z_undo_a_change_for_owner_and_viewer(browser, server_url, shot):
    owner_ctx, owner = device(browser, viewport={"width": 1280, "height": 800})
    phone_ctx, phone = device(browser, **PHONE)
    try:
        owner.goto(f"{server_url}/?model=line&optimizer=momentum&lr=0.05&batch_size=3")
        owner.wait_for_function(SESSION_READY, timeout=15_000)
        code = owner.evaluate("flowscope.state().session.id")
        phone.goto(f"{server_url}/room/{code}")
        in_room(phone, code, "viewer")
        for i in range(1, 13):  # one step at a time: each is a point on the chart
            owner.keyboard.press("s")
            owner.wait_for_function(f"flowscope.state().step === {i}", timeout=10_000)
        phone.wait_for_function(f"{CHART}.length === 12 && flowscope.state().step === 12", timeout=10_000)
        trained = owner.evaluate("JSON.stringify(flowscope.state().params)")
        chart = _chart(owner)
        assert _chart(phone) == chart and chart[0] == list(range(1, 13))

        _lr(owner, "900")  # a live change: the run goes on with it, and explodes
        owner.wait_for_function("flowscope.state().undo === 12", timeout=10_000)
        owner.keyboard.press("Space")
        owner.wait_for_selector("#banner .banner-undo", state="visible", timeout=15_000)
        assert "back to step 12" in owner.text_content("#banner .banner-undo")
        phone.wait_for_function("!!flowscope.state().diverged", timeout=10_000)
        assert phone.is_hidden("#banner .banner-undo")  # a viewer can't undo the owner's run
        shot(owner, "undo-banner-1280x800")
        owner.set_viewport_size({"width": 390, "height": 844})
        shot(owner, "undo-banner-390x844")
        owner.set_viewport_size({"width": 1280, "height": 800})

        owner.click("#banner .banner-undo")
        for pg in (owner, phone):
            pg.wait_for_function("flowscope.state().step === 12 && !flowscope.state().diverged", timeout=10_000)
            pg.wait_for_function(f"{CHART}.length === 12", timeout=10_000)
            assert pg.evaluate("JSON.stringify(flowscope.state().params)") == trained
            assert _chart(pg) == chart  # every point, the same losses: not one dot
            assert pg.evaluate("Number(document.getElementById('losschart').dataset.points)") == 12
        owner.wait_for_selector("#banner", state="hidden")
        assert owner.evaluate("flowscope.state().session.config.lr") == 0.05
        shot(owner, "undo-after-1280x800")
        owner.set_viewport_size({"width": 390, "height": 844})
        shot(owner, "undo-after-390x844")
        owner.set_viewport_size({"width": 1280, "height": 800})

        # Ctrl+Z undoes any change: a rate, then the steps after it are gone with it
        _lr(owner, "0.2")
        owner.wait_for_function("flowscope.state().undo === 12", timeout=10_000)
        for i in (13, 14):
            owner.keyboard.press("s")
            owner.wait_for_function(f"flowscope.state().step === {i}", timeout=10_000)
        phone.keyboard.press("Control+z")  # the viewer's Ctrl+Z changes nothing
        phone.wait_for_selector(".toast", timeout=5_000)
        assert owner.evaluate("flowscope.state().step") == 14
        owner.keyboard.press("Control+z")
        for pg in (owner, phone):
            pg.wait_for_function(f"flowscope.state().step === 12 && {CHART}.length === 12", timeout=10_000)
            assert pg.evaluate("JSON.stringify(flowscope.state().params)") == trained
        assert owner.evaluate("flowscope.state().session.config.lr") == 0.05
        assert owner.evaluate("flowscope.state().undo") is None  # both changes undone: nothing left
        assert not owner.errors and not phone.errors, (owner.errors, phone.errors)
    finally:
        owner_ctx.close()
        phone_ctx.close()
