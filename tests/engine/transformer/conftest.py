"""Small, seeded runs: a tiny GPT on a short text steps in a few milliseconds on the CPU."""
import pytest

from flowscope.engine.data.text import python_docs

TINY = dict(n_layer=2, n_head=2, n_embd=32, block_size=32, batch_size=8, threads=1, eval_iters=2,
            warmup=10, decay_steps=300, finetune_warmup=5, finetune_steps=150)


@pytest.fixture(scope="session")
def small_text() -> str:
    return python_docs()[:30000]


@pytest.fixture
def tiny(small_text):
    """Settings for a tiny run on the first 30 KB of the default corpus."""
    return {**TINY, "text": small_text}
