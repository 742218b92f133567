"""What a new student meets in the first minute (issue 22 §4), each as a person would see it."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

GPT = "model=transformer&n_layer=2&n_head=2&n_embd=48&block_size=24&batch_size=12&seed=3"


@pytest.mark.parametrize("query", ["model=neuron", GPT])
def test_space_plays_the_moment_the_play_button_looks_active(page, server_url, query):
    """A button that looks active takes its key: Space pressed as soon as Play is enabled plays (it
    was dropped while the buttons stood enabled before the session had come)."""
    page.goto(f"{server_url}/?{query}")
    page.wait_for_function("document.querySelector('#play') && !document.querySelector('#play').disabled", timeout=40_000)
    page.keyboard.press(" ")
    page.wait_for_function("window.flowscope && flowscope.state().playing", timeout=5_000)
    page.keyboard.press(" ")
