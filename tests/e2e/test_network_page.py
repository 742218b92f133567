"""The Network page (model `mlp`): stepping layer by layer with the keyboard, every number drawn
checked against the server's stage frames; playing at the TF Playground default while measuring
frames per second; drawing and uploading data; editing a weight by hand.

(Not test_network.py: pytest imports test modules by basename, and tests/server has that one.)"""
from __future__ import annotations

import math

import pytest

from e2e_helpers import assert_fits_viewport, open_app, state, wait_frame

pytestmark = pytest.mark.e2e

FIELD_READY = "flowscope.state().field && document.querySelector('#network').dataset.painted > 0"


def open_network(page, url: str) -> dict:
    session = open_app(page, url)
    page.wait_for_function(FIELD_READY, timeout=10_000)
    return session


def press_to_index(page, key: str, index: int) -> dict:
    """Press `key` until the stage at `index` of the plan is on display; its frame."""
    start = len(page.frames_seen.items)
    page.keyboard.press(key)
    page.wait_for_function("i => document.getElementById('pipeline').dataset.activeIndex === String(i)"
                           " && document.getElementById('network').dataset.activeIndex === String(i)", arg=index, timeout=5_000)
    return wait_frame(page, "stage", lambda m: m["index"] == index, start)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def node_values(page, layer: int) -> list[tuple[str, float | None]]:
    return page.eval_on_selector_all(
        f'#network .net-node[data-layer="{layer}"]',
        "els => els.map(e => [e.dataset.shows, e.dataset.value === '' ? null : Number(e.dataset.value)])")


def edge_attr(page, layer: int, attr: str) -> dict[tuple[int, int], float]:
    rows = page.eval_on_selector_all(
        f'#network .edge-w[data-layer="{layer}"]',
        f"els => els.map(e => [Number(e.dataset.i), Number(e.dataset.j), e.dataset.{attr} === undefined ? null : Number(e.dataset.{attr})])")
    return {(i, j): v for i, j, v in rows}


def expected_layer(frame: dict, depth: int) -> str:
    if frame["stage"] in ("linear", "activation", "gradients"):
        return str(frame["layer"])
    return {"input": "-1", "loss": str(depth - 1)}.get(frame["stage"], "")


def assert_drawn(page, frame: dict, depth: int) -> None:
    """The lit stage and layer, the formula, and the numbers on the nodes and edges are the frame's."""
    name, layer, values = frame["stage"], frame["layer"], frame["values"]
    assert page.get_attribute("#network", "data-active-stage") == name
    assert page.get_attribute("#network", "data-active-layer") == expected_layer(frame, depth), frame["stage"]
    lit_pill = page.eval_on_selector_all("#pipeline .rb-pill.active", "els => els.map(e => Number(e.dataset.index))")
    assert lit_pill == ([frame["index"]] if name in ("linear", "activation", "gradients") else [])
    assert page.eval_on_selector_all("#pipeline .rb-box.active", "els => els.map(e => e.dataset.stage)") == [name]
    assert page.text_content("#formula") == frame["formula"]
    if name == "input":
        shown = node_values(page, -1)
        assert [s for s, _ in shown] == ["x"] * len(values["x"][0])
        assert all(close(v, x) for (_, v), x in zip(shown, values["x"][0]))
    elif name in ("linear", "activation"):
        key = "z" if name == "linear" else "a"
        shown = node_values(page, layer)
        assert [s for s, _ in shown] == [key] * len(values[key][0]), shown
        assert all(close(v, want) for (_, v), want in zip(shown, values[key][0])), (shown, values[key][0])
        lit = page.eval_on_selector_all("#network .net-node.lit", "els => [...new Set(els.map(e => Number(e.dataset.layer)))]")
        assert lit == [layer]
    elif name == "gradients":
        grads = edge_attr(page, layer, "grad")
        want = values["grad_W"]
        assert len(grads) == len(want) * len(want[0])
        assert all(close(grads[i, j], want[i][j]) for i in range(len(want)) for j in range(len(want[0])))
        shown = node_values(page, layer)
        assert all(s == "grad_b" and close(v, g) for (s, v), g in zip(shown, values["grad_b"]))
        glowing = page.eval_on_selector_all("#network .glow.show", "els => els.length")
        assert glowing == len(grads)
    elif name in ("weights", "update"):
        for k, lay in enumerate(values["layers"]):
            ws = edge_attr(page, k, "w")
            assert all(close(ws[i, j], lay["W"][i][j]) for i in range(len(lay["W"])) for j in range(len(lay["W"][0])))
            shown = node_values(page, k)
            assert all(s == "b" and close(v, b) for (s, v), b in zip(shown, lay["b"]))


