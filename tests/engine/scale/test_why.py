"""The Scale lesson's figures (engine/scale/why.py): memory first, then the GPUs-vs-days curve,
checked against Llama 3 405B as published.

Llama 3 paper (Grattafiori et al. 2024, arXiv 2407.21783): 405B parameters trained on 15.6T tokens
with 3.8e25 FLOPs (§3.2.1), on 16,384 H100 GPUs at 38–43% MFU (Table 4), and "during a 54-day snapshot
period of pre-training" 466 job interruptions (§3.3.4): pre-training ran at least 54 days. The Llama
3.1 model card gives 30.84M H100 GPU-hours for the 405B, i.e. 30.84e6 / 16,384 = 78 days on that
cluster — an upper bound for pre-training alone, since those hours include every stage and restart.
The curve assumes the run's 41% MFU at every GPU count (perfect scaling), so at 16,384 GPUs it must
land in that window: [54, 78] days. Its FLOPs count attention too (6·N·D + 12·L·s·d·D), so it may
exceed the paper's 3.8e25 by the attention's share at 8K context (about 10%)."""
from __future__ import annotations

import pytest

from flowscope.engine.scale import estimate
from flowscope.engine.scale.why import CURVE_GPUS, days_on, memory_gpus

PAPER_FLOPS = 3.8e25
SNAPSHOT_DAYS = 54  # arXiv 2407.21783 §3.3.4: a 54-day snapshot of pre-training
CARD_DAYS = 30.84e6 / 16_384 / 24  # Llama 3.1 model card: 30.84M GPU-hours over 16,384 GPUs


@pytest.fixture(scope="module")
def llama405():
    return estimate({"preset": "llama-3.1-405b"})


def test_the_curve_at_16k_h100s_lands_in_the_published_window(llama405):
    why = llama405["why"]
    assert PAPER_FLOPS <= llama405["flops"] <= 1.12 * PAPER_FLOPS, llama405["flops"]
    at = {p["gpus"]: p["days"] for p in why["curve"]}
    assert why["n_gpus"] == 16_384 and 16_384 in at
    assert SNAPSHOT_DAYS <= at[16_384] <= CARD_DAYS, at[16_384]
    assert at[16_384] == pytest.approx(why["days"]) == pytest.approx(llama405["days"])
    # the paper's own 3.8e25 FLOPs at 41% of 989 TFLOP/s on 16,384 GPUs: the same window
    assert SNAPSHOT_DAYS <= days_on(16_384, PAPER_FLOPS, 989e12, 0.41) <= CARD_DAYS


def test_days_fall_as_one_over_the_gpu_count(llama405):
    curve = llama405["why"]["curve"]
    assert [p["gpus"] for p in curve] == sorted({*CURVE_GPUS, 82, 16_384})  # with the memory floor and the run
    one = curve[0]["days"]
    for p in curve:
        assert p["days"] * p["gpus"] == pytest.approx(one)
    assert one / 365.25 > 1000  # one GPU alone: thousands of years


def test_memory_first_a_405b_model_needs_dozens_of_gpus_just_to_hold_it(llama405):
    why = llama405["why"]
    n = llama405["params"]["total"]
    assert why["state_bytes"] == pytest.approx(16 * n)  # bf16 mixed Adam: 2 + 2 + 12 bytes (ZeRO, arXiv 1910.02054)
    assert why["memory_gpus"] == 82 == memory_gpus(16 * n, 80e9)  # 6.49 TB over 80 GB cards
    held = [p["gpus"] for p in why["curve"] if p["holds"]]
    assert min(held) == 82 and all(not p["holds"] for p in why["curve"] if p["gpus"] < 82)
    assert "82 H100" in why["sentence"] and "16,384 GPUs train it in 71.7 days" in why["sentence"]


def test_the_sentence_is_one_sentence_with_the_runs_numbers():
    for preset in ("transformer", "gpt2-small", "llama-3.1-8b", "llama-3.1-405b"):
        out = estimate({"preset": preset})
        s = out["why"]["sentence"]
        assert s.endswith(".") and ". " not in s, s  # one sentence (decimal points have no space after)
        assert out["title"] in s


def test_small_models_have_no_curve():
    assert estimate({"preset": "neuron"})["why"] is None
