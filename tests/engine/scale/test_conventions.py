"""Issue 19: the conventions a researcher checks — MFU vs HFU (recomputation costs time), presets as the
runs were, one FLOP count, the activation label, units, advice — against published runs."""
import pytest

from flowscope.engine.scale import EXTRA, ScaleError, estimate
from flowscope.engine.scale.hardware import GPUS


def test_recomputation_costs_time_at_the_same_hfu():
    base = {"preset": "bloom-176b", "hardware": {"hfu": 0.45}}
    none, sel, full = (estimate({**base, "training": {"recompute": r}}) for r in ("none", "selective", "full"))
    assert none["days"] < sel["days"] < full["days"]
    # full recomputation runs the layers' forward again: about 4/3 the time of none at one HFU
    assert full["days"] / none["days"] == pytest.approx(4 / 3, rel=0.01)
    # at one MFU, time is model FLOPs / MFU whatever is recomputed; HFU rises instead
    m_none, m_full = (estimate({"preset": "bloom-176b", "hardware": {"mfu": 0.35}, "training": {"recompute": r}})
                      for r in ("none", "full"))
    assert m_none["days"] == pytest.approx(m_full["days"])
    assert m_full["hardware"]["hfu"] > m_full["hardware"]["mfu"] == 0.35
    assert {f["key"] for f in full["figures"]} >= {"flops_recomputed", "flops_hardware", "utilization"}


def test_bloom_gpu_hours_with_its_hfu_and_full_recomputation():
    # BLOOM paper, arXiv 2211.05100: 1,082,990 compute hours on 384 A100-80GB; BigScience: ~150 TFLOP/s per
    # GPU counting recomputation (HFU 150/312); its training script (tr11-176B-ml.slurm): --checkpoint-activations
    r = estimate({"preset": "bloom-176b"})
    assert r["training"]["recompute"] == "full" and r["hardware"]["utilization_given"] == "hfu"
    assert r["hardware"]["hfu"] == pytest.approx(150 / 312)
    assert r["gpu_hours"] == pytest.approx(1_082_990, rel=0.15)
    assert r["published"]["ratios"]["hfu"] == pytest.approx(1.0)
    assert "HFU" in r["published"]["utilization"]


def test_megatron_1t_takes_84_days():
    # Narayanan et al. 2021, arXiv 2104.04473, §5.1: 1T parameters, 450B tokens, 3,072 A100s at 163 TFLOP/s
    # per GPU (Table 1) → about 84 days; Table 1: 1,008B parameters
    r = estimate({"preset": "megatron-1t"})
    assert r["days"] == pytest.approx(84, rel=0.05)
    assert r["params"]["total"] == pytest.approx(1008e9, rel=0.002)
    assert r["published"]["ratios"]["days"] == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("name, gpu_hours", [("llama-2-70b", 1_720_320), ("llama-3.1-405b", 30.84e6)])
def test_the_pages_implied_mfu_gives_back_the_published_gpu_hours(name, gpu_hours):
    # Llama 2 paper, arXiv 2307.09288, Table 2: 1,720,320 A100-80GB hours; Llama 3.1 model card: 30.84M H100 hours
    implied = estimate({"preset": name})["published"]["implied_mfu"]
    again = estimate({"preset": name, "hardware": {"mfu": implied}})
    assert again["gpu_hours"] == pytest.approx(gpu_hours, rel=0.03)


def test_presets_as_the_runs_were_with_sources():
    bloom = estimate({"preset": "bloom-176b"})
    assert (bloom["parallel"]["tp"], bloom["parallel"]["pp"], bloom["parallel"]["sp"]) == (4, 12, False)
    src = {row["setting"]: row["source"] for row in bloom["sources"]}
    assert "tr11-176B-ml.slurm" in src["training.recompute"] and "tr11-176B-ml.slurm" in src["parallel.sp"]
    # 8.2 GB of activations per GPU (2·s·b·h per layer, 70 layers, micro-batch 2), not 34.9
    assert bloom["memory_per_gpu"]["activations"] == pytest.approx(2 * 2048 * 2 * 14336 * 70)  # 2 bytes · s · b · h · L
    gpt3 = estimate({"preset": "gpt3-175b"})
    assert gpt3["parallel"]["sp"] is False  # sequence parallelism is from 2022
    src = {row["setting"]: row["source"] for row in gpt3["sources"]}
    assert src["hardware.n_gpus"] == "assumed" and src["parallel.tp"] == "assumed"
    mine = estimate({"preset": "gpt3-175b", "parallel": {"tp": 4}})
    assert {row["setting"]: row["source"] for row in mine["sources"]}["parallel.tp"] == "set here"


def test_one_flop_count_for_implied_mfu_and_gpu_hours():
    r = estimate({"preset": "llama-2-70b"})
    pub = r["published"]
    assert pub["implied_mfu"] == pytest.approx(r["flops"] / (1_720_320 * 3600 * GPUS["a100-80gb"]["peak_tflops_bf16"] * 1e12))
    assert "6·N·D" in r["conventions"]["flops"] and "QKᵀ and A·V" in r["conventions"]["attention"]
    causal = estimate({"preset": "llama-2-70b", "training": {"attention_flops": "causal"}})
    assert causal["flops_attention"] == pytest.approx(r["flops_attention"] / 2)


