"""Measured training memory of a tiny GPT equals hand counts; the session's state is never touched."""
import torch

from flowscope.engine.trainer import Trainer
from flowscope.engine.transformer.measure import SavedTensors, block_extra_bytes, gpt_loss, outside_blocks_bytes
from flowscope.engine.transformer.model import GPT, Block, GPTConfig
from flowscope.engine.transformer.run import TransformerRun
from flowscope.engine.transformer.trainer import GPTTrainer


def test_one_block_saves_what_a_hand_count_says():
    B, T, C, H = 3, 8, 16, 2
    torch.manual_seed(0)
    block = Block(GPTConfig(vocab_size=11, block_size=T, n_layer=1, n_head=H, n_embd=C))
    x = torch.randn(B, T, C, requires_grad=True)
    saved = SavedTensors(block.parameters())
    with saved.counting():
        block(x)
    # fp32, per storage: LN1 input x, LN1 output (to qkv), qkv (B,T,3C: q, k, v are views of it),
    # the attention output (its transpose back is a view), LN2 input and output, GELU input and output
    # (4C each): 16·B·T·C — Korthikanti's 32 bytes per s·b·h without dropout, in fp32 — plus the two
    # LayerNorms' mean and 1/σ (B·T each) and the fused attention's log-sum-exp (B·H·T)
    hand = 4 * (16 * B * T * C) + 4 * (2 * 2 * B * T + B * H * T)
    assert saved.total == hand
    assert block_extra_bytes(B, T, H) == 4 * (2 * 2 * B * T + B * H * T)


def test_whole_model_and_checkpointing_by_hand():
    B, T, C, H, V, L = 3, 8, 16, 2, 11, 2
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=V, block_size=T, n_layer=L, n_head=H, n_embd=C))
    x, y = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
    plain = SavedTensors(model.parameters())
    with plain.counting():
        loss = gpt_loss(model, x, y, plain)
    assert loss.item() == model(x, y)[1].item()  # the open block loop is GPT.forward
    per_block = 4 * 16 * B * T * C + block_extra_bytes(B, T, H)
    assert plain.total == L * per_block + outside_blocks_bytes(B, T, C, V)
    ckpt = SavedTensors(model.parameters())
    with ckpt.counting():
        gpt_loss(model, x, y, ckpt, ckpt=True)
    # checkpointing keeps each block's input only: B·T·C fp32 per block
    assert ckpt.total == L * 4 * B * T * C + outside_blocks_bytes(B, T, C, V)
    assert ckpt.total < plain.total / 2


def test_measure_matches_the_formula_and_leaves_the_session_alone(tiny):
    trainer = GPTTrainer(tiny)
    trainer.run(2)
    run = trainer.gpt
    weights = {k: v.clone() for k, v in run.model.state_dict().items()}
    opt_state = {k: v.clone() for k, v in run.optimizer.state[run.params[0]].items()}
    batches, global_rng, steps = run.batch_gen.get_state().clone(), torch.get_rng_state().clone(), trainer.steps_done

    m = trainer.measure()

    n = run.model.num_params()
    assert m["step"] == 2 and m["param_bytes"] == 4 * n == m["predicted"]["param_bytes"]
    assert m["grad_bytes"] == 4 * n
    assert m["optimizer_bytes"] == 2 * 4 * n  # AdamW: m and v, fp32, one of each per parameter
    assert m["saved"]["checkpoint"] < m["saved"]["plain"] and m["saved"]["bf16"] < m["saved"]["plain"]
    cfg = trainer.config
    B, T, C, H, V = cfg.batch_size, cfg.block_size, cfg.n_embd, cfg.n_head, len(run.tok)
    # the run's batches are windows of T + 1 ids (x and y are views of one (B, T+1) tensor), so the
    # ids' storage holds one more id per row than a (B, T) tensor: 8·B bytes
    assert m["saved"]["plain"] == m["predicted"]["saved"]["plain"] + cfg.n_layer * block_extra_bytes(B, T, H) + \
        outside_blocks_bytes(B, T, C, V) + 8 * B
    assert 0 < m["mfu"] and m["peak_flops"] > 0 and m["notes"]
    # nothing of the session moved
    assert all(torch.equal(weights[k], v) for k, v in run.model.state_dict().items())
    assert all(torch.equal(opt_state[k], v) for k, v in run.optimizer.state[run.params[0]].items())
    assert torch.equal(batches, run.batch_gen.get_state()) and torch.equal(global_rng, torch.get_rng_state())
    assert trainer.steps_done == steps


def test_neuron_and_mlp_twins():
    neuron = Trainer("neuron").measure()
    assert neuron["param_bytes"] == 8 == neuron["predicted"]["param_bytes"]  # w and b, fp32
    mlp = Trainer("mlp", {"optimizer": "adam"}).measure(checkpoint=False, bf16=False)
    assert mlp["param_bytes"] == 4 * 25 and mlp["optimizer_bytes"] == 2 * 4 * 25
    # inputs (10·2), hidden outputs (10·4, 10·2), the logit (10·1) and the targets (10), fp32
    assert mlp["saved"]["plain"] == mlp["predicted"]["saved"]["plain"] == 4 * 10 * (2 + 4 + 2 + 1 + 1)
    assert mlp["saved"]["checkpoint"] is None
