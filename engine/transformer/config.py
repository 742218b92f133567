"""The transformer run's settings, defined once with their bounds (see engine/config.py).

torch-free on purpose: the server derives its schema from this class at startup, and importing torch
costs about 2 s there. Defaults are the ones measured to learn visibly within a minute on a 2-core
CPU (bench/transformer.py).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..config import setting
from ..optim import OPTIMIZERS as RULES
from ..data.text import TASKS

INITS = {"0.02": "N(0, 0.02)", "fan_in": "N(0, 1/√fan_in)",
         "scaled_residual": "GPT-2's: N(0, 0.02), output projections ÷ √(2·n_layer)"}  # model.py builds these
OPTIMIZERS = {k: RULES[k] for k in ("adamw", "adam", "sgd")}  # torch.optim's, named as the NumPy engine names them
DEVICES = {"auto": "auto (the GPU when there is one)", "cpu": "CPU", "cuda": "CUDA GPU"}
PHASES = ("pretrain", "finetune")


# The Transformer page's starting model, over the defaults below (which suit a GPU): small enough to
# learn visibly within seconds on a 2-core CPU (about 60 steps/s, 30,000-50,000 tokens/s; the loss
# falls from 4.5 to ~2.3 in 500 steps); one torch thread leaves the other core to the browser.
PAGE_START = {"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 32, "batch_size": 16, "threads": 1,
              "decay_steps": 3000}


@dataclass(frozen=True)
class TransformerConfig:
    # the text
    text: str = setting("", max_len=500_000,
                        doc="your own training text (up to 500,000 characters); empty: Python's documentation "
                            "(from the standard library)")
    task: str = setting("add", choices=TASKS,
                        doc="the fine-tuning task: add (Q: 17+25? A: 42) or reverse (Q: reverse abc? A: cba)")
    seed: int = setting(0, lo=0, hi=2**31 - 1, doc="seeds the initial weights, the batches and the task set")
    # the model
    block_size: int = setting(64, lo=8, hi=256, doc="context length in characters")
    n_layer: int = setting(4, lo=1, hi=8, doc="transformer blocks")
    n_head: int = setting(4, lo=1, hi=8, doc="attention heads per block")
    n_embd: int = setting(128, lo=16, hi=512, doc="width of the residual stream")
    dropout: float = setting(0.0, lo=0.0, hi=0.5, doc="dropout probability (0: off, right for short runs)")
    bias: bool = setting(True, doc="biases in the Linear layers and LayerNorms")
    init: str = setting("scaled_residual", choices=INITS,
                        doc="N(0, 0.02); N(0, 1/√fan_in); or GPT-2's N(0, 0.02) with output projections ÷ √(2·n_layer)")
    # the optimizer and its schedule
    optimizer: str = setting("adamw", choices=OPTIMIZERS,
                             doc="AdamW (decoupled weight decay), Adam, or plain SGD")
    lr: float = setting(2e-3, lo=1e-6, hi=10.0, live=True, doc="peak learning rate η of the schedule")
    min_lr_ratio: float = setting(0.1, lo=0.0, hi=1.0, doc="the floor the cosine decays to, as a share of lr")
    warmup: int = setting(50, lo=0, hi=10000, doc="steps of linear warmup")
    decay_steps: int = setting(2000, lo=1, hi=1000000, doc="steps until the cosine reaches its floor")
    beta1: float = setting(0.9, lo=0.0, hi=0.9999, doc="Adam β₁: how long the gradient's running mean remembers")
    beta2: float = setting(0.99, lo=0.0, hi=0.99999, doc="Adam β₂: the same for the squared gradient")
    weight_decay: float = setting(0.1, lo=0.0, hi=1.0, live=True, doc="AdamW decay on 2-D weights (not biases, norms)")
    grad_clip: float = setting(1.0, lo=0.0, hi=100.0, live=True, doc="clip the gradient norm to this (0: off)")
    batch_size: int = setting(12, lo=1, hi=512, doc="windows per step")
    # fine-tuning
    finetune_lr: float = setting(3e-4, lo=1e-6, hi=10.0, doc="peak learning rate after switching to the task "
                                                             "(lower than lr: learn the task, forget less)")
    finetune_warmup: int = setting(20, lo=0, hi=10000, doc="warmup steps of the fine-tuning phase")
    finetune_steps: int = setting(400, lo=1, hi=1000000, doc="fine-tuning steps until the cosine reaches its floor")
    # where it runs
    device: str = setting("auto", choices=DEVICES, doc="auto: the GPU when there is one, else the CPU")
    recompute: bool = setting(False, doc="gradient checkpointing: keep only each block's input and recompute the "
                                         "rest in backward (less activation memory, about a third more compute)")
    bf16: bool = setting(False, doc="bfloat16 autocast for matmuls (CUDA only; ignored on the CPU)")
    threads: int = setting(0, lo=0, hi=64, doc="CPU threads for torch (process-wide); 0: auto, one less than the "
                                               "cores (at most 4), so a core is left for the page and the server")
    workers: int = setting(1, lo=1, hi=16, doc="data-parallel worker processes (torch.distributed, one model copy each); "
                                            "1: trains in the server's process; the server bounds it (--max-workers)")
    checkpoint_every: int = setting(20, lo=1, hi=100000, doc="with workers > 1: steps between checkpoints, where a run "
                                                           "that lost a worker resumes")
    accum_steps: int = setting(1, lo=1, hi=64, doc="with workers > 1: micro-batches per worker per step, gradients "
                                                  "summed locally (DDP's no_sync) and all-reduced once — the same "
                                                  "step as the whole batch at once")
    parallel: dict | None = setting(None, kind=dict | None,
                                    doc="with workers > 1: how the workers split the model — {dp, tp, pp, zero (0–3), "
                                        "micro_batches, schedule (1f1b or gpipe)}, dp·tp·pp = workers; none: dp = workers "
                                        "(engine/distributed/parallel.py checks it)")
    compare: bool = setting(False, doc="with workers > 1: also train the same run in one process (same seed, same "
                                      "global batches) and overlay its loss — the curves coincide; costs a step per step")
    eval_iters: int = setting(4, lo=1, hi=200, doc="batches per split for the train/val loss estimates")
    speed: float = setting(1000.0, lo=1.0, hi=100000.0, live=True, doc="steps per second while playing (at most)")

    def problems(self) -> list[str]:
        out = []
        if self.n_embd % self.n_head:
            out.append(f"n_embd {self.n_embd} must be a multiple of n_head {self.n_head} (each head gets n_embd/n_head)")
        if self.warmup >= self.decay_steps:
            out.append(f"warmup ({self.warmup}) must be shorter than decay_steps ({self.decay_steps})")
        if self.finetune_warmup >= self.finetune_steps:
            out.append(f"finetune_warmup ({self.finetune_warmup}) must be shorter than "
                       f"finetune_steps ({self.finetune_steps})")
        if self.workers > 1 and self.batch_size % (self.workers * self.accum_steps):
            out.append(f"batch_size {self.batch_size} must split evenly into {self.workers} workers' shards of "
                       f"{self.accum_steps} micro-batch{'es' if self.accum_steps > 1 else ''}")
        if self.workers > 1 or self.parallel:
            from ..distributed.parallel import ParallelError, resolve  # torch-free

            try:
                resolve(self.parallel, self.workers, n_head=self.n_head, n_layer=self.n_layer,
                        batch_size=self.batch_size // self.accum_steps)
            except ParallelError as exc:
                out.append(str(exc))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes) -> "TransformerConfig":
        return type(self)(**{**self.to_dict(), **changes})
