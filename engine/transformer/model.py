"""A decoder-only character GPT, read top to bottom: attention, MLP, block, the whole model.

Two ways through the same weights. Training takes the fast path: PyTorch's fused
`scaled_dot_product_attention` with a causal mask. Looking inside takes the inspect path: the
attention written out (QKᵀ/√d, the causal mask, softmax, the weighted sum of V), keeping every
intermediate in a `record` dict. Both compute the same function (tests/engine/transformer).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from .config import INITS  # the names, defined once beside the settings (torch-free)


@dataclass
class GPTConfig:
    vocab_size: int
    block_size: int = 64  # the longest context the model sees (positions have their own embedding)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True  # biases in the Linear layers and LayerNorms
    init: str = "scaled_residual"
    recompute: bool = False  # gradient checkpointing: keep each block's input only, recompute the rest in backward


class CausalSelfAttention(nn.Module):
    """Every position mixes the values of the positions before it (and itself), weighted by how
    well its query matches their keys. Several heads do this side by side on slices of the width."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0, "n_embd must split evenly into n_head heads"
        self.n_head, self.dropout = cfg.n_head, cfg.dropout
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)  # queries, keys, values in one matmul
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)  # writes the heads back into the residual stream
        self.attn_drop = nn.Dropout(cfg.dropout)
        self.resid_drop = nn.Dropout(cfg.dropout)
        # 1 on and below the diagonal: position i may look at positions j ≤ i, never at the future
        self.register_buffer("mask", torch.tril(torch.ones(cfg.block_size, cfg.block_size, dtype=torch.bool)),
                             persistent=False)

    def forward(self, x: torch.Tensor, record: dict | None = None) -> torch.Tensor:
        B, T, C = x.shape
        qkv = self.qkv(x)  # (B, T, 3C); under tensor parallelism (engine/distributed) (B, T, 3C/tp): this rank's heads
        c = qkv.size(-1) // 3
        h = self.n_head * c // C  # the heads computed here: all of them, or n_head/tp
        q, k, v = (t.view(B, T, h, c // h).transpose(1, 2) for t in qkv.split(c, dim=2))  # (B, h, T, d)
        if record is None:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0,
                                               is_causal=True)  # (B, H, T, d)
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, H, T, T); √d keeps the softmax from saturating
            masked = scores.masked_fill(~self.mask[:T, :T], float("-inf"))  # e^−∞ = 0: the future gets no weight
            att = F.softmax(masked, dim=-1)  # (B, H, T, T), each row sums to 1
            y = self.attn_drop(att) @ v  # (B, H, T, d): a weighted average of the values
            record.update(qkv=qkv, q=q, k=k, v=v, scores=scores, att=att)
        y = y.transpose(1, 2).contiguous().view(B, T, c)  # (B, T, c): heads side by side again
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    """Each position on its own: widen 4×, bend with GELU, project back."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
        self.proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, record: dict | None = None) -> torch.Tensor:
        h = self.fc(x)  # (B, T, 4C)
        g = F.gelu(h)  # GELU(z) = z·Φ(z): like ReLU, but smooth around 0
        if record is not None:
            record.update(fc=h, gelu=g)
        return self.drop(self.proj(g))  # (B, T, C)


class Block(nn.Module):
    """Pre-LayerNorm residual block: x + attn(LN(x)), then x + mlp(LN(x)). The sums keep a direct
    path from the loss to every layer, so gradients reach the first block undiminished."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, record: dict | None = None) -> torch.Tensor:
        if record is None:
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))
        attn, mlp = {"x": x}, {}
        a = self.ln1(x)
        attn["ln"] = a
        x = x + self.attn(a, attn)
        mlp["x"] = x
        m = self.ln2(x)
        mlp["ln"] = m
        x = x + self.mlp(m, mlp)
        record.setdefault("sublayers", []).extend([attn, mlp])
        return x


class GPT(nn.Module):
    """Token and position embeddings → n_layer blocks → LayerNorm → logits over the vocabulary."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        if cfg.init not in INITS:
            raise ValueError(f"unknown init '{cfg.init}'; choose one of {', '.join(INITS)}")
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)  # (V, C): a vector per character
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)  # (T, C): a vector per position
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)  # (V, C): scores for each next character
        self.apply(self._init)
        if cfg.init == "scaled_residual":
            # GPT-2: every block adds to the residual stream twice; shrinking the layers that write into
            # it by 1/√(2·n_layer) keeps the stream's variance from growing with depth
            for name, p in self.named_parameters():
                if name.endswith("proj.weight"):
                    nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    def _init(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            std = 0.02 if self.cfg.init != "fan_in" else 1 / math.sqrt(module.in_features)
            nn.init.normal_(module.weight, 0.0, std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            # a one-hot input has fan-in 1, so "fan_in" means N(0, 1) here (torch's own default)
            nn.init.normal_(module.weight, 0.0, 0.02 if self.cfg.init != "fan_in" else 1.0)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                record: dict | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """idx (B, T) ids → logits (B, T, V) and the mean cross-entropy against targets (B, T).
        Pass a dict as `record` to take the inspect path and keep every intermediate in it."""
        B, T = idx.shape
        if T > self.cfg.block_size:
            raise ValueError(f"a context of {T} characters is longer than block_size {self.cfg.block_size}")
        tok = self.wte(idx)  # (B, T, C)
        pos = self.wpe(torch.arange(T, device=idx.device))  # (T, C), the same for every row
        x = self.drop(tok + pos)  # (B, T, C): the residual stream starts here
        if record is not None:
            record.update(tok=tok, pos=pos, x0=x)
        # gradient checkpointing (training's fast path only: the inspect path keeps everything anyway):
        # each block's activations are dropped after its forward and recomputed in backward — memory
        # per block falls to its input (2·s·b·h bytes at 16 bits, Korthikanti et al. 2022), compute
        # rises by about one forward. Non-reentrant, as torch recommends; dropout masks are replayed.
        recompute = self.cfg.recompute and record is None and torch.is_grad_enabled()
        for block in self.blocks:
            x = checkpoint(block, x, use_reentrant=False) if recompute else block(x, record)
        h = self.ln_f(x)
        logits = self.lm_head(h)  # (B, T, V)
        if record is not None:
            record.update(x_final=x, logits=logits)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    def attention(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """Attention weights for a probe: one (B, H, T, T) tensor per layer, rows summing to 1."""
        record: dict = {}
        self(idx, record=record)
        return [sub["att"] for sub in record["sublayers"][0::2]]

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
