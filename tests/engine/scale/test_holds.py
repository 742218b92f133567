"""Who holds what under the calculator's split (engine/scale/holds.py), and "Run it here"'s live settings.

ZeRO's partitioning (Rajbhandari et al. 2019, arXiv 1910.02054 §5, Fig. 1): stage 1 shards the optimizer
state over the N_d data-parallel ranks, stage 2 the gradients too, stage 3 the parameters too; Megatron's
tensor parallelism (arXiv 1909.08053) gives each of t ranks 1/t of every split matrix; a pipeline stage
keeps L/p layers. Summed over the ranks, every share adds back to the whole model — checked here."""
import pytest

from flowscope.engine.scale.estimate import estimate
from flowscope.engine.scale.holds import holds, live_run
from flowscope.engine.scale.memory import model_states


def _par(**kw):
    return {"dp": 1, "tp": 1, "pp": 1, "zero": 0, **kw}


def test_zero_stages_shard_optimizer_then_gradients_then_weights():
    for zero, expect in ((0, (1, 1, 1)), (1, (1, 1, 0.25)), (2, (1, 0.25, 0.25)), (3, (0.25, 0.25, 0.25))):
        h = holds(4, _par(dp=4, zero=zero))
        cell = h["ranks"][0]["cells"][1]
        assert (cell["params"], cell["grads"], cell["optimizer"]) == expect
        assert h["ranks"][1]["coords"] == {"dp": 1, "pp": 0, "tp": 0}  # the second replica, for comparison


def test_tensor_and_pipeline_shares_add_back_to_the_whole_model():
    h = holds(8, _par(tp=2, pp=4))
    assert len(h["ranks"]) == 8 and h["note"] == "every rank shown"
    for col in range(len(h["blocks"])):  # the layers once; the embedding and head whole on each tp rank (as run)
        whole = 2 if col in (0, len(h["blocks"]) - 1) else 1
        assert sum(r["cells"][col]["params"] for r in h["ranks"]) == pytest.approx(whole)
    stage0 = h["ranks"][0]["cells"]
    assert h["blocks"][:3] == ["embedding", "layer 1", "layer 2"]
    assert [c["params"] for c in stage0[:4]] == [1.0, 0.5, 0.5, 0.0]  # the embedding whole, layers 1–2 half of each


def test_a_large_split_shows_a_few_ranks_and_says_so():
    r = estimate({"preset": "120b"})
    h, par = r["holds"], r["parallel"]
    n = par["dp"] * par["tp"] * par["pp"]
    assert h["n_ranks"] == n and len(h["ranks"]) <= 13 and f"of {n:,} ranks shown" in h["note"]
    assert len(h["blocks"]) <= 10
    # a rank's share of the layers (the mean over the layer columns: equal groups) is the calculator's bytes
    # per GPU over the whole model's, state by state
    states = model_states(10**9, "bf16", "adam", par["dp"], par["tp"], par["pp"], par["zero"])
    whole = model_states(10**9, "bf16", "adam")
    layers = h["ranks"][0]["cells"][1:-1]
    for key, state in (("params", "weights"), ("grads", "gradients"), ("optimizer", "optimizer")):
        assert sum(c[key] for c in layers) / len(layers) == pytest.approx(states[state] / whole[state], rel=1e-9)


def test_run_it_here_is_the_page_model_split_the_same_way_or_refused_in_words():
    ok = live_run(_par(dp=2, tp=2))
    assert ok["workers"] == 4 and ok["refused"] is None and ok["parallel"] == {"dp": 2, "tp": 2, "pp": 1, "zero": 0}
    assert ok["config"]["n_head"] == 2
    assert "must divide n_head" in live_run(_par(tp=4))["refused"]  # the page's model has 2 heads
    assert "at most 16" in live_run(_par(dp=64, tp=8))["refused"]
    assert live_run(_par(pp=2))["parallel"]["micro_batches"] == 4
