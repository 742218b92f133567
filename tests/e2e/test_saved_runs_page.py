"""Saved runs that last (issue 17, "Runs that last"): a run saved in one room is listed in a new room of the
same browser (before: "None yet" — runs belonged to the room's token), and its Link opens the trained run
at its step in another browser — to view: nothing the visitor does changes it, and "Copy to train on"
makes a room of their own at that step (before: the "Run link" rebuilt only the settings, from step 0). Deleting it stops the link, which then starts a fresh room and says why."""
from __future__ import annotations

import pytest

from e2e_helpers import SESSION_READY, open_app

pytestmark = pytest.mark.e2e


def open_card(pg) -> None:
    if not pg.is_visible("#room-panel"):
        pg.click("#room-button")
    pg.wait_for_selector("#runs", state="visible")


def row(pg, name: str) -> str:
    """The selector of the saved run called `name` in the open room card (waits for the list)."""
    run_id = pg.wait_for_function(
        "n => [...document.querySelectorAll('#runs li[data-run]')].find(li => li.textContent.includes(n))?.dataset.run",
        arg=name, timeout=15_000).json_value()
    return f"#runs li[data-run='{run_id}']"


def test_a_run_saved_in_one_room_is_listed_in_the_next_and_its_link_opens_it_at_its_step(page, browser, server_url, shot):
    open_app(page, f"{server_url}/?model=mlp")
    for k in range(1, 4):
        page.keyboard.press("s")
        page.wait_for_function(f"flowscope.state().step === {k}")
    trained = page.evaluate("[flowscope.state().session.id, flowscope.state().loss]")
    open_card(page)
    page.fill("#save-name", "three steps of xor")
    page.click("#save-run")
    page.wait_for_function("document.getElementById('saved-line').dataset.id")

    # a new room in the same browser (another model's page: another room, another owner token)
    fresh = page.context.new_page()
    fresh.goto(f"{server_url}/?model=line")
    fresh.wait_for_function(SESSION_READY, timeout=15_000)
    assert fresh.evaluate("flowscope.state().session.id") != trained[0]
    open_card(fresh)
    listed = row(fresh, "three steps of xor")
    assert "3 steps" in fresh.text_content(listed)

    # its link, given to another browser, opens the trained run at its step: a room of that browser's own
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    fresh.click(f"{listed} button[data-act='link']")
    fresh.wait_for_function("document.getElementById('runs-line').textContent")
    said = fresh.text_content("#runs-line")
    link = said if said.startswith("http") else fresh.evaluate("navigator.clipboard.readText()")
    assert "/run/" in link and "key=" in link and "token" not in link
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        friend = other.new_page()
        friend.goto(link)
        friend.wait_for_function(SESSION_READY + " && flowscope.state().step === 3", timeout=20_000)
        session, loss = friend.evaluate("[flowscope.state().session, flowscope.state().loss]")
        assert session["role"] == "viewer" and session["model"] == "mlp" and session["id"] != trained[0]
        assert loss == trained[1]  # the trained weights, not the settings from step 0
        friend.wait_for_function("location.pathname === '/room/' + flowscope.state().session.id")  # the room's own address now
        # viewed: the buttons are off and a key changes nothing (the server would refuse it too)
        assert friend.is_disabled("#controls #step") and friend.is_disabled("#controls #reset")
        friend.keyboard.press("s")
        friend.keyboard.press("r")
        friend.wait_for_timeout(500)
        assert friend.evaluate("flowscope.state().step") == 3
        open_card(friend)
        assert "nothing here can change it" in friend.text_content("#drive-line")
        friend.keyboard.press("Escape")
        friend.wait_for_selector("#fork:has-text('Copy to train on')", state="visible", timeout=5_000)
        shot(friend, "shared-run-view-1280x800")
        friend.click("#fork")  # copy to train on: a room of the visitor's own, at the same step
        friend.wait_for_function(f"flowscope.state().session.role === 'owner' && flowscope.state().session.id !== '{session['id']}'"
                                 " && flowscope.state().step === 3", timeout=15_000)
        assert friend.is_hidden("#back-to-class")  # a shared run's copy has no class to go back to
        friend.keyboard.press("s")
        friend.wait_for_function("flowscope.state().step === 4", timeout=10_000)

        # the owner deletes it (Delete asks once more): the list drops it, the link no longer opens it
        fresh.click(f"{listed} button[data-act='delete']")
        fresh.click(f"{listed} button[data-act='delete']")
        fresh.wait_for_selector(listed, state="detached", timeout=10_000)
        again = other.new_page()
        again.goto(link)
        again.wait_for_function(SESSION_READY + " && flowscope.state().step === 0", timeout=20_000)
        again.wait_for_function("document.body.textContent.includes('could not be opened')", timeout=5_000)
    finally:
        other.close()


def test_a_teacher_lists_their_runs_in_another_browser_by_name_and_passphrase(page, browser, server_url, shot):
    """Issue 17 §4: runs belong to their owner — a browser, or a teacher's name. Kept under a name and
    passphrase, the runs this browser saved come along, and another browser lists and loads them."""
    open_app(page, f"{server_url}/?model=line")
    for k in range(1, 3):
        page.keyboard.press("s")
        page.wait_for_function(f"flowscope.state().step === {k}")
    open_card(page)
    page.fill("#save-name", "two steps for period 3")
    page.click("#save-run")
    row(page, "two steps for period 3")
    assert page.is_hidden("#owner-forget") and page.is_visible("#owner-details summary")  # no name yet
    page.click("#owner-details summary")
    page.fill("#owner-name", "Ms Rivera")
    page.fill("#owner-pass", "tide pools at dawn")
    page.click("#owner-use")
    page.wait_for_function("document.getElementById('owner-line').textContent.includes('Ms Rivera')", timeout=10_000)
    assert "came along" in page.text_content("#owner-said")
    row(page, "two steps for period 3")  # still listed: now under the name
    shot(page, "runs-under-a-name-1280x800")

    other = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = other.new_page()
        open_app(phone, f"{server_url}/?model=line")
        open_card(phone)
        phone.wait_for_selector("#runs li:has-text('None yet')", timeout=10_000)  # another browser: its own, none
        phone.click("#owner-details summary")
        phone.fill("#owner-name", "ms rivera")
        phone.fill("#owner-pass", "tide pools at dawn")
        phone.click("#owner-use")
        listed = row(phone, "two steps for period 3")
        shot(phone, "runs-under-a-name-390x844")
        phone.click(f"{listed} button[data-act='load']")
        phone.wait_for_function("flowscope.state().step === 2 && flowscope.state().session.role === 'owner'", timeout=20_000)
        # forgetting the name on this computer: its list is its own again (the runs stay under the name)
        open_card(phone)
        phone.click("#owner-forget")
        phone.wait_for_selector("#runs li:has-text('None yet')", timeout=10_000)
    finally:
        other.close()