def test_network_steps_layer_by_layer(page, server_url, shot):
    session = open_network(page, f"{server_url}/?model=mlp&hidden=3,2&dataset=xor")
    assert session["model"] == "mlp"
    stages = [e["stage"] for e in session["plan"]]
    depth = stages.count("linear")
    assert depth == 3
    # One node per input, per hidden unit and per output; one edge per weight.
    assert page.eval_on_selector_all("#network .net-node", "els => els.length") == 2 + 3 + 2 + 1
    assert page.eval_on_selector_all("#network .edge-w", "els => els.length") == 2 * 3 + 3 * 2 + 2 * 1
    assert page.text_content("#net-layer-count") == "2 hidden layers"
    assert_fits_viewport(page)

    for index, name in enumerate(stages):
        frame = press_to_index(page, "ArrowRight", index)
        assert frame["stage"] == name and frame["step"] == 0
        assert_drawn(page, frame, depth)
        if name == "activation" and frame["layer"] == 0:
            assert_fits_viewport(page)
            shot(page, "network-forward")
        if name == "gradients" and frame["layer"] == 1:
            shot(page, "network-backward")
    page.wait_for_function("document.getElementById('step').textContent === '1'")

    # Back: the previous stages light again, one layer further forward each time, same numbers.
    for index in (11, 10, 9, 8, 7):
        frame = press_to_index(page, "ArrowLeft", index)
        assert frame["replay"] is True
        assert_drawn(page, frame, depth)


