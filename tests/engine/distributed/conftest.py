"""Tiny data-parallel runs: gloo workers on the CPU, a one-block GPT on a short text (seconds each,
most of it the workers importing torch)."""
import os

import pytest

TEXT = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. " * 30
TINY = dict(text=TEXT, n_layer=1, n_head=2, n_embd=32, block_size=16, batch_size=4, seed=3, threads=1,
            eval_iters=1, warmup=2, decay_steps=100, dropout=0.0)


@pytest.fixture
def tiny():
    return dict(TINY)


def gone(pid: int) -> bool:
    """True when no process (not even a zombie waiting to be reaped) has this pid."""
    return not os.path.exists(f"/proc/{pid}")
