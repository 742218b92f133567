"""The GPT itself: shapes, the causal mask, the two attention paths, the initializations."""
import math

import pytest
import torch

from flowscope.engine.transformer import config as tconfig
from flowscope.engine.transformer.model import GPT, INITS, GPTConfig

CFG = GPTConfig(vocab_size=40, block_size=16, n_layer=2, n_head=4, n_embd=32)


def model(cfg=CFG, seed=0) -> GPT:
    torch.manual_seed(seed)
    return GPT(cfg).eval()


def ids(B=3, T=16, seed=1):
    return torch.randint(CFG.vocab_size, (B, T), generator=torch.Generator().manual_seed(seed))


def test_forward_shapes():
    m = model()
    x = ids()
    logits, loss = m(x, x)
    assert logits.shape == (3, 16, 40) and loss.shape == ()
    logits, loss = m(x[:, :5])  # shorter than block_size is fine
    assert logits.shape == (3, 5, 40) and loss is None
    with pytest.raises(ValueError, match="block_size"):
        m(torch.zeros(1, 17, dtype=torch.long))


@pytest.mark.parametrize("inspect", [False, True])
def test_changing_a_future_token_never_changes_earlier_logits(inspect):
    m = model()
    x = ids(B=1)
    y = x.clone()
    y[0, 9] = (x[0, 9] + 1) % CFG.vocab_size
    with torch.no_grad():
        a = m(x, record={} if inspect else None)[0]
        b = m(y, record={} if inspect else None)[0]
    assert torch.equal(a[0, :9], b[0, :9])
    assert not torch.allclose(a[0, 9:], b[0, 9:])


def test_attention_rows_sum_to_one_and_the_future_gets_exactly_zero():
    m = model()
    with torch.no_grad():
        maps = m.attention(ids())
    assert len(maps) == CFG.n_layer
    for att in maps:  # (B, H, T, T)
        assert att.shape == (3, 4, 16, 16)
        assert torch.allclose(att.sum(-1), torch.ones(3, 4, 16), atol=1e-6)
        upper = torch.triu(torch.ones(16, 16, dtype=torch.bool), diagonal=1)
        assert (att[..., upper] == 0).all()
        assert (att[..., ~upper] > 0).all()


def test_inspect_path_equals_training_path_in_logits_loss_and_gradients():
    m = model()
    x, y = ids(seed=2), ids(seed=3)
    fast_logits, fast_loss = m(x, y)
    fast_loss.backward()
    fast_grads = {n: p.grad.clone() for n, p in m.named_parameters()}
    m.zero_grad()
    record = {}
    slow_logits, slow_loss = m(x, y, record=record)
    slow_loss.backward()
    assert torch.allclose(fast_logits, slow_logits, atol=1e-5)
    assert fast_loss.item() == pytest.approx(slow_loss.item(), abs=1e-6)
    for n, p in m.named_parameters():
        assert torch.allclose(fast_grads[n], p.grad, atol=1e-6, rtol=1e-4), n
    assert len(record["sublayers"]) == 2 * CFG.n_layer


@pytest.mark.parametrize("init", ["0.02", "scaled_residual"])
def test_loss_at_init_is_about_ln_vocab(init):
    cfg = GPTConfig(vocab_size=96, block_size=32, n_layer=4, n_head=4, n_embd=64, init=init)
    m = model(cfg)
    x = torch.randint(96, (8, 32), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        loss = m(x, x.roll(-1, 1))[1].item()
    assert loss == pytest.approx(math.log(96), abs=0.2)


def test_fan_in_init_starts_with_confident_wrong_guesses():
    # N(0, 1/√C) on the head gives logits of size ~1, not ~0: the first loss sits above ln V
    cfg = GPTConfig(vocab_size=96, block_size=32, n_layer=2, n_head=4, n_embd=64, init="fan_in")
    m = model(cfg)
    assert m.lm_head.weight.std().item() == pytest.approx(1 / math.sqrt(64), rel=0.1)
    x = torch.randint(96, (8, 32), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert m(x, x.roll(-1, 1))[1].item() > math.log(96) + 0.1


def test_scaled_residual_shrinks_only_the_output_projections():
    cfg = GPTConfig(vocab_size=96, block_size=32, n_layer=8, n_head=4, n_embd=128, init="scaled_residual")
    m = model(cfg)
    proj, qkv = m.blocks[0].attn.proj.weight.std().item(), m.blocks[0].attn.qkv.weight.std().item()
    assert proj == pytest.approx(0.02 / math.sqrt(16), rel=0.1)
    assert qkv == pytest.approx(0.02, rel=0.05)
    assert m.blocks[3].mlp.proj.weight.std().item() == pytest.approx(0.02 / 4, rel=0.1)


def test_config_lists_the_same_inits_as_the_model():
    assert tconfig.INITS is INITS
