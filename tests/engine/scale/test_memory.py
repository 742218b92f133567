"""Memory per GPU against the ZeRO paper's and Korthikanti et al.'s published figures and hand counts."""
import pytest

from flowscope.engine.scale.memory import (activation_terms, activations, activations_per_layer, bytes_per_param,
                                           korthikanti, model_states)
from flowscope.engine.scale.params import Shape


@pytest.mark.parametrize("stage, published_gb", [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_papers_7_5b_example(stage, published_gb):
    # ZeRO, arXiv 1910.02054, Figure 1: Ψ = 7.5B, N_d = 64, K = 12 (mixed-precision Adam):
    # baseline 120 GB, P_os 31.4 GB, P_os+g 16.6 GB, P_os+g+p 1.9 GB per GPU
    states = model_states(7.5e9, "bf16_mixed", "adam", dp=64, zero=stage)
    assert sum(states.values()) / 1e9 == pytest.approx(published_gb, rel=0.02)


def test_byte_conventions():
    assert bytes_per_param("bf16_mixed", "adam") == {"weights": 2, "gradients": 2, "optimizer": 12}
    assert bytes_per_param("fp32", "adam") == {"weights": 4, "gradients": 4, "optimizer": 8}
    assert bytes_per_param("bf16_mixed", "adam8bit")["optimizer"] == 6  # 4 master + 1 + 1
    assert bytes_per_param("bf16_mixed", "sgd")["optimizer"] == 4  # the master copy remains


def test_tensor_and_pipeline_parallelism_divide_every_model_state():
    one = model_states(1e9, "bf16_mixed", "adam")
    split = model_states(1e9, "bf16_mixed", "adam", tp=4, pp=2)
    for k in one:
        assert split[k] == pytest.approx(one[k] / 8)


def gpt(s, h, a, dropout=True, d_ff=None):
    return Shape(n_layer=1, d_model=h, n_head=a, n_kv_head=a, d_ff=d_ff or 4 * h, vocab=10, seq_len=s, dropout=dropout)


@pytest.mark.parametrize("recompute", ["none", "selective", "full"])
@pytest.mark.parametrize("t", [1, 8])
def test_per_tensor_count_equals_korthikantis_closed_form(recompute, t):
    # Korthikanti et al. 2022, arXiv 2205.05198, §4: s·b·h·(10 + 24/t + 5·a·s/(h·t)); selective drops
    # the a·s² term; full keeps 2·s·b·h. GPT-3-sized layer: s 2048, h 12288, a 96, b 1
    s, b, h, a = 2048, 1, 12288, 96
    assert activations_per_layer(gpt(s, h, a), b, recompute, "bf16_mixed", tp=t) == pytest.approx(
        korthikanti(s, b, h, a, recompute, t))


def test_tiny_layer_by_hand():
    # s 4, b 2, h 8, a 2, 16-bit: 34·s·b·h + 5·a·s²·b = 34·64 + 5·2·16·2 = 2176 + 320 bytes
    assert activations_per_layer(gpt(4, 8, 2), 2, "none", "bf16_mixed") == 2176 + 320
    # without dropout no 1-byte masks: 32·s·b·h + 2·a·s²·b
    assert activations_per_layer(gpt(4, 8, 2, dropout=False), 2, "none", "bf16_mixed") == 32 * 64 + 2 * 2 * 16 * 2
    # fp32 doubles the 2-byte tensors, not the masks
    assert activations_per_layer(gpt(4, 8, 2), 2, "selective", "fp32") == 2 * 32 * 64 + 2 * 64


def test_sequence_parallel_divides_everything_and_pipeline_does_not_shrink_the_first_stage():
    layer = gpt(1024, 1024, 16)
    full = activations_per_layer(layer, 1, "selective", "bf16_mixed")
    assert activations_per_layer(layer, 1, "selective", "bf16_mixed", tp=4, sp=True) == pytest.approx(full / 4)
    deep = Shape(8, 1024, 16, 16, 4096, 10, 1024, dropout=True)
    # 1F1B: the first stage holds pp micro-batches of L/pp layers (Korthikanti et al., pipeline parallelism)
    assert activations(deep, 1, "selective", "bf16_mixed", pp=4) == activations(deep, 1, "selective", "bf16_mixed")


def test_grouped_query_attention_saves_smaller_k_and_v():
    mha = Shape(1, 64, 8, 8, 256, 10, 16)
    gqa = Shape(1, 64, 8, 2, 256, 10, 16)
    names = [t["what"] for t in activation_terms(gqa, 1, "selective", "bf16_mixed")]
    assert "V (for softmax·V)" in names
    diff = (activations_per_layer(mha, 1, "selective", "bf16_mixed")
            - activations_per_layer(gqa, 1, "selective", "bf16_mixed"))
    assert diff == 2 * 16 * (64 - 16) * 2  # K and V: d_kv 16 instead of 64, 2 bytes each


def test_held_params_split_what_the_live_run_splits():
    # a GPT with biases and untied head, counted by hand as engine/distributed/parallel.py `local_shape` keeps
    # it: tp splits qkv and fc (rows, with their biases) and both output projections' weights (columns);
    # the norms, the output projections' biases, the embeddings and the head stay whole
    from flowscope.engine.scale.memory import held_params

    L, d, V, s = 2, 8, 11, 5
    shape = Shape(n_layer=L, d_model=d, n_head=2, n_kv_head=2, d_ff=4 * d, vocab=V, seq_len=s, bias=True,
                  position="learned", norm="layernorm")
    split = (3 * d * d + 3 * d) + d * d + (4 * d * d + 4 * d) + 4 * d * d  # per block, divided by tp
    whole = 2 * 2 * d + d + d  # per block: two LayerNorms (γ, β), attention's and the MLP's output biases
    emb, tail = V * d + s * d, 2 * d + V * d  # the embeddings; ln_f and lm_head
    assert held_params(shape) == L * (split + whole) + emb + tail
    assert held_params(shape, tp=2) == L * (split / 2 + whole) + emb + tail
    assert held_params(shape, tp=2, pp=2, stage=0) == (split / 2 + whole) + emb  # block 0 and the embeddings
    assert held_params(shape, tp=2, pp=2, stage=1) == (split / 2 + whole) + tail  # block 1, ln_f, the head