def test_network_plays_at_speed_and_redraws_the_boundary(page, server_url):
    """TF Playground's default network (hidden 4,2, tanh, batch 10, lr 0.03) at 300 steps/s."""
    open_network(page, f"{server_url}/?model=mlp&dataset=circle&hidden=4,2&activation=tanh&batch_size=10&lr=0.03&speed=300")
    before = page.evaluate("document.querySelector('#boundary canvas').toDataURL()")
    seq0 = page.evaluate("flowscope.state().fieldSeq")
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('play').getAttribute('aria-pressed') === 'true'")
    page.wait_for_timeout(2000)
    fps = page.evaluate("flowscope.fps()")
    fields = page.evaluate("flowscope.state().fieldSeq") - seq0
    ms = page.evaluate("flowscope.fieldDrawMs()")
    node_ms = page.evaluate("flowscope.nodePaintMs()")
    step = state(page)["step"]
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('play').getAttribute('aria-pressed') === 'false'")
    med = sorted(ms)[len(ms) // 2]
    print(f"\nplaying 2 s: {fps} fps, {fields} field frames, step {step}; boundary draw per field "
          f"median {med:.2f} ms, max {max(ms):.2f} ms; node heatmaps {node_ms:.2f} ms")
    assert fps >= 30
    assert fields >= 20, "field frames keep coming while playing"
    assert step > 300
    after = page.evaluate("document.querySelector('#boundary canvas').toDataURL()")
    assert after != before, "the decision boundary moved"
    assert int(page.get_attribute("#netloss", "data-points")) >= 10


def test_network_draw_upload_and_edit(page, server_url):
    open_network(page, f"{server_url}/?model=mlp&hidden=3,2&dataset=xor")
    n0 = int(page.get_attribute("#boundary", "data-points"))
    assert n0 == 300

    # Draw: pick class 1, click the plot; the server gets every point plus one and answers with them.
    page.click('#netdata .nd-pick button[data-class="1"]')
    box = page.evaluate("""() => { const c = document.querySelector('#boundary canvas').getBoundingClientRect();
        return [c.left, c.top, c.width, c.height]; }""")
    start = len(page.frames_seen.items)
    page.mouse.click(box[0] + box[2] * 0.5, box[1] + box[3] * 0.45)
    ds = wait_frame(page, "dataset", lambda m: True, start)
    assert len(ds["x"]) + len(ds["test_x"]) == n0 + 1
    page.wait_for_function("n => document.querySelector('#boundary').dataset.points === String(n)", arg=n0 + 1)
    assert state(page)["session"]["config"]["dataset"] == "custom"
    assert page.input_value("#nd-dataset") == "custom"

    # Export: the points in use, as a CSV file the upload reads back.
    with page.expect_download() as dl:
        page.click("#nd-export")
    lines = open(dl.value.path(), encoding="utf-8").read().strip().split("\n")
    assert lines[0] == "x1,x2,label" and len(lines) == 1 + n0 + 1

    # A bad CSV: the server's line-precise message is shown in the data panel.
    page.set_input_files("#nd-upload", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                               "buffer": b"x1,x2,label\n1,2,0\n3,oops,1\n4,4,1\n5,5,0\n"}])
    page.wait_for_selector("#nd-error:not([hidden])", timeout=5_000)
    assert page.text_content("#nd-error") == "Your data: line 3: 'oops' is not a number"
    assert int(page.get_attribute("#boundary", "data-points")) == n0 + 1, "the data in use stays"

    # A good CSV replaces the data and clears the message.
    rows = "\n".join(f"{x},{y},{int(x * y > 0)}" for x in (-4, -2, 2, 4) for y in (-3, 3))
    page.set_input_files("#nd-upload", files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": rows.encode()}])
    page.wait_for_function("document.querySelector('#boundary').dataset.points === '8'")
    assert page.is_hidden("#nd-error")

    # Edit a weight: click an edge, type a value, Enter → set_param → the server's params change.
    old = state(page)["params"]["layers"][1]["W"][0][2]
    # a point of the edge that no other edge covers (near its ends the edges of one unit overlap)
    point = page.evaluate("""() => { const p = document.querySelector('#network .edge-hit[data-layer="1"][data-i="0"][data-j="2"]');
        const m = p.getScreenCTM();
        for (const t of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12]) {
          const q = p.getPointAtLength(p.getTotalLength() * t), at = [m.a * q.x + m.e, m.d * q.y + m.f];
          if (document.elementFromPoint(...at) === p) return at;
        }
        return null; }""")
    assert point, "every point of the edge is under another"
    page.mouse.click(*point)
    page.wait_for_selector("#net-inspect.pinned .ins-edit:not([hidden])")
    assert page.get_attribute("#net-inspect", "data-target") == "edge|1|0|2"
    assert "Weight W₂[1, 3]" in page.text_content("#net-inspect .ins-title")
    page.fill("#net-inspect input[name=value]", "−1.5")
    page.press("#net-inspect input[name=value]", "Enter")
    page.wait_for_function("flowscope.state().params.layers[1].W[0][2] === -1.5")
    assert old != -1.5
    page.wait_for_function("document.querySelector('#network .edge-w[data-layer=\"1\"][data-i=\"0\"][data-j=\"2\"]').dataset.w === '-1.5'")
    dash = page.get_attribute('#network .edge-w[data-layer="1"][data-i="0"][data-j="2"]', "stroke-dasharray")
    assert dash, "a negative weight is drawn dashed"


def test_network_architecture_editor(page, server_url):
    open_network(page, f"{server_url}/?model=mlp&hidden=3,2&dataset=xor")
    page.click('#network button[aria-label="add a hidden layer"]')
    page.wait_for_function("flowscope.state().params.layers.length === 4")
    assert page.text_content("#net-layer-count") == "3 hidden layers"
    assert "hidden=3,2,2" in page.url
    page.click('#network button[aria-label="one unit more in hidden layer 1"]')
    page.wait_for_function("flowscope.state().params.layers[0].W.length === 4")
    page.select_option('#network select[data-layer="1"]', "relu")
    page.wait_for_function("flowscope.state().params.layers[1].activation === 'relu'")
    page.click('#netdata button[data-feature="x1sq"]')
    page.wait_for_function("flowscope.state().params.layers[0].W[0].length === 3")
    page.wait_for_function("document.querySelectorAll('#network .net-node[data-layer=\"-1\"]').length === 3")
    page.select_option("#network select[name=init]", "zeros")
    page.wait_for_selector("#network .net-note:not([hidden])")
    assert "symmetry" in page.text_content("#network .net-note")
    # Keys still step after using the editor (focus went back to the page).
    frame = press_to_index(page, "ArrowRight", 0)
    assert frame["stage"] == "input"


def test_network_trained_picture(page, server_url, shot):
    """The picture for the docs: a network that has learned the circle, mid-step in the backward pass."""
    open_network(page, f"{server_url}/?model=mlp&dataset=circle&hidden=4,2&lr=0.1")
    page.keyboard.press("Space")
    page.wait_for_function("flowscope.state().accuracy && flowscope.state().accuracy.test > 0.95", timeout=20_000)
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('play').getAttribute('aria-pressed') === 'false'")
    page.wait_for_function("!flowscope.state().playing")
    assert state(page)["accuracy"]["train"] > 0.9
    assert_fits_viewport(page)
    shot(page, "network-trained")


def test_network_room_link_opens_the_network_page(page, browser, server_url):
    """/room/CODE does not name the model: a viewer of a network room still gets the Network page."""
    session = open_network(page, f"{server_url}/?model=mlp&hidden=3,2&dataset=xor")
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    viewer = ctx.new_page()
    errors = []
    viewer.on("pageerror", lambda e: errors.append(str(e)))
    try:
        viewer.goto(f"{server_url}/room/{session['id']}")
        viewer.wait_for_function("window.flowscope && flowscope.state().session && flowscope.state().session.role === 'viewer'"
                                 " && flowscope.state().field", timeout=15_000)
        assert viewer.evaluate("document.body.dataset.model") == "mlp"
        assert viewer.is_disabled("#nd-dataset") and viewer.is_disabled('#network button[aria-label="add a hidden layer"]')
        press_to_index(page, "ArrowRight", 0)
        press_to_index(page, "ArrowRight", 1)
        press_to_index(page, "ArrowRight", 2)
        viewer.wait_for_function("document.getElementById('network').dataset.activeIndex === '2'")
        assert viewer.get_attribute("#network", "data-active-layer") == "0"
    finally:
        ctx.close()
    assert not errors


def test_the_inspector_shows_the_engines_update_of_the_clicked_weight(page, server_url, shot):
    """Adam with a schedule: the card's update lines are the engine's `explain` reply for that weight
    (m̂, v̂ and the step), asked again after each step — never w − η·g worked out in the page."""
    open_network(page, f"{server_url}/?model=mlp&hidden=3&dataset=xor&optimizer=adam&lr=0.05")
    for _ in range(2):
        page.keyboard.press("s")
    page.wait_for_function("flowscope.state().step === 2")
    point = page.evaluate("""() => { const p = document.querySelector('#network .edge-hit[data-layer="0"][data-i="1"][data-j="0"]');
        const q = p.getPointAtLength(p.getTotalLength() * 0.5); const m = p.getScreenCTM();
        return [m.a * q.x + m.e, m.d * q.y + m.f]; }""")
    page.mouse.click(*point)
    page.wait_for_function("""() => { const e = flowscope.state().explain;
        return e && e.name === 'W0' && String(e.index) === '1,0' && e.step === 2
            && !document.querySelector('#net-inspect .ins-formula').hidden; }""", timeout=5_000)
    ex = state(page)["explain"]
    shown = page.eval_on_selector_all("#net-inspect .ins-formula > div", "els => els.map(e => e.textContent)")
    assert shown == ["last update (step 2, adam): g is step 2's gradient", *ex["lines"]]
    assert any("m̂ = m/(1−β₁ᵗ)" in line for line in shown) and ex["values"]["t"] == 2
    shot(page, "network-inspector-adam")
    page.keyboard.press("Escape")
    page.evaluate("document.activeElement.blur()")  # the pinned card had focused its value field
    page.keyboard.press("s")  # a new step: the card, opened again, asks again
    page.wait_for_function("flowscope.state().step === 3")
    page.mouse.click(*point)
    page.wait_for_function("flowscope.state().explain && flowscope.state().explain.step === 3", timeout=5_000)
    assert state(page)["explain"]["values"]["t"] == 3


def test_the_exploded_warning_keeps_its_numbers_while_the_run_goes_on(page, server_url):
    """The warning over an overshooting run names the step and loss where the loss exploded; a few
    hundred steps later it says the same (it used to follow the recent peak: 25.9, 20.1, 20.6…)."""
    open_app(page, f"{server_url}/?model=mlp&lr=50")
    page.keyboard.press(" ")
    page.wait_for_selector("#warning:not([hidden])", timeout=15_000)
    first = page.text_content("#warning")
    assert "exploded at step" in first, first
    at = state(page)["step"]
    page.wait_for_function("s => flowscope.state().step > s + 300", arg=at, timeout=30_000)
    assert page.text_content("#warning") == first
    page.keyboard.press(" ")
