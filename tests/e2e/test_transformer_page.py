"""The Transformer page (model `transformer`): a small character GPT trained live. Stepping through
one step with the keyboard (the ribbon and the formula follow the server's stage frames); training
with Space while the page asks for attention maps, probabilities and samples; switching to
fine-tuning and seeing the switch on the loss chart; training on your own text."""
from __future__ import annotations

import pytest

from e2e_helpers import assert_fits_viewport, state, wait_frame

pytestmark = pytest.mark.e2e

# Small enough to start fast and learn visibly within seconds on a 2-core CPU.
CONFIG = "model=transformer&n_layer=2&n_head=2&n_embd=48&block_size=24&batch_size=12&seed=3"
READY = ("window.flowscope && flowscope.state().session && flowscope.state().dataset"
         " && flowscope.state().gpt.info && flowscope.state().conn === 'open'")
STAGE_TITLES = ["Input", "Weights", "Linear combination", "Activation", "Loss", "Gradients", "Update"]  # the plan's


def open_gpt(page, url: str) -> dict:
    page.goto(f"{url}/?{CONFIG}")
    page.wait_for_function(READY, timeout=40_000)  # a transformer session loads torch: seconds
    return page.evaluate("flowscope.state().session")


def glyphs(text: str) -> str:
    return text.replace("␠", "␣")  # the page writes the space as ␣ (fonts lack ␠)


def press_to_index(page, index: int) -> dict:
    start = len(page.frames_seen.items)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("i => document.getElementById('pipeline').dataset.activeIndex === String(i)", arg=index,
                           timeout=10_000)
    return wait_frame(page, "stage", lambda m: m["index"] == index, start, timeout=10.0)


def gpt(page, expr: str):
    return page.evaluate(f"(() => {{ const g = flowscope.state().gpt; return {expr}; }})()")


def test_transformer_steps_through_one_step(page, server_url, shot):
    session = open_gpt(page, server_url)
    stages = [e["stage"] for e in session["plan"]]
    assert session["model"] == "transformer"
    assert stages[0] == "input" and stages[-1] == "update" and stages.count("linear") == 4
    titles = page.eval_on_selector_all("#pipeline .rb-title", "els => els.map(e => e.firstChild.textContent.trim())")
    assert titles == STAGE_TITLES
    pills = page.eval_on_selector_all("#pipeline .rb-pill", "els => els.map(e => e.textContent)")
    assert pills == ["attn 1", "MLP 1", "attn 2", "MLP 2"] * 2 + ["MLP 2", "attn 2", "MLP 1", "attn 1"]
    assert_fits_viewport(page)

    for index, name in enumerate(stages):
        frame = press_to_index(page, index)
        assert frame["stage"] == name
        assert page.get_attribute("#pipeline", "data-active-stage") == name
        assert page.eval_on_selector_all("#pipeline .rb-box.active", "els => els.map(e => e.dataset.stage)") == [name]
        lit = page.eval_on_selector_all("#pipeline .rb-pill.active", "els => els.map(e => Number(e.dataset.index))")
        assert lit == ([index] if name in ("linear", "activation", "gradients") else [])
        assert page.text_content("#formula") == glyphs(frame["formula"])
        if name == "input":
            shown = page.eval_on_selector_all("#gpt-formula .gf-tok b", "els => els.map(e => e.textContent)")
            assert shown == [glyphs(c) for c in frame["values"]["text"]]
        if name == "activation" and frame["layer"] == 0:
            assert "softmax" in page.text_content("#gpt-formula .stage-name").lower()
            heads = page.eval_on_selector_all("#gpt-formula .gf-maps canvas", "els => els.length")
            assert heads == len(frame["values"]["map"]) == 2
            assert abs(sum(frame["values"]["row"]) - 1) < 1e-4
        if name == "loss":
            assert "−ln p" in frame["formula"]
        if name == "update":
            assert "m̂" in frame["formula"] and "v̂" in frame["formula"]
    page.wait_for_function("flowscope.state().step === 1")
    assert state(page)["stage"]["stage"] == "update"
    page.keyboard.press("s")  # S: one whole step
    page.wait_for_function("flowscope.state().step === 2", timeout=10_000)


