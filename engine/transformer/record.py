"""What one real training step keeps for stage-by-stage viewing.

`begin_step` runs the forward pass on the inspect path (the same function as the fast path, with
its intermediates kept) and the backward pass, then `capture` copies out small plain-number slices:
the first window of the batch, its first W positions, head 1 — enough to fill every formula with
real numbers, small enough to keep a history of recent steps. Nothing here is recomputed later.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from .model import GPT

WINDOW = 16  # positions of the first window the stages show (the query is the last of them)
SLICE = 8  # numbers of a long vector shown


def _l(t: torch.Tensor) -> Any:
    return t.detach().float().cpu().tolist()


def _norm(t: torch.Tensor | None) -> float:
    return 0.0 if t is None else float(_whole(t).detach().float().norm())


def _whole(t: torch.Tensor | None) -> torch.Tensor | None:
    """A weight or gradient as one tensor: a split run's DTensor (engine/distributed) gathered — a collective,
    so every rank of its mesh captures alike. qkv's rows stay in the split's head-major order: row 0 is
    the one-process row 0 either way."""
    return t.full_tensor() if t is not None and hasattr(t, "full_tensor") else t


@dataclass
class StepRecord:
    """One step: forward and backward done by `begin_step`; `apply` fills in the update half."""

    step: int  # steps done before this one
    phase: str
    loss: float  # the batch's mean cross-entropy
    batch: tuple[int, int]  # (B, T)
    grad_norm: float  # of all gradients, before clipping
    cap: dict[str, Any]  # plain numbers for the stories (see capture)
    lr: float | None = None
    update: dict[str, Any] | None = None  # clip, tracked weight before/after, Adam moments, ratios
    stats: Any = None  # the StepStats of the update
    seconds: float = 0.0  # forward + backward (+ update once applied)
    extra: dict = field(default_factory=dict)


@torch.no_grad()
def capture(model: GPT, rec: dict, x: torch.Tensor, y: torch.Tensor, tokens: list[str]) -> dict[str, Any]:
    """Plain-number slices of a recorded forward pass and its gradients (after loss.backward()). `model`
    may be a pipeline stage (engine/distributed/split.py) with `rec` its part: the embeddings' numbers
    where it embeds, its own blocks' sublayers, the head's where it ends in logits."""
    T = x.size(1)
    W = min(T, WINDOW)
    i = W - 1  # the query position the attention stages follow: it sees W positions, the future is masked
    ids, nxt = x[0].tolist(), y[0].tolist()
    cap: dict[str, Any] = {
        "ids": ids, "targets": nxt, "chars": [tokens[t] for t in ids], "next_chars": [tokens[t] for t in nxt],
        "window": W, "query": i, "vocab_size": len(tokens),
    }
    if "tok" in rec:  # it embeds
        cap.update(tok=_l(rec["tok"][0, 0, :SLICE]), pos=_l(rec["pos"][0, :SLICE]), x0=_l(rec["x0"][0, 0, :SLICE]),
                   wte_shape=list(model.wte.weight.shape), wpe_shape=list(model.wpe.weight.shape),
                   wte_norm=_norm(model.wte.weight), wpe_norm=_norm(model.wpe.weight),
                   wte_grad=_norm(model.wte.weight.grad), wpe_grad=_norm(model.wpe.weight.grad))
    if hasattr(model, "num_params"):
        cap["n_params"] = model.num_params()
    subs = []
    for k, sub in enumerate(rec["sublayers"]):
        block = model.blocks[k // 2]
        s: dict[str, Any] = {"x_norm": _norm(sub["x"][0, i]), "ln": _l(sub["ln"][0, i, :SLICE]),
                             "dx_norm": _norm(sub["x"].grad)}
        if k % 2 == 0:  # attention: head 1 (index 0) of the first window, query position i
            lin = block.attn.qkv
            s.update(
                w_row=_l(_whole(lin.weight)[0, :3]), b0=float(_whole(lin.bias)[0]) if lin.bias is not None else 0.0,
                qkv_shape=list(sub["qkv"].shape), q00=float(sub["qkv"][0, i, 0]), head_dim=sub["q"].size(-1),
                q=_l(sub["q"][0, 0, i]), k=_l(sub["k"][0, 0, :W]),
                scores=_l(sub["scores"][0, 0, i, :W]), scores_shape=list(sub["scores"].shape),
                row=_l(sub["att"][0, 0, i]),  # over all T positions: zeros after i
                map=_l(sub["att"][0, :, :W, :W]),  # (H, W, W), every head
                att_shape=list(sub["att"].shape),
                grads={n: _norm(p.grad) for n, p in (("W_qkv", lin.weight), ("W_proj", block.attn.proj.weight),
                                                     ("ln1", block.ln1.weight))},
                g00=float(_whole(lin.weight.grad)[0, 0]) if lin.weight.grad is not None else 0.0,
                w00=float(_whole(lin.weight)[0, 0]),
            )
        else:  # MLP: unit 1 of the up-projection at position i
            lin = block.mlp.fc
            s.update(
                w_row=_l(_whole(lin.weight)[0, :3]), b0=float(_whole(lin.bias)[0]) if lin.bias is not None else 0.0,
                fc_shape=list(sub["fc"].shape), h=_l(sub["fc"][0, i, :SLICE]), g=_l(sub["gelu"][0, i, :SLICE]),
                h00=float(sub["fc"][0, i, 0]), g00=float(sub["gelu"][0, i, 0]),
                negative=float((sub["fc"] < 0).float().mean()), small=float((sub["gelu"].abs() < 0.05).float().mean()),
                grads={n: _norm(p.grad) for n, p in (("W_fc", lin.weight), ("W_proj", block.mlp.proj.weight),
                                                     ("ln2", block.ln2.weight))},
                gw00=float(_whole(lin.weight.grad)[0, 0]) if lin.weight.grad is not None else 0.0,
                w00=float(_whole(lin.weight)[0, 0]),
            )
        subs.append(s)
    # the stream after the last sublayer: ∂L/∂x there is what the head sends back
    subs[-1]["dout_norm"] = _norm(rec["x_final"].grad)
    for k in range(len(subs) - 1):
        subs[k]["dout_norm"] = subs[k + 1]["dx_norm"]
    cap["sublayers"] = subs
    if "logits" not in rec:  # a pipeline stage before the last: no head
        return cap
    logits = rec["logits"][0, i].detach().float()
    p = torch.softmax(logits, -1)
    top = torch.topk(p, min(5, p.numel()))
    t = nxt[i]
    B = x.size(0)
    cap.update(
        logits_shape=list(rec["logits"].shape), logit_true=float(logits[t]), lse=float(torch.logsumexp(logits, -1)),
        p_true=float(p[t]), true=tokens[t], top=[[tokens[j], float(v)] for v, j in zip(top.values, top.indices)],
        pos_loss=-math.log(max(float(p[t]), 1e-45)),
        dlogit_true=float(rec["logits"].grad[0, i, t]), n_positions=B * T,
        head_grad=_norm(model.lm_head.weight.grad),
    )
    return cap
