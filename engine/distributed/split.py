"""Cutting the character GPT (engine/transformer/model.py) across ranks with PyTorch's own tools.

- tensor parallelism: `parallelize_module` with ColwiseParallel on qkv and the MLP's fc, RowwiseParallel
  on both output projections (Megatron-LM, Shoeybi et al. 2019: one all-reduce after each row-parallel
  layer in the forward, one before each column-parallel layer in the backward). qkv's rows are first
  regrouped head by head so that rank r's contiguous shard is [q_r; k_r; v_r] — its own n_head/tp heads;
- pipeline parallelism: `Stage` keeps one rank's n_layer/pp blocks (the first stage also the embeddings,
  the last ln_f and lm_head) for `torch.distributed.pipelining`'s PipelineStage and GPipe/1F1B;
- ZeRO: 1 = `ZeroRedundancyOptimizer` over DDP; 2 and 3 = FSDP2 `fully_shard` per block then the
  root, parameters resharded after the forward for 3 and kept gathered until the backward for 2.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..transformer.model import GPT


# ----- tensor parallelism -------------------------------------------------------------------------------
def head_major(w: torch.Tensor, tp: int) -> torch.Tensor:
    """qkv's rows [q; k; v] (3C, …) → [q_0; k_0; v_0; q_1; k_1; v_1; …]: shard r of tp holds its heads' q, k, v."""
    q, k, v = w.chunk(3, dim=0)
    return torch.cat([t for r in range(tp) for t in (q.chunk(tp)[r], k.chunk(tp)[r], v.chunk(tp)[r])])


def qkv_major(w: torch.Tensor, tp: int) -> torch.Tensor:
    """The inverse of head_major: the one-process layout back."""
    parts = w.chunk(3 * tp, dim=0)
    return torch.cat([torch.cat(parts[i::3]) for i in range(3)])


def tensor_parallel(model: GPT, mesh) -> None:
    """Split every block's attention (by heads) and MLP (by hidden units) over the tp mesh, in place."""
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

    tp = mesh.size()
    with torch.no_grad():
        for block in model.blocks:
            block.attn.qkv.weight.copy_(head_major(block.attn.qkv.weight, tp))
            if block.attn.qkv.bias is not None:
                block.attn.qkv.bias.copy_(head_major(block.attn.qkv.bias, tp))
    plan = {"attn.qkv": ColwiseParallel(), "attn.proj": RowwiseParallel(),
            "mlp.fc": ColwiseParallel(), "mlp.proj": RowwiseParallel()}
    for block in model.blocks:
        parallelize_module(block, mesh, plan)


def full_state(model: nn.Module, tp: int = 1) -> dict[str, torch.Tensor]:
    """The one-process state dict of a (tensor-parallel or FSDP-sharded) model: every DTensor gathered
    (a collective: every rank of its mesh must call this), qkv back in [q; k; v] order."""
    from torch.distributed.tensor import DTensor

    out = {}
    for name, p in model.named_parameters():
        t = p.full_tensor() if isinstance(p, DTensor) else p
        if tp > 1 and name.endswith("attn.qkv.weight") or tp > 1 and name.endswith("attn.qkv.bias"):
            t = qkv_major(t, tp)
        out[name] = t.detach().clone()
    return out


