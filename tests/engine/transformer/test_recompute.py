"""Gradient checkpointing while training (`recompute`): the same losses and gradients as without, and
fewer bytes saved for backward — the memory it trades for one more forward per block."""
import torch

from flowscope.engine.transformer.model import GPT, GPTConfig

TINY = dict(vocab_size=20, block_size=16, n_layer=3, n_head=2, n_embd=32, dropout=0.1)


def saved_bytes(model, idx, targets) -> tuple[float, dict, int]:
    """The loss, the gradients, and the bytes autograd keeps for backward (storages counted once)."""
    seen = {}

    def pack(t):
        seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        _, loss = model(idx, targets)
    loss.backward()
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    return loss.item(), grads, sum(v for k, v in seen.items() if k not in params)


def test_recompute_gives_the_same_step_and_keeps_less():
    gen = torch.Generator().manual_seed(0)
    idx, targets = torch.randint(0, 20, (4, 16), generator=gen), torch.randint(0, 20, (4, 16), generator=gen)
    torch.manual_seed(1)
    plain = GPT(GPTConfig(**TINY))
    again = GPT(GPTConfig(**TINY, recompute=True))
    again.load_state_dict(plain.state_dict())
    torch.manual_seed(2)  # the same dropout masks: checkpointing replays the RNG in its recompute
    loss_a, grads_a, bytes_a = saved_bytes(plain, idx, targets)
    torch.manual_seed(2)
    loss_b, grads_b, bytes_b = saved_bytes(again, idx, targets)
    assert loss_a == loss_b
    for name in grads_a:
        torch.testing.assert_close(grads_b[name], grads_a[name], rtol=1e-5, atol=1e-7)
    assert bytes_b < 0.5 * bytes_a, (bytes_a, bytes_b)  # 3 blocks' activations → their inputs