def test_transformer_trains_live_and_fine_tunes(page, server_url, shot):
    open_gpt(page, server_url)
    page.wait_for_function("flowscope.state().gpt.attention.length >= 1 && flowscope.state().gpt.probs", timeout=10_000)
    # The focused map is drawn: its first row can only look at itself (weight 1): the darkest blue.
    # (Its top-left corner sits under its 18 px label and right of and under its 14 px token axes.)
    page.wait_for_function("document.querySelector('#gpt-attention').dataset.maps > 0")
    corner = page.evaluate("(() => { const c = document.querySelector('#gpt-attention canvas');"
                           " const d = devicePixelRatio; return Array.from(c.getContext('2d').getImageData(17 * d, 35 * d, 1, 1).data); })()")
    assert corner[:3] == [8, 48, 107], corner
    page.keyboard.press(" ")
    page.wait_for_function("flowscope.state().playing", timeout=10_000)
    # While it trains the page keeps asking: maps about once a second, a sample every ~2 s.
    page.wait_for_function("(() => { const g = flowscope.state().gpt;"
                           " return new Set(g.attention.map(f => f.step)).size >= 3"
                           " && new Set(g.samples.map(s => s.text)).size >= 2 && g.evals.length >= 2; })()",
                           timeout=45_000)
    fps = page.evaluate("flowscope.fps()")
    steps, maps, rate = page.evaluate("[flowscope.state().step, flowscope.state().gpt.attention.length,"
                                      " flowscope.state().gpt.info.tokens_per_s]")
    print(f"\ntraining: {fps} fps at step {steps}, {maps} attention maps kept, {rate:.0f} tokens/s")
    assert fps >= 30

    # The maps differ as the model learns; every row of every map sums to 1, the future is 0.
    first, last = gpt(page, "[g.attention[0], g.attention[g.attention.length - 1]].map(f => ({step: f.step, shape: f.shape, data: Array.from(f.data)}))")
    assert first["step"] < last["step"] and first["data"] != last["data"]
    L, H, T, _ = last["shape"]
    for m in range(L * H):
        for i in range(T):
            row = last["data"][(m * T + i) * T:(m * T + i + 1) * T]
            assert abs(sum(row) - 1) < 0.01 and all(v == 0 for v in row[i + 1:])

    # Next-character probabilities: a distribution over the whole vocabulary.
    probs, vocab = gpt(page, "[g.probs.probs, g.probs.vocab]")
    assert len(probs) == len(vocab) == len(state(page)["dataset"]["vocab"])
    assert abs(sum(probs) - 1) < 1e-4
    assert page.get_attribute("#gpt-probs", "data-position") == str(page.eval_on_selector_all("#gpt-probe .gp-tok", "els => els.length") - 1)
    page.click("#gpt-probe .gp-tok[data-pos='2']")
    page.wait_for_function("flowscope.state().gpt.probs.context.length === 3", timeout=10_000)
    assert page.get_attribute("#gpt-probs", "data-position") == "2"
    shown = page.eval_on_selector_all("#gpt-probs .gq-bar", "els => els.map(e => Number(e.dataset.p))")
    assert 1 <= len(shown) and sum(shown) <= 1 + 1e-6

    # The time-lapse slider goes back to an older map, and Live returns.
    page.eval_on_selector(".ga-slider", "s => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
    page.wait_for_function("flowscope.state().gpt.ui.lapse !== null && document.querySelector('#gpt-attention').dataset.step"
                           " === String(flowscope.state().gpt.ui.lapse)")
    assert gpt(page, "g.ui.lapse") == gpt(page, "g.attention[0].step")
    page.click(".ga-live")
    page.wait_for_function("flowscope.state().gpt.ui.lapse === null")

    # Per-character loss, layer statistics and Adam's moments arrived.
    assert page.eval_on_selector_all("#gpt-samples .gs-charloss .gs-c", "els => els.length") > 10
    assert page.eval_on_selector_all("#gpt-layers tbody tr[data-group]", "els => els.map(e => e.dataset.group)") == [
        "embedding", "block 1", "block 2", "head"]
    page.wait_for_function("flowscope.state().gpt.optHistory.length >= 2", timeout=10_000)
    assert "m̂" in page.text_content("#gpt-optim .go-lines")
    # …every number of the panel from the engine's optimizer_state `update` (none worked out in the page)
    page.wait_for_function("() => { const u = flowscope.state().gpt.opt?.state?.update?.values;"
                           " return u && document.querySelector('#gpt-optim .go-lines').textContent.includes(`t = ${u.t}`); }",
                           timeout=10_000)
    upd = page.evaluate("flowscope.state().gpt.opt.state.update.values")
    assert "η·m̂/(√v̂+ε) = " in page.text_content("#gpt-optim .go-lines")
    assert upd["before"] - upd.get("decay", 0.0) - upd["step"] == pytest.approx(upd["after"], rel=1e-5, abs=1e-9)
    assert_fits_viewport(page)

    # Pre-train → fine-tune: the switch is marked on the loss chart, and training goes on, on the task.
    page.click("#gpt-phase")
    page.wait_for_function("flowscope.state().gpt.phase === 'finetune' && flowscope.state().gpt.switches.length === 1"
                           " && !flowscope.state().playing", timeout=15_000)
    switch = wait_frame(page, "phase", timeout=5.0)
    assert switch["to"] == "finetune" and switch["samples"]["text"]
    assert page.get_attribute("#gpt-loss", "data-switches") == "1"
    assert page.text_content("#gpt-phase") == "Switch back to pre-training"
    assert "before the switch" in page.text_content("#gpt-samples")
    page.keyboard.press(" ")
    page.wait_for_function(f"(() => {{ const g = flowscope.state().gpt; return g.evals.some(e => e.phase === 'finetune'"
                           f" && e.step >= {switch['step']} + 100) && g.samples.some(s => s.prompt === 'Q: '); }})()",
                           timeout=60_000)
    page.keyboard.press(" ")
    page.wait_for_function("!flowscope.state().playing")
    evals = gpt(page, "g.evals")
    at = next(e for e in evals if e["step"] == switch["step"])
    after = evals[-1]
    print(f"fine-tuning: task B held-out {at['task_val']:.2f} → {after['task_val']:.2f}, "
          f"text A held-out {at['val']:.2f} → {after['val']:.2f} (forgetting)")
    assert after["task_val"] < at["task_val"]
    shot(page, "transformer-training")

    # Back to the maps, stepping: the attention of block 1 in the formula panel, the maps beside it.
    page.fill("#gpt-probe-input", "Q: 12+34? A: 46")
    page.keyboard.press("Enter")
    page.wait_for_function("flowscope.state().gpt.attention.at(-1).tokens.join('') === 'Q:␠12+34?␠A:␠46'", timeout=10_000)
    for index in range(4):
        press_to_index(page, index)
    shot(page, "transformer-attention")


def test_transformer_trains_on_your_own_text(page, server_url):
    open_gpt(page, server_url)
    text = ("the cat sat on the mat. the dog sat on the log. " * 20).strip()
    page.click("#gpt-text-button")
    page.fill(".gpt-text-dialog textarea", text)
    page.click(".gpt-text-dialog .gt-train")
    page.wait_for_function("flowscope.state().dataset && flowscope.state().dataset.source === 'your text'", timeout=40_000)
    vocab = state(page)["dataset"]["vocab"]
    # The vocabulary is this text's characters (and the task's), in id order.
    assert {"c", "a", "t", "."} <= set(vocab) and "z" not in vocab
    assert "text=" not in page.url, "a pasted text never goes into the URL"
    page.wait_for_function("flowscope.state().gpt.probs && flowscope.state().gpt.probs.vocab.length === flowscope.state().dataset.vocab.length",
                           timeout=10_000)