# ----- pipeline parallelism -----------------------------------------------------------------------------
class Stage(nn.Module):
    """Blocks [lo, hi) of a GPT; the first stage embeds the ids, the last one ends in logits (B, T, V)."""

    def __init__(self, gpt: GPT, lo: int, hi: int, first: bool, last: bool):
        super().__init__()
        self.first, self.last = first, last
        if first:
            self.wte, self.wpe, self.drop = gpt.wte, gpt.wpe, gpt.drop
        self.blocks = nn.ModuleList(gpt.blocks[lo:hi])
        if last:
            self.ln_f, self.lm_head = gpt.ln_f, gpt.lm_head

        self.recording: dict | None = None  # set: the next forward (micro-batch 0) keeps its intermediates here

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rec, self.recording = self.recording, None
        if rec is not None and not self.first:  # what the previous stage sent, as it arrived (buffers are reused)
            rec["received"] = x.detach().reshape(-1)[:6].tolist()
        if self.first:  # x: ids (b, T)
            tok, pos = self.wte(x), self.wpe(torch.arange(x.size(1), device=x.device))
            x = self.drop(tok + pos)  # (b, T, C)
            if rec is not None:
                rec.update(tok=tok, pos=pos, x0=x)
        for block in self.blocks:
            x = block(x) if rec is None else block(x, rec)
        if rec is not None:  # ∂L/∂ of the stream and the logits kept for the gradient stages
            for t in [s["x"] for s in rec["sublayers"]] + [x]:
                if t.requires_grad:
                    t.retain_grad()
            rec["x_final"] = x
        if not self.last:
            return x  # (b, T, C)
        logits = self.lm_head(self.ln_f(x))  # (b, T, V)
        if rec is not None:
            logits.retain_grad()
            rec["logits"] = logits
        return logits


def pipeline_stage(gpt: GPT, index: int, pp: int) -> Stage:
    per = len(gpt.blocks) // pp
    return Stage(gpt, index * per, (index + 1) * per, index == 0, index == pp - 1)


def stage_names(gpt: GPT, stage: nn.Module) -> dict[int, str]:
    """id(parameter) → its name in the whole GPT (a stage renumbers its blocks from 0)."""
    mine = {id(p) for p in stage.parameters()}
    return {id(p): n for n, p in gpt.named_parameters() if id(p) in mine}


def pipeline_schedule(stage: Stage, index: int, pp: int, group, micro_batches: int, kind: str, loss_fn,
                      rows: int, cfg):
    """PyTorch's PipelineStage and schedule. `scale_grads`: each micro-batch's gradient is divided by m,
    so with a mean loss per micro-batch the step's gradient is the whole batch's mean.

    The stage's input and output are given (`rows` windows a micro-batch, the GPT's `cfg`), so the
    schedule's first step sends only the plan's tensors: without them PipelineStage infers the shapes
    on the first step, each stage pickling its output's metadata to the next (send_object_list: a
    166-byte message and its 8-byte size on the Transformer page's model) — the 0.3 KiB the first
    pp2 step measured beyond the formula's 256.0 KiB."""
    from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

    T, C = cfg.block_size, cfg.n_embd
    meta = torch.device("meta")
    x = (torch.zeros(rows, T, dtype=torch.long, device=meta) if stage.first  # ids; else activations that need ∂L/∂x
         else torch.zeros(rows, T, C, device=meta, requires_grad=True))
    y = torch.zeros(rows, T, cfg.vocab_size if stage.last else C, device=meta, requires_grad=True)
    ps = PipelineStage(stage, index, pp, torch.device("cpu"), input_args=x, output_args=y, group=group,
                       output_grads=None if stage.last else y, input_grads=None if stage.first else x)
    cls = ScheduleGPipe if kind == "gpipe" else Schedule1F1B
    return ps, cls(ps, n_microbatches=micro_batches, loss_fn=loss_fn, scale_grads=True)


# ----- sharded data parallelism (ZeRO / FSDP) ------------------------------------------------------------
def fully_shard_gpt(model: GPT, mesh, zero: int) -> None:
    """FSDP2: one unit per block, then the root (embeddings, ln_f, lm_head). zero 3 frees the gathered
    parameters after each block's forward and gathers them again in the backward; zero 2 keeps them."""
    from torch.distributed.fsdp import fully_shard

    for block in model.blocks:
        fully_shard(block, mesh=mesh, reshard_after_forward=zero == 3)
    fully_shard(model, mesh=mesh, reshard_after_forward=zero == 3)
