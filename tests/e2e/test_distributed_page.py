"""The Transformer page with two data-parallel workers: their start-up progress, one step walked
with the keyboard through the new `allreduce` stage (each worker's gradient slice before, the same
slice after on both), the replicas' checksums, then a worker killed from the page: the run reports
it, restarts from the checkpoint, and the lost steps are marked on the loss chart."""
from __future__ import annotations

import pytest

from e2e_helpers import wait_frame

pytestmark = pytest.mark.e2e

CONFIG = ("model=transformer&n_layer=1&n_head=2&n_embd=32&block_size=16&batch_size=4&seed=3&workers=2"
          "&checkpoint_every=3&compare=true")
READY = ("window.flowscope && flowscope.state().session && flowscope.state().dataset"
         " && flowscope.state().gpt.info && flowscope.state().conn === 'open'")
DDP_READY = "flowscope.state().gpt.info?.ddp?.ready === true"


def test_two_workers_step_through_allreduce_and_survive_a_kill(page, server_url, shot):
    page.goto(f"{server_url}/?{CONFIG}")
    page.wait_for_function(READY, timeout=60_000)
    session = page.evaluate("flowscope.state().session")
    stages = [e["stage"] for e in session["plan"]]
    assert stages[-3:] == ["gradients", "allreduce", "update"]
    assert page.is_visible("#gpt-workers")
    assert page.input_value("#settings [name=workers]") == "2"  # the setting, from the engine's schema
    assert page.eval_on_selector_all("#gpt-workers tbody tr", "els => els.length") == 2
    shot(page, "distributed-starting")
    page.wait_for_function(DDP_READY, timeout=120_000)
    titles = page.eval_on_selector_all("#pipeline .rb-box", "els => els.map(e => e.dataset.stage)")
    assert "allreduce" in titles  # the ribbon draws the plan entry it was sent, with no knowledge of its own

    for index, name in enumerate(stages):
        start = len(page.frames_seen.items)
        page.keyboard.press("ArrowRight")
        frame = wait_frame(page, "stage", lambda m: m["index"] == index, start, timeout=30.0)
        assert frame["stage"] == name
        page.wait_for_function("i => document.getElementById('pipeline').dataset.activeIndex === String(i)", arg=index)
        if name == "allreduce":
            v = frame["values"]
            assert v["before"][0]["grad_slice"] != v["before"][1]["grad_slice"]
            assert v["after"][0]["grad_slice"] == v["after"][1]["grad_slice"]
            rows = page.eval_on_selector_all("#gpt-formula .gw-slices tr", "els => els.map(e => e.className)")
            assert rows == ["before", "before", "after", "after"]
            after = page.eval_on_selector_all("#gpt-formula .gw-slices tr.after",
                                              "els => els.map(e => Array.from(e.querySelectorAll('td')).map(t => t.textContent))")
            assert after[0] == after[1]
            page.wait_for_function("document.querySelector('#gpt-workers').dataset.ringPhase !== undefined")
            shot(page, "distributed-allreduce")
    page.wait_for_function("flowscope.state().step === 1")
    # the replicas' checksums come with the workers' report after the step (later than the step under load)
    page.wait_for_function("[...document.querySelectorAll('#gpt-workers .gw-sha')].every(e => e.textContent !== '—')",
                           timeout=30_000)
    sums = page.eval_on_selector_all("#gpt-workers .gw-sha", "els => els.map(e => e.textContent)")
    assert len(sums) == 2 and sums[0] == sums[1] and sums[0] != "—"

    page.keyboard.press("s")  # whole steps: 2 … 4 (checkpoint at 3)
    page.wait_for_function("flowscope.state().step === 2", timeout=30_000)
    page.keyboard.press("s")
    page.wait_for_function("flowscope.state().step === 3", timeout=30_000)
    page.keyboard.press("s")
    page.wait_for_function("flowscope.state().step === 4", timeout=30_000)
    page.click("#gpt-workers button.gw-kill[data-rank='1']")
    page.wait_for_function("document.querySelector('#gpt-workers').dataset.lost === '1'", timeout=60_000)
    assert page.evaluate("flowscope.state().step") == 3
    lost = page.text_content("#gpt-workers .gw-lost")
    assert "Lost worker 1 at step 4" in lost and "checkpoint at step 3" in lost
    page.wait_for_function(DDP_READY, timeout=120_000)
    page.keyboard.press("s")
    page.wait_for_function("flowscope.state().step === 4", timeout=30_000)
    assert page.get_attribute("#gpt-loss", "data-lost-spans") == "1"
    shot(page, "distributed-after-kill")
    page.keyboard.press(" ")  # play: per-worker losses, tokens/s, the all-reduce's share
    page.wait_for_function("flowscope.state().step >= 40", timeout=90_000)
    page.keyboard.press(" ")
    page.wait_for_function("!flowscope.state().playing", timeout=10_000)
    series = page.evaluate("flowscope.state().gpt.workerLosses.map(s => s.steps.length)")
    assert len(series) == 2 and min(series) >= 3
    assert "communicating" in page.text_content("#gpt-workers .gw-comm")
    # the same run in one process, overlaid: its losses are the workers' mean losses, step for step
    one, mean = page.evaluate("[flowscope.state().gpt.oneWorker, flowscope.state().gpt.losses]")
    assert len(one["steps"]) >= 40 and page.is_visible("#gpt-loss .gl-one")
    by_step = dict(zip(mean["steps"], mean["values"]))
    common = [s for s in one["steps"] if s in by_step and s > 4]
    assert len(common) >= 20
    assert max(abs(by_step[s] - v) for s, v in zip(one["steps"], one["values"]) if s in common) < 1e-4
    shot(page, "distributed-playing")

    # a worker killed while playing: the run restarts from its checkpoint and plays on (issue 22),
    # and the workers panel keeps saying what happened
    page.keyboard.press(" ")
    page.wait_for_function("flowscope.state().playing", timeout=10_000)
    page.wait_for_function(DDP_READY, timeout=60_000)
    page.click("#gpt-workers button.gw-kill[data-rank='0']")
    page.wait_for_function("document.querySelector('#gpt-workers').dataset.lost === '2'", timeout=60_000)
    back_at = page.evaluate("flowscope.state().step")
    page.wait_for_function("s => flowscope.state().playing && flowscope.state().step > s + 2", arg=back_at, timeout=120_000)
    assert "Lost worker 0" in page.text_content("#gpt-workers .gw-lost")
    shot(page, "distributed-kill-while-playing")
    page.keyboard.press(" ")
    page.wait_for_function("!flowscope.state().playing", timeout=10_000)
