"""The calculator as a whole: presets resolve, overrides apply, figures carry their formulas."""
import pytest

from flowscope.engine.scale import LADDER, ScaleError, estimate, ladder


def test_every_rung_answers():
    for name in LADDER:
        reply = estimate({"preset": name})
        assert reply["params"]["total"] > 0 and reply["memory_per_gpu"]["total"] > 0
        assert reply["figures"] and all(f["formula"] for f in reply["figures"])


def test_neuron_and_mlp_by_hand():
    neuron = estimate({"preset": "neuron"})
    assert neuron["params"]["total"] == 2
    mlp = estimate({"preset": "mlp"})  # 2 → 4 → 2 → 1: 2·4+4 + 4·2+2 + 2·1+1
    assert mlp["params"]["total"] == 25
    assert mlp["memory_per_gpu"]["weights"] == 100 and mlp["memory_per_gpu"]["optimizer"] == 0  # SGD
    adam = estimate({"preset": "mlp", "training": {"optimizer": "adam"}})
    assert adam["memory_per_gpu"]["optimizer"] == 200


def test_transformer_rung_matches_the_gpt_it_describes():
    pytest.importorskip("torch")
    from flowscope.engine.transformer.model import GPT, GPTConfig

    rung = next(r for r in ladder() if r["name"] == "transformer")
    m = rung["model"]
    gpt = GPT(GPTConfig(vocab_size=m["vocab"], block_size=m["seq_len"], n_layer=m["n_layer"], n_head=m["n_head"],
                        n_embd=m["d_model"]))
    assert rung["params"] == gpt.num_params()


def test_min_gpus_grows_dp_until_it_fits():
    reply = estimate({"preset": "llama-3.1-8b", "parallel": {"dp": 1, "zero": 3}})
    assert not reply["fits"] and reply["min_gpus"] > 1
    again = estimate({"preset": "llama-3.1-8b", "parallel": {"dp": reply["min_gpus"], "zero": 3}})
    assert again["fits"]
    tight = estimate({"preset": "llama-3.1-8b", "parallel": {"dp": reply["min_gpus"] - 1, "zero": 3}})
    assert not tight["fits"]
    assert estimate({"preset": "120b", "parallel": {"zero": 0}, "training": {"recompute": "none"}})["min_gpus"] is None


def test_errors_name_fields():
    with pytest.raises(ScaleError) as err:
        estimate({"preset": "gpt2-small", "model": {"d_model": 770}})
    assert err.value.field == ("model", "n_head")
    with pytest.raises(ScaleError) as err:
        estimate({"parallel": {"pp": 99}})
    assert err.value.field == ("parallel", "pp")


def test_torch_free():
    # the calculator is plain Python: importing and using it pulls in neither torch nor the server's stack
    import subprocess
    import sys

    code = ("import sys, flowscope.engine.scale as s; s.estimate({'preset': 'transformer'}); s.ladder(); "
            "print(sorted(m for m in ('torch', 'fastapi', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    assert out.strip() == "[]"


def test_parallel_degrees_and_gpu_count_resolve():
    base = {"preset": "llama-3.1-405b"}  # 16,384 GPUs = dp 128 · tp 8 · pp 16
    r = estimate({**base, "parallel": {"zero": 3}, "hardware": {"n_gpus": 8192}})
    assert r["parallel"]["dp"] == 64 and r["parallel"]["zero"] == 3  # n_gpus without dp: dp follows
    r = estimate({**base, "parallel": {"tp": 4}})
    assert r["hardware"]["n_gpus"] == 128 * 4 * 16  # degrees without n_gpus: n_gpus follows
    with pytest.raises(ScaleError) as err:
        estimate({**base, "parallel": {"dp": 3}, "hardware": {"n_gpus": 8192}})
    assert err.value.field == ("parallel", "dp")
    with pytest.raises(ScaleError) as err:
        estimate({**base, "hardware": {"n_gpus": 1000}})
    assert err.value.field == ("hardware", "n_gpus")
