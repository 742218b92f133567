"""The step's plan is served (issue 11): changing the network's hidden layers or the transformer's
blocks updates the ribbons without a reload, and stepping lights the box whose title is the stage's.
On the code before the plan was served the ribbon kept the old layers ("layer 1 2 out" with one
hidden layer) and the Loss stage lit "Linear · out"."""
from __future__ import annotations

import pytest

from e2e_helpers import assert_fits_viewport, open_app, wait_frame

pytestmark = pytest.mark.e2e

FIELD_READY = "flowscope.state().field && document.querySelector('#network').dataset.painted > 0"
GPT = "model=transformer&n_layer=2&n_head=1&n_embd=16&block_size=16&batch_size=4&seed=3"
GPT_READY = ("window.flowscope && flowscope.state().session && flowscope.state().dataset"
             " && flowscope.state().gpt.info && flowscope.state().conn === 'open'")


def served_plan(page) -> list[dict]:
    return page.evaluate("flowscope.state().session.plan")


def ribbon(page) -> dict:
    """What the ribbon shows: box titles, and the pills of each per-layer box (their text and layer)."""
    return page.evaluate("""() => {
        const root = document.getElementById('pipeline');
        const boxes = [...root.querySelectorAll('.rb-box')];
        return {
          titles: boxes.map(b => b.querySelector('.rb-title').firstChild.textContent.trim()),
          pills: Object.fromEntries(boxes.filter(b => b.classList.contains('per-layer')).map(b =>
            [b.dataset.stage, [...b.querySelectorAll('.rb-pill')].map(p => p.textContent)])),
          layers: Object.fromEntries(boxes.filter(b => b.classList.contains('per-layer')).map(b =>
            [b.dataset.stage, [...b.querySelectorAll('.rb-pill')].map(p => Number(p.dataset.layer))])),
        };
    }""")


def wait_hidden(page, hidden: list[int]) -> None:
    """The server's new plan has arrived and the network has the new shape."""
    page.wait_for_function(
        "n => flowscope.state().session.plan.filter(e => e.stage === 'linear').length === n"
        " && flowscope.state().params.layers.length === n", arg=len(hidden) + 1, timeout=10_000)
    page.wait_for_function("h => JSON.stringify(flowscope.state().session.config.hidden) === JSON.stringify(h)",
                           arg=hidden, timeout=10_000)


def assert_ribbon_is_the_plan(page, hidden: list[int]) -> None:
    plan = served_plan(page)
    outs = [str(k + 1) for k in range(len(hidden))] + ["out"]
    shown = ribbon(page)
    assert shown["titles"] == ["Input", "Weights", "Linear combination", "Activation", "Loss", "Gradients", "Update"]
    assert shown["pills"]["linear"] == outs and shown["pills"]["activation"] == outs
    assert shown["pills"]["gradients"] == outs[::-1]
    assert shown["layers"]["linear"] == [e["layer"] for e in plan if e["stage"] == "linear"]


def step_through(page, plan: list[dict], shot=None) -> None:
    """Stage by stage: the lit box is the frame's stage, titled as the plan says; a pill only per layer."""
    for index, entry in enumerate(plan):
        start = len(page.frames_seen.items)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("i => document.getElementById('pipeline').dataset.activeIndex === String(i)",
                               arg=index, timeout=5_000)
        frame = wait_frame(page, "stage", lambda m: m["index"] == index, start)
        assert (frame["stage"], frame["layer"]) == (entry["stage"], entry["layer"])
        lit = page.eval_on_selector_all(
            "#pipeline .rb-box.active", "els => els.map(e => e.querySelector('.rb-title').firstChild.textContent.trim())")
        assert lit == [entry["stage_title"]], (index, entry, lit)
        assert page.get_attribute("#pipeline", "data-active-title") == entry["title"]
        pill = page.eval_on_selector_all("#pipeline .rb-pill.active", "els => els.map(e => e.textContent)")
        assert pill == ([entry["short"]] if entry["part"] else [])
        assert page.text_content("#netformula .stage-name").endswith(
            entry["title"] + (f": {entry['subtitle']}" if entry["subtitle"] else ""))
        if entry["stage"] == "loss":
            assert lit == ["Loss"]
            if shot:
                shot(page, "plan-network-loss-lit")


def test_network_ribbon_follows_hidden_layers_without_reload(page, server_url, shot):
    open_app(page, f"{server_url}/?model=mlp&hidden=4,2&dataset=xor")
    page.wait_for_function(FIELD_READY, timeout=15_000)
    assert_ribbon_is_the_plan(page, [4, 2])
    # [4, 2] → [3]: drop the last hidden layer, then one unit of the first
    page.click('#network button[aria-label="remove a hidden layer"]')
    wait_hidden(page, [4])
    page.click('#network button[aria-label="one unit fewer in hidden layer 1"]')
    page.wait_for_function("flowscope.state().params.layers[0].W.length === 3", timeout=10_000)
    wait_hidden(page, [3])
    assert_ribbon_is_the_plan(page, [3])
    step_through(page, served_plan(page), shot)
    assert_fits_viewport(page)
    shot(page, "plan-network-hidden-3")
    # 1 → 0 → 1 hidden layers
    page.click('#network button[aria-label="remove a hidden layer"]')
    wait_hidden(page, [])
    assert_ribbon_is_the_plan(page, [])
    page.click('#network button[aria-label="add a hidden layer"]')
    page.wait_for_function("flowscope.state().session.config.hidden.length === 1", timeout=10_000)
    hidden = page.evaluate("flowscope.state().session.config.hidden")
    wait_hidden(page, hidden)
    assert_ribbon_is_the_plan(page, hidden)
    step_through(page, served_plan(page))


def test_transformer_ribbon_follows_n_layer_without_reload(page, server_url, shot):
    page.goto(f"{server_url}/?{GPT}")
    page.wait_for_function(GPT_READY, timeout=40_000)
    pills = ribbon(page)["pills"]
    assert pills["linear"] == ["attn 1", "MLP 1", "attn 2", "MLP 2"]
    shot(page, "plan-transformer-2-blocks")
    page.fill("input[name=n_layer]", "3")
    page.dispatch_event("input[name=n_layer]", "change")
    page.wait_for_function("flowscope.state().session.plan.filter(e => e.stage === 'linear').length === 6",
                           timeout=30_000)
    shown = ribbon(page)
    blocks = [f"{kind} {b}" for b in (1, 2, 3) for kind in ("attn", "MLP")]
    assert shown["pills"]["linear"] == blocks and shown["pills"]["activation"] == blocks
    assert shown["pills"]["gradients"] == blocks[::-1]
    titles = page.eval_on_selector_all("#pipeline .rb-pill", "els => els.map(e => e.title)")
    assert "Linear combination · attention, block 3: q·k/√d" in titles
    # the first per-block stage lights block 1's attention, named in words in the formula's heading
    plan = served_plan(page)
    for index in range(3):
        start = len(page.frames_seen.items)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("i => document.getElementById('pipeline').dataset.activeIndex === String(i)",
                               arg=index, timeout=10_000)
        wait_frame(page, "stage", lambda m: m["index"] == index, start, timeout=10.0)
    assert page.get_attribute("#pipeline", "data-active-title") == plan[2]["title"] == \
        "Linear combination · attention, block 1"
    assert "attention, block 1" in page.text_content("#gpt-formula .stage-name")
    assert_fits_viewport(page)
    shot(page, "plan-transformer-3-blocks")
