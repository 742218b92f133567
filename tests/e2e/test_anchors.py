"""What the anchors have that a student missed here (issue 22 §5), seen in the page."""
from __future__ import annotations

import pytest

from e2e_helpers import SESSION_READY

pytestmark = pytest.mark.e2e

GPT = "model=transformer&n_layer=2&n_head=2&n_embd=48&block_size=24&batch_size=12&seed=3"


def test_the_attention_map_axes_are_labelled_with_the_tokens(page, server_url):
    """Transformer Explainer labels its attention map's rows and columns with the tokens: here too,
    not only in a tooltip."""
    page.goto(f"{server_url}/?{GPT}")
    page.wait_for_function(SESSION_READY + " && flowscope.state().gpt.attention.length"
                           " && document.querySelector('.ga-canvas').dataset.axis", timeout=40_000)
    axis, tokens = page.evaluate("""async () => {
        const { glyph } = await import('/static/gpt/gptstate.js');
        const f = flowscope.state().gpt.attention.at(-1);
        return [document.querySelector('.ga-canvas').dataset.axis.split('\\u0001'), f.tokens.slice(0, f.shape[2]).map((t) => glyph(t))];
    }""")
    assert len(axis) == len(tokens) > 4
    shown = [i for i, a in enumerate(axis) if a]
    assert len(shown) >= len(tokens) // 2, axis  # at a laptop's size a letter fits every other cell at least
    assert all(axis[i] == tokens[i] for i in shown), (axis, tokens)


def test_each_transformer_stage_shows_its_tensor_shape_from_the_plan(page, server_url):
    """llm-viz writes each stage's tensor shape (B, T, C) beside it: the formula panel shows the
    engine's plan entry's shape, with this run's sizes (B 12, T 24, C 48, H 2)."""
    page.goto(f"{server_url}/?{GPT}")
    page.wait_for_function(SESSION_READY + " && flowscope.state().gpt.info", timeout=40_000)
    seen = {}
    for index in range(4):  # input, weights, attention scores, their softmax
        page.keyboard.press("ArrowRight")
        page.wait_for_function("i => document.getElementById('pipeline').dataset.activeIndex === String(i)", arg=index, timeout=10_000)
        page.wait_for_timeout(50)
        seen[page.get_attribute("#pipeline", "data-active-stage") + str(index)] = page.text_content("#gpt-formula .gf-shape")
    plan = page.evaluate("flowscope.state().session.plan ?? flowscope.state().plan")
    assert seen["input0"] == "ids (B, T) = (12, 24)", seen
    assert seen["weights1"] == "x (B, T, C) = (12, 24, 48)", seen
    assert seen["linear2"] == "scores (B, H, T, T) = (12, 2, 24, 24)", seen
    assert [e["shape"] for e in plan[:3]] == [seen["input0"], seen["weights1"], seen["linear2"]]


def test_the_output_plot_has_playgrounds_hover_and_toggles(page, server_url):
    """TF Playground: hovering a unit shows its picture large in the output plot; "show test data"
    and "discretize output" toggles."""
    page.goto(f"{server_url}/?model=mlp")
    page.wait_for_function(SESSION_READY + " && flowscope.state().field", timeout=15_000)
    page.wait_for_function("document.querySelector('#boundary').dataset.fieldSeq === String(flowscope.state().fieldSeq)")
    plot = "#boundary canvas"
    pixels = "() => { const c = document.querySelector('#boundary canvas'); const x = c.getContext('2d');" \
             " return Array.from(x.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 97 === 0)).join(','); }"
    output = page.evaluate(pixels)
    page.hover('#network .net-node[data-layer="0"][data-unit="1"]')
    page.wait_for_function("document.querySelector('#boundary').dataset.showing === '0,1'", timeout=3_000)
    assert "Unit 2 of hidden layer 1" in page.text_content("#boundary .panel-title")
    assert page.evaluate(pixels) != output  # the unit's picture, not the output's
    page.mouse.move(5, 5)
    page.wait_for_function("document.querySelector('#boundary').dataset.showing === 'output'", timeout=3_000)
    both = int(page.get_attribute("#boundary", "data-points"))
    page.click("#boundary .bd-test")
    page.wait_for_function("n => Number(document.querySelector('#boundary').dataset.points) < n", arg=both, timeout=3_000)
    assert int(page.get_attribute("#boundary", "data-points")) == len(page.evaluate("flowscope.state().dataset.x"))
    soft = page.evaluate(pixels)
    page.click("#boundary .bd-discrete")
    page.wait_for_timeout(200)
    assert page.evaluate(pixels) != soft
    assert page.is_visible(plot)
