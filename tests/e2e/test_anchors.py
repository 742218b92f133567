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
