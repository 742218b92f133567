"""Looking at a trained model without changing it: sampling, next-character probabilities,
attention maps, the loss of each character of a snippet. All in eval mode, without gradients."""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from ..data.text import CharTokenizer
from .model import GPT


@contextlib.contextmanager
def evaluating(model: GPT):
    """eval mode (no dropout) and no autograd, then back to whatever mode the model was in."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was)


def distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """logits (..., V) → probabilities (..., V). Temperature divides the logits (below 1: sharper,
    above: flatter); top-k keeps the k likeliest characters and gives every other one exactly 0.
    Temperature 0 means greedy: all the probability on the likeliest character."""
    logits = logits.float()
    if temperature <= 0:
        return F.one_hot(logits.argmax(-1), logits.size(-1)).float()
    logits = logits / temperature
    if top_k is not None and 0 < top_k < logits.size(-1):
        kept = torch.topk(logits, top_k, dim=-1).indices
        logits = torch.full_like(logits, float("-inf")).scatter(-1, kept, logits.gather(-1, kept))
    return torch.softmax(logits, dim=-1)


def context_ids(tok: CharTokenizer, text: str, block_size: int, device) -> torch.Tensor:
    if not text:
        raise ValueError("give at least one character of context")
    return torch.tensor([tok.encode(text[-block_size:])], dtype=torch.long, device=device)  # (1, T)


def sample(model: GPT, tok: CharTokenizer, n_chars: int, temperature: float = 1.0, top_k: int | None = None,
           seed: int = 0, prompt: str = "\n") -> str:
    """n_chars new characters after `prompt`, drawn one at a time from the model's distribution;
    the context slides when it passes block_size."""
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    idx = context_ids(tok, prompt, model.cfg.block_size, device)
    out = []
    with evaluating(model):
        for _ in range(n_chars):
            logits, _ = model(idx[:, -model.cfg.block_size:])  # (1, T, V)
            p = distribution(logits[0, -1], temperature, top_k)  # (V,)
            nxt = torch.multinomial(p, 1, generator=gen)  # (1,)
            idx = torch.cat([idx, nxt[None]], dim=1)
            out.append(int(nxt))
    return tok.decode(out)


def complete(model: GPT, tok: CharTokenizer, prompt: str, max_chars: int = 8, stop: str = "\n") -> str:
    """Greedy completion up to `stop`: how the fine-tuning task's answers are read."""
    device = next(model.parameters()).device
    idx = context_ids(tok, prompt, model.cfg.block_size, device)
    out = ""
    with evaluating(model):
        for _ in range(max_chars):
            logits, _ = model(idx[:, -model.cfg.block_size:])
            nxt = int(logits[0, -1].argmax())
            if tok.vocab[nxt] == stop:
                break
            out += tok.vocab[nxt]
            idx = torch.cat([idx, torch.tensor([[nxt]], device=device)], dim=1)
    return out


def next_token_probs(model: GPT, tok: CharTokenizer, text: str, position: int | None = None,
                     temperature: float = 1.0, top_k: int | None = None) -> dict:
    """The distribution of the character after text[position] (default: after the whole text)."""
    position = len(text) - 1 if position is None else position
    if not 0 <= position < len(text):
        raise ValueError(f"position {position} is outside the text (0 … {len(text) - 1})")
    context = text[:position + 1][-model.cfg.block_size:]
    device = next(model.parameters()).device
    with evaluating(model):
        logits, _ = model(context_ids(tok, context, model.cfg.block_size, device))
    p = distribution(logits[0, -1], temperature, top_k).cpu()  # (V,)
    top = torch.topk(p, min(10, p.numel()))
    shown = tok.display()
    return {"context": context, "probs": p.tolist(), "vocab": shown,
            "top": [{"char": shown[int(j)], "p": float(v)} for v, j in zip(top.values, top.indices)]}


def attention(model: GPT, tok: CharTokenizer, probe: str) -> dict:
    """Per layer, per head, the T×T attention weights of a probe text (its last block_size chars)."""
    device = next(model.parameters()).device
    idx = context_ids(tok, probe, model.cfg.block_size, device)
    with evaluating(model):
        maps = model.attention(idx)  # n_layer × (1, H, T, T)
    shown = tok.display()
    return {"tokens": [shown[int(t)] for t in idx[0]],
            "layers": [m[0].float().cpu().tolist() for m in maps]}  # [layer][head][query][key]


def per_char_loss(model: GPT, tok: CharTokenizer, snippet: str) -> dict:
    """−ln p(character | the characters before it) for each character after the first. Snippets
    longer than block_size are read in windows of block_size; each window starts without context."""
    ids = torch.tensor(tok.encode(snippet), dtype=torch.long)
    T = model.cfg.block_size
    device = next(model.parameters()).device
    losses: list[float | None] = [None]  # the first character has nothing before it
    with evaluating(model):
        for s in range(0, len(ids) - 1, T):
            x, y = ids[s:s + T][None], ids[s + 1:s + T + 1][None]
            x = x[:, :y.size(1)]
            logits, _ = model(x.to(device))
            losses += F.cross_entropy(logits[0].float(), y[0].to(device), reduction="none").cpu().tolist()
    return {"chars": list(snippet), "loss": losses,
            "mean": sum(losses[1:]) / max(1, len(losses) - 1)}
