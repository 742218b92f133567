"""What a GPT config will cost before it is built: memory to train it and work per command.

The server refuses a config past its budget (`--max-model-mb`, `--max-step-gflop`) with these
figures in the message, instead of finding out by running out of memory with every room on board.
Estimates, written to err on the high side; torch-free, so they run before anything is allocated.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import TransformerConfig

DEFAULT_VOCAB = 100  # the stdlib corpus and the task sets need about 96 characters


@dataclass(frozen=True)
class Cost:
    params: int
    train_bytes: int  # weights, gradients, Adam's m and v, and one step's activations, all fp32
    step_flops: float  # one training step
    eval_flops: float  # one estimate of the train and val losses (done at creation, and every 100 steps)

    @property
    def command_flops(self) -> float:
        return max(self.step_flops, self.eval_flops)


def vocab_of(cfg: TransformerConfig) -> int:
    return len(set(cfg.text)) + 20 if cfg.text else DEFAULT_VOCAB  # + the task set's characters


def cost(cfg: TransformerConfig, vocab: int | None = None) -> Cost:
    V, L, d, T, B, h = vocab or vocab_of(cfg), cfg.n_layer, cfg.n_embd, cfg.block_size, cfg.batch_size, cfg.n_head
    # per block: qkv and proj (4d² + 4d), the 4× MLP (8d² + 5d), two LayerNorms (4d); then the
    # embeddings (token and position), the last LayerNorm and an untied head (Vd + V)
    params = L * (12 * d * d + 13 * d) + (V + T) * d + 2 * d + V * d + V
    # Korthikanti et al. 2022 (arXiv 2205.05198), eq. 2: s·b·h·(34 + 5·a·s/h) bytes per layer at
    # 16 bits; ×2 for fp32. Plus the logits, their softmax and its gradient (3 × B·T·V floats).
    activations = 2 * L * T * B * d * (34 + 5 * h * T / d) + 3 * B * T * V * 4
    # 4 bytes each for the weights, the gradients and Adam's two moments (fp32 throughout)
    train_bytes = int(16 * params + activations)
    tokens = B * T
    # Kaplan et al. 2020 (arXiv 2001.08361), table 1: forward 2N + 2·n_layer·n_ctx·d per token;
    # training is three times the forward (the backward costs two)
    forward = 2 * params + 2 * L * T * d
    return Cost(params, train_bytes, 3 * forward * tokens, 2 * cfg.eval_iters * forward * tokens)


def enforce(cfg: TransformerConfig, budget: tuple[float | None, float | None]) -> None:
    """ValueError, with the figures, when `cfg` is past `budget` (bytes, FLOPs): before anything is built."""
    too_much = refusal(cfg, *budget)
    if too_much:
        raise ValueError(too_much)


def refusal(cfg: TransformerConfig, max_bytes: float | None, max_flops: float | None) -> str | None:
    """Why this config is past the budget, in a sentence with its figures; None when it fits."""
    c = cost(cfg)
    if max_bytes is not None and c.train_bytes > max_bytes:
        return (f"This model needs about {c.train_bytes / 2**20:,.0f} MB to train ({c.params:,} parameters, "
                f"batch {cfg.batch_size} × {cfg.block_size} characters); this server allows "
                f"{max_bytes / 2**20:,.0f} MB per model. Make it smaller (n_embd, n_layer, batch_size, block_size).")
    if max_flops is not None and c.command_flops > max_flops:
        what = "one step" if c.step_flops >= c.eval_flops else f"one loss estimate (eval_iters {cfg.eval_iters})"
        return (f"This model's {what} takes about {c.command_flops / 1e9:,.0f} GFLOP; this server allows "
                f"{max_flops / 1e9:,.0f} GFLOP per command, so every room would wait on it. Make it smaller "
                "(n_embd, n_layer, batch_size, block_size, eval_iters).")
    return None
