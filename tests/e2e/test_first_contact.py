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


def test_a_descent_link_brings_back_the_whole_race(page, server_url):
    """The schedule, the clipping and each racer's η are in the address: a reload races the same."""
    query = "?model=neuron&racers=sgd,adam&lr=0.1&lrs=0.1,0.02&schedule=cosine&warmup_steps=5&clip=0.5"
    page.goto(f"{server_url}/descent{query}")
    ready = "window.descent && descent.race().racers.length === 2 && descent.race().racers.every(r => r.connected && r.state && r.state.config)"
    page.wait_for_function(ready, timeout=20_000)
    configs = page.evaluate("descent.race().racers.map(r => r.state.config)")
    assert [c["lr"] for c in configs] == [0.1, 0.02]
    assert all(c["schedule"] == "cosine" and c["warmup_steps"] == 5 and c["clip"] == 0.5 for c in configs), configs
    page.reload()
    page.wait_for_function(ready, timeout=20_000)
    again = page.evaluate("descent.race().racers.map(r => r.state.config)")
    assert [(c["lr"], c["schedule"], c["clip"]) for c in again] == [(0.1, "cosine", 0.5), (0.02, "cosine", 0.5)]
