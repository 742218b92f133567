"""Parameter counts against checkpoints' exact counts (their config.json files) and hand counts."""
import pytest

from flowscope.engine.scale.params import Shape, count, non_embedding, problems
from flowscope.engine.scale.presets import PRESETS


def shape(name):
    return Shape(**PRESETS[name]["model"])


@pytest.mark.parametrize("name, exact", [
    # huggingface.co/gpt2 config.json (12 layers, d 768, vocab 50257, 1024 positions, biases, tied): 124,439,808
    ("gpt2-small", 124_439_808),
    # huggingface.co/meta-llama/Llama-3.1-8B config.json (GQA 32/8, SwiGLU d_ff 14336, RMSNorm, untied)
    ("llama-3.1-8b", 8_030_261_248),
    # huggingface.co/meta-llama/Llama-2-70b-hf config.json (80 layers, d 8192, 64/8 heads, d_ff 28672, vocab 32000)
    ("llama-2-70b", 68_976_648_192),
    # huggingface.co/meta-llama/Llama-3.1-405B config.json (126 layers, d 16384, 128/8 heads, d_ff 53248)
    ("llama-3.1-405b", 405_853_388_800),
    # BLOOM paper, arXiv 2211.05100, and huggingface.co/bigscience/bloom: 176,247,271,424 (ALiBi, embedding LayerNorm)
    ("bloom-176b", 176_247_271_424),
])
def test_exact_counts_of_released_checkpoints(name, exact):
    assert count(shape(name))["total"] == exact


def test_gpt3_within_a_percent_of_its_published_175b():
    # GPT-3 paper, arXiv 2005.14165, Table 2.1: 175.0B for 96 layers of d 12288 with context 2048
    assert count(shape("gpt3-175b"))["total"] == pytest.approx(175.0e9, rel=0.01)


def test_breakdown_by_hand_for_a_tiny_gqa_swiglu_model():
    s = Shape(n_layer=2, d_model=8, n_head=4, n_kv_head=2, d_ff=12, vocab=10, seq_len=5, mlp="swiglu",
              tied_embeddings=False, norm="rmsnorm", bias=False, position="rope")
    parts = count(s)
    assert s.d_kv == 4  # 2 key/value heads of d_head 2
    assert parts["embedding"] == 10 * 8  # RoPE: no position table
    assert parts["attention"] == 2 * (8 * 8 + 8 * 4 + 8 * 4 + 8 * 8)  # W_q, W_k, W_v, W_o
    assert parts["mlp"] == 2 * 3 * 8 * 12  # gate, up, down
    assert parts["norms"] == (2 * 2 + 1) * 8  # RMSNorm: a scale per channel
    assert parts["head"] == 10 * 8
    assert parts["total"] == sum(v for k, v in parts.items() if k != "total")


def test_gpt_layout_by_hand_with_biases_tied_and_learned_positions():
    s = Shape(n_layer=1, d_model=4, n_head=2, n_kv_head=2, d_ff=16, vocab=7, seq_len=3, mlp="gelu",
              tied_embeddings=True, norm="layernorm", bias=True, position="learned")
    d = 4
    per_layer = (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d) + 2 * 2 * d  # 12d² + 13d
    assert count(s)["total"] == 7 * d + 3 * d + per_layer + 2 * d
    assert count(s)["head"] == 0
    assert non_embedding(s) == per_layer + 2 * d


def test_swiglu_is_three_matrices_not_two():
    # the miscount EleutherAI's calculator had until a user reported it
    gelu = Shape(2, 16, 4, 4, 64, 10, 8, mlp="gelu")
    swiglu = Shape(2, 16, 4, 4, 64, 10, 8, mlp="swiglu")
    assert count(swiglu)["mlp"] == 3 * count(gelu)["mlp"] // 2


def test_problems_name_the_field():
    assert problems(Shape(2, 10, 3, 3, 40, 10, 8))[0][0] == "n_head"
    assert problems(Shape(2, 12, 4, 3, 40, 10, 8))[0][0] == "n_kv_head"
    assert problems(Shape(0, 12, 4, 4, 40, 10, 8))[0][0] == "n_layer"
