"""The Descent page: four optimizers racing down the neuron's loss landscape in lockstep, stepped
with the keyboard and played; the terrain view; the network's projected landscape; a diverged racer
and a link that reproduces the race. Screenshots: descent_race, descent_terrain, descent_network."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

RACE = "window.descent && window.descent.race()"
READY = (
    f"{RACE} && descent.race().landscape && descent.race().racers.length === {{n}}"
    " && descent.race().racers.every(r => r.connected && r.state && r.trail.length >= 1 && r.landscape)"
    " && document.querySelector('#landscape').dataset.ready === '1'"
)
SETTLED = "descent.race().racers.every(r => r.diverged || (r.pending === null && r.state.step === descent.race().target))"


def assert_race_fits_first_screen(page) -> None:
    """The race (landscape and lanes) fills the first screen above the bottom bar, nothing wider
    than the window; the update and the tricks follow below, each at its full size."""
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= vw
    bar = page.locator(".bottombar").bounding_box()
    assert bar["y"] + bar["height"] <= vh + 1, bar  # the controls stay on screen (sticky)
    for sel in ("#landscape", "#lanes"):
        box = page.locator(sel).bounding_box()
        assert box["y"] + box["height"] <= bar["y"] + 1, (sel, box, bar)


def open_descent(page, url: str, query: str = "", racers: int = 4) -> dict:
    page.goto(f"{url}/descent{query}")
    page.wait_for_function(READY.format(n=racers), timeout=20_000)
    return race(page)


def race(page) -> dict:
    """The race, minus the landscape grid (large, and not needed to check the racers)."""
    return page.evaluate("(() => { const r = descent.race(); return {...r, landscape: {...r.landscape, loss: null},"
                         " racers: r.racers.map(x => ({...x, landscape: null}))}; })()")


def test_keys_step_every_racer_in_lockstep_and_trails_grow(page, server_url, shot):
    before = open_descent(page, server_url)
    assert [r["optimizer"] for r in before["racers"]] == ["sgd", "momentum", "rmsprop", "adam"]
    assert before["landscape"]["axes"] == ["w", "b"]
    assert all(r["trail"] == [before["landscape"]["start"]] for r in before["racers"])
    assert page.text_content(".tabs a.active") == "Descent"
    for _ in range(3):
        page.keyboard.press("s")
    page.wait_for_function(f"descent.race().target === 3 && {SETTLED}", timeout=10_000)
    after = race(page)
    for b, a in zip(before["racers"], after["racers"]):
        assert a["state"]["step"] == 3, a["optimizer"]
        assert len(a["trail"]) == len(b["trail"]) + 3, (a["optimizer"], len(a["trail"]))
        assert a["trail"][-1] == pytest.approx(a["state"]["landscape_at"])
    assert after["step"] == 3
    assert page.text_content("#status #step") == "3"
    lanes = page.eval_on_selector_all(".lane .lane-step b", "els => els.map(e => e.textContent)")
    assert lanes == ["3"] * 4

    # Play about two seconds at 100 steps/s, then pause: all at one step, Adam ahead of SGD.
    page.select_option("#speed", "100")
    page.keyboard.press("Space")
    page.wait_for_timeout(2000)
    page.keyboard.press("Space")
    page.wait_for_function(SETTLED, timeout=10_000)
    played = race(page)
    steps = {r["state"]["step"] for r in played["racers"]}
    assert len(steps) == 1 and steps.pop() > 40, played["step"]
    loss = {r["optimizer"]: r["state"]["loss"] for r in played["racers"]}
    assert loss["adam"] < loss["sgd"], loss
    for r in played["racers"]:
        assert len(r["trail"]) == r["state"]["step"] + 1
    assert page.text_content("#play-btn").startswith("▶ Play")
    assert "speed=100" in page.url and "racers=sgd%2Cmomentum%2Crmsprop%2Cadam" in page.url
    assert_race_fits_first_screen(page)
    shot(page, "descent_race")

    # The hover readout names the axes and reads the grid.
    box = page.locator("#landscape canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    text = page.text_content("#landscape .hover-readout")
    assert text.startswith("w = ") and ", b = " in text and ", loss = " in text, text

    page.mouse.move(5, 5)
    page.wait_for_selector("#landscape .hover-readout", state="hidden")

    # Terrain: the T key, kept in the address.
    page.keyboard.press("t")
    page.wait_for_function("document.querySelector('#landscape').dataset.view === 'terrain'")
    assert "view=terrain" in page.url
    shot(page, "descent_terrain")

    # Reset: every racer back to the same start.
    page.keyboard.press("r")
    page.wait_for_function("descent.race().racers.every(r => r.state.step === 0 && r.trail.length === 1)", timeout=10_000)


def test_typing_in_a_lane_does_not_step_and_a_racer_can_be_added_and_removed(page, server_url):
    open_descent(page, server_url, "?racers=sgd,adam&lr=0.1", racers=2)
    lr = page.locator(".lane").nth(0).locator("input")
    lr.fill("0.5")  # the "5" and "." keys go to the input, not to the page
    lr.press("Enter")
    page.wait_for_function("descent.race().racers[0].lr === 0.5 && descent.race().racers[0].state.config.lr === 0.5")
    assert race(page)["step"] == 0
    assert "lrs=0.5%2C0.1" in page.url
    page.keyboard.press("s")
    page.wait_for_function(f"descent.race().target === 1 && {SETTLED}")
    page.click(".lane-add")
    page.wait_for_function(READY.format(n=3), timeout=20_000)
    # the newcomer catches up with the race at once
    page.wait_for_function("descent.race().racers.every(r => r.state.step === 1)", timeout=10_000)
    added = race(page)["racers"][2]
    assert added["optimizer"] == "momentum" and len(added["trail"]) == 2
    page.locator(".lane").nth(2).locator(".lane-remove").click()
    page.wait_for_function("descent.race().racers.length === 2 && document.querySelectorAll('.lane').length === 2")
    page.wait_for_function("document.querySelector('.lane-remove').disabled")  # two is the least (drawn next frame)


def test_a_diverged_racer_says_so_and_the_others_keep_going(page, server_url):
    open_descent(page, server_url, "?model=line&racers=sgd,adam&lrs=2,0.05", racers=2)
    page.keyboard.press("Space")
    page.wait_for_function("descent.race().racers[0].diverged && descent.race().racers[1].state.step > 20", timeout=15_000)
    page.keyboard.press("Space")
    status = page.text_content('.lane[data-key] .lane-status')
    assert "diverged" in status.lower(), status
    assert "bad" in page.locator(".lane").nth(0).get_attribute("class").split()
    assert "bad" not in page.locator(".lane").nth(1).get_attribute("class").split()
    # the trail left the map: the page offers a wider view, and the zoom goes into the address
    page.wait_for_selector("#landscape .zoom-out:not([hidden])")
    span = page.evaluate("descent.race().landscape.x.at(-1) - descent.race().landscape.x[0]")
    page.click("#landscape .zoom-out")
    page.wait_for_function("s => descent.race().landscape.x.at(-1) - descent.race().landscape.x[0] > 1.5 * s", arg=span, timeout=10_000)
    assert "span=" in page.url


def test_network_landscape_is_a_projection(page, server_url, shot):
    state = open_descent(page, server_url, "?model=mlp&dataset=xor")
    assert state["landscape"]["axes"] == ["direction 1", "direction 2"]
    assert state["config"]["dataset"] == "xor"
    assert "projected" in page.text_content(".landscape-caption")
    for _ in range(5):
        page.keyboard.press("s")
    page.wait_for_function(f"descent.race().target === 5 && {SETTLED}", timeout=10_000)
    assert all(len(r["trail"]) == 6 for r in race(page)["racers"])
    assert_race_fits_first_screen(page)
    shot(page, "descent_network")


def test_a_link_reproduces_the_race(page, server_url):
    state = open_descent(page, server_url, "?model=line&racers=sgd,nesterov,adamw&lr=0.02&view=terrain&span=8", racers=3)
    assert [r["optimizer"] for r in state["racers"]] == ["sgd", "nesterov", "adamw"]
    assert all(r["state"]["config"]["bias"] is True for r in state["racers"])  # a line needs b for a map
    assert state["view"] == "terrain" and state["span"] == 8
    sent = [m for m in page.frames_seen.items if m.get("type") == "landscape"]
    assert sent and all(m["at"] == "start" for m in sent)
    for key in ("model=line", "view=terrain", "span=8", "lr=0.02"):
        assert key in page.url


def test_the_update_panel_shows_adams_bias_correction(page, server_url, shot):
    open_descent(page, server_url)
    for _ in range(2):
        page.keyboard.press("s")
    page.wait_for_function(f"descent.race().target === 2 && {SETTLED}"
                           " && descent.race().racers.every(r => r.explain && r.explain.step === 2)", timeout=10_000)
    adam = next(r for r in race(page)["racers"] if r["optimizer"] == "adam")
    v = adam["explain"]["values"]
    assert v["t"] == 2 and v["v_hat"] == pytest.approx(v["v"] / (1 - 0.999 ** 2))
    card = page.locator("#update .up-racer").nth(3)
    text = card.text_content()
    assert "Adam" in text and "1−β₂ᵗ" in text and "v̂" in text, text
    page.click("#update .up-w >> text=b")  # the other weight: every racer explains b
    page.wait_for_function("descent.race().racers.every(r => r.explain && r.explain.name === 'b')", timeout=10_000)
    page.locator("#update").scroll_into_view_if_needed()
    shot(page, "descent_update")


def test_init_too_large_shows_exploding_layers(page, server_url, shot):
    open_descent(page, server_url, "?model=mlp&dataset=circle")
    page.locator("#tricks").scroll_into_view_if_needed()
    page.click("#tricks .tr-try")  # hidden 8,8,8,8 with ReLU: a deep net
    page.wait_for_function("descent.race().racers.every(r => r.state && r.state.config.hidden.length === 4)",
                           timeout=10_000)
    page.select_option("#tricks .tr-init-kind", "large")
    page.wait_for_function("descent.race().racers.every(r => r.state && r.state.config.init === 'large')",
                           timeout=10_000)
    page.keyboard.press("s")
    page.wait_for_function(f"descent.race().target === 1 && {SETTLED}"
                           " && descent.race().racers.every(r => r.state.layers)", timeout=10_000)
    layers = [x["activation_std"] for x in race(page)["racers"][0]["state"]["layers"][:-1]]
    assert len(layers) == 4 and layers[-1] > 10 * layers[0], layers  # σ = 2 per weight: it grows
    assert "exploding" in page.text_content("#tricks")
    page.evaluate("document.querySelector('#tricks').scrollIntoView({block: 'end'})")
    shot(page, "descent_tricks")


def test_a_class_watches_the_race_live_from_the_watch_link(page, server_url, browser):
    open_descent(page, server_url, "?racers=sgd,adam", racers=2)
    page.keyboard.press("s")
    page.wait_for_function(f"descent.race().target === 1 && {SETTLED}")
    page.click("#share-race")
    page.wait_for_function("document.querySelector('#watch-link').value.includes('watch=')")
    link = page.input_value("#watch-link")
    codes = [r["session"] for r in race(page)["racers"]]
    assert link.endswith("/descent?model=neuron&watch=" + "%2C".join(codes)), link
    page.keyboard.press("Escape")

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    student = context.new_page()
    try:
        student.goto(link)
        student.wait_for_function(READY.format(n=2), timeout=20_000)
        watched = race(student)
        assert watched["viewer"] and [r["optimizer"] for r in watched["racers"]] == ["sgd", "adam"]
        assert student.text_content("#status #run") == "watching"
        assert student.locator("#step-btn").count() == 0 and student.locator(".lane select").first.is_disabled()
        student.keyboard.press("s")  # the student's keys steer nothing
        for _ in range(3):
            page.keyboard.press("s")
        student.wait_for_function("descent.race().racers.every(r => r.state.step === 4)", timeout=10_000)
        page.wait_for_function(f"descent.race().target === 4 && {SETTLED}")
        ours, theirs = race(page)["racers"], race(student)["racers"]
        for a, b in zip(ours, theirs):
            assert b["state"]["landscape_at"] == a["state"]["landscape_at"]
            assert b["trail"][-3:] == a["trail"][-3:]  # the steps watched are the steps taken
        assert race(page)["step"] == 4
    finally:
        context.close()