def test_the_activation_label_says_what_these_settings_give():
    custom = estimate({"model": {"n_layer": 96, "d_model": 12288, "n_head": 96}, "training": {"recompute": "none"}})
    act = next(f for f in custom["figures"] if f["key"] == "memory.activations")["formula"]
    assert "no dropout" in act and "give 32 + 2·a·s/h" in act  # not "GPT's layout gives 34 + 5"
    gpt = estimate({"model": {"dropout": True}, "training": {"recompute": "none"}})
    act = next(f for f in gpt["figures"] if f["key"] == "memory.activations")["formula"]
    assert "Korthikanti's 34 + 5·a·s/h, GPT's layout with dropout" in act


def test_full_recomputation_with_sequence_parallelism_says_its_split():
    r = estimate({"preset": "megatron-1t", "parallel": {"sp": True}})
    act = next(f for f in r["figures"] if f["key"] == "memory.activations")["formula"]
    assert "Table 2 lists full recomputation as 2·s·b·h" in act and "§4.2.2" in act
    assert r["memory_per_gpu"]["activations"] == pytest.approx(2 * 2048 * 25600 * 128 / 8)  # 2·s·b·h / t per layer


def test_units_are_stated_and_gib_shown():
    r = estimate({"preset": "llama-3.1-8b"})
    assert "10⁹" in r["conventions"]["bytes"] and "GiB" in r["conventions"]["bytes"]
    total = next(f for f in r["figures"] if f["key"] == "memory.total")["formula"]
    assert f"{r['memory_per_gpu']['total'] / 2**30:.3g} GiB" in total and "74.5 GiB" in total  # 80 GB = 74.5 GiB


def test_advice_names_the_real_blocker_and_a_setting_that_fits():
    r = estimate({"preset": "llama-3.1-405b", "parallel": {"zero": 3}, "hardware": {"gpu": "a100-40gb"}})
    assert not r["fits"] and r["min_gpus"] is None
    adv = r["advice"]
    assert adv["blocker"] == "activations" and "67.1 GB" in adv["text"]
    assert "raise the ZeRO stage" not in adv["text"] and "does not fit on any" not in adv["text"]
    fit = adv["fit"]
    again = estimate({"preset": "llama-3.1-405b", "hardware": {"gpu": "a100-40gb"},
                      "parallel": {k: fit[k] for k in ("dp", "tp", "pp", "zero", "sp")},
                      "training": {"recompute": fit["recompute"]}})
    assert again["fits"] and again["hardware"]["n_gpus"] == fit["n_gpus"]
    # and it is the smallest: one data-parallel copy fewer does not fit
    fewer = estimate({**{"preset": "llama-3.1-405b", "hardware": {"gpu": "a100-40gb"}},
                      "parallel": {**{k: fit[k] for k in ("tp", "pp", "zero", "sp")}, "dp": fit["dp"] - 1},
                      "training": {"recompute": fit["recompute"]}})
    assert not fewer["fits"]


def test_kv_heads_bound_tp_and_gpu_counts_are_bounded():
    with pytest.raises(ScaleError) as err:
        estimate({"preset": "llama-3.1-405b", "parallel": {"tp": 32}, "hardware": {"n_gpus": 16384}})
    assert err.value.field == ("parallel", "tp") and "n_kv_head 8" in str(err.value)
    with pytest.raises(ScaleError) as err:
        estimate({"preset": "gpt2-small", "parallel": {"dp": 10**7}})
    assert err.value.field == ("hardware", "n_gpus")
    with pytest.raises(ScaleError) as err:
        estimate({"preset": "bloom-176b", "hardware": {"mfu": 0.4, "hfu": 0.5}})
    assert err.value.field == ("hardware", "hfu")


def test_published_runs_beside_the_ladder():
    assert {"chinchilla-70b", "opt-175b", "megatron-1t", "bloom-176b"} <= set(EXTRA)
    # Hoffmann et al. 2022, arXiv 2203.15556: Chinchilla 70B; Table 4 (80 layers, d 8,192, 64 heads of 128)
    # reaches 70B only with Transformer-XL relative positions (a d × d W_R per layer)
    chin = estimate({"preset": "chinchilla-70b"})
    assert chin["model"]["position"] == "relative"
    assert chin["params"]["total"] == pytest.approx(70e9, rel=0.01)
    assert estimate({"preset": "chinchilla-70b", "model": {"position": "rope"}})["params"]["total"] < 0.93 * 70e9
    # OPT paper, arXiv 2205.01068 §2.4: 992 80GB A100s at up to 147 TFLOP/s per GPU
    opt = estimate({"preset": "opt-175b"})
    assert opt["hardware"]["n_gpus"] == 992 and opt["hardware"]["hfu"] == pytest.approx(147 / 312)
    assert opt["params"]["total"] == pytest.approx(175e9, rel=0.01)
    for name in ("chinchilla-70b", "opt-175b", "megatron-1t"):
        assert "arXiv" in estimate({"preset": name})["published"]["source"]


def test_full_recomputation_without_sequence_parallelism_keeps_the_whole_input():
    # Korthikanti et al. 2022, arXiv 2205.05198, Table 2: full recomputation keeps 2·s·b·h per layer
    r = estimate({"preset": "bloom-176b"})
    act = next(f for f in r["figures"] if f["key"] == "memory.activations")["formula"]
    assert "tp 4 does not divide the kept layer input" in act and "inside the split layers" not in act
