"""TransformerRun: one character GPT with its text, optimizer and schedule — no globals.

Two ways to take a step. `step()` is the fast whole step (fused attention) that play and long runs
use, and it still reports what a live view needs: loss, η, the gradient norm before clipping,
whether it clipped, per-layer gradient norms and update/parameter ratios. `begin_step()` +
`apply(record)` split one real step in two for stage-by-stage viewing: forward (inspect path) and
backward first, the update later, with `describe` (story.py) turning the record into stages.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import asdict, dataclass

import torch

from ..config import checked
from ..data.text import TextData, split_question
from ..flow import Divergence, PlanEntry
from . import lastupdate, probe, story
from .config import TransformerConfig
from .model import GPT, GPTConfig
from .record import StepRecord, capture
from .schedule import Schedule


def resolve_device(name: str) -> torch.device:
    """"auto" → the GPU when torch sees one, else the CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device 'cuda' was asked for, but this torch ({torch.__version__}) sees no CUDA GPU; "
                         "choose 'auto' or 'cpu'")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"unknown device '{name}'; choose auto, cpu or cuda")
    return torch.device(name)


def auto_threads() -> int:
    """One less than the cores, at most 4. On a busy 2-core box two torch threads are 2.5× slower
    than one (each op waits for the thread that lost its core: bench/transformer.py); alone, they
    are ~1.4× faster. The event loop and the browser need that core, so auto leaves it to them."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


@dataclass
class StepStats:
    step: int  # steps done after this one
    phase: str
    loss: float
    lr: float
    grad_norm: float  # all gradients together, before clipping
    clipped: bool
    tokens: int
    seconds: float
    layer_grad_norms: dict[str, float] | None = None  # per group ("embedding", "block 1", …, "head")
    update_ratios: dict[str, float] | None = None  # ‖Δθ‖/‖θ‖ per group: ~1e-3 is healthy for Adam

    def as_dict(self) -> dict:
        return asdict(self)


class TransformerRun:
    def __init__(self, config: TransformerConfig | dict | None = None, data: TextData | None = None):
        cfg = config if isinstance(config, TransformerConfig) else TransformerConfig(**(config or {}))
        checked(cfg)
        self.config = cfg
        self.notes: list[str] = []
        self.device = resolve_device(cfg.device)
        self.bf16 = cfg.bf16 and self.device.type == "cuda"
        if cfg.bf16 and not self.bf16:
            self.notes.append("bf16 is ignored on the CPU: autocast to bfloat16 runs on CUDA only here, "
                              "so this run computes in float32")
        threads = cfg.threads or auto_threads()
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)  # process-wide: torch has one intra-op pool per process
        self.data = data or TextData(cfg.text, cfg.task, seed=cfg.seed)
        self.data.check(cfg.block_size)
        self.tok = self.data.tokenizer
        self.model_config = GPTConfig(len(self.tok), cfg.block_size, cfg.n_layer, cfg.n_head, cfg.n_embd,
                                      cfg.dropout, cfg.bias, cfg.init, cfg.recompute)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the global RNG's state
            torch.manual_seed(cfg.seed)
            self.model = GPT(self.model_config)
        self.model.to(self.device)
        self.forward = self.model  # what training steps call: engine/distributed wraps the model in DDP here
        self.names = [n for n, _ in self.model.named_parameters()]
        self.params = [p for _, p in self.model.named_parameters()]
        self.groups = [_group(n) for n in self.names]
        self.group_names = list(dict.fromkeys(self.groups))
        self._group_index = torch.tensor([self.group_names.index(g) for g in self.groups], device=self.device)
        self.batch_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.steps = 0
        self.phase = "pretrain"
        self.optimizer = self._make_optimizer()
        self.schedule = self._make_schedule()
        self.history: list[dict] = []  # every step of both phases: step, phase, loss, lr
        self.switches: list[dict] = []  # each phase change: when, and what the model wrote then
        self.last: StepStats | None = None
        self.tokens_per_s: float | None = None
        self.diverged: str | None = None
        self.tracked = ("blocks.0.attn.qkv.weight", (0, 0))  # the weight the update stage follows
        self._pending: StepRecord | None = None
        self._tracked_grad: float | None = None  # the tracked weight's gradient after clipping
        self._old: list[torch.Tensor] | None = None  # θ_before − θ_after of the last update (stats steps)
        self._used: list[torch.Tensor] | None = None  # the gradients the last update used (clipped)
        self.last_update: dict | None = None  # that update's η, clip scale …: optimizer_state explains it

    # ----- optimizer and schedule ------------------------------------------------------------
    def _make_optimizer(self) -> torch.optim.Optimizer:
        cfg = self.config
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(self.params, lr=cfg.lr)
        # decay only matrices (weights, embeddings): shrinking biases and LayerNorm gains buys no
        # regularization and can starve a norm of its scale
        decay = cfg.weight_decay if cfg.optimizer == "adamw" else 0.0
        groups = [{"params": [p for p in self.params if p.dim() >= 2], "weight_decay": decay},
                  {"params": [p for p in self.params if p.dim() < 2], "weight_decay": 0.0}]
        cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
        try:  # fused: one kernel for the whole update (about 2 ms less per step here than foreach)
            return cls(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=True)
        except (RuntimeError, TypeError):  # a device or torch build without the fused kernel
            return cls(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))

    def _make_schedule(self) -> Schedule:
        cfg = self.config
        if self.phase == "finetune":
            peak, warmup, total = cfg.finetune_lr, cfg.finetune_warmup, cfg.finetune_steps
        else:
            peak, warmup, total = cfg.lr, cfg.warmup, cfg.decay_steps
        return Schedule(peak, peak * cfg.min_lr_ratio, warmup, total, start=self.steps)

    def lr_at(self, step: int | None = None) -> float:
        """η of the current phase's schedule at `step` (default: the step about to be taken)."""
        return self.schedule.lr_at(self.steps if step is None else step)

    def schedule_view(self, points: int = 200) -> dict:
        """The current phase's schedule for plotting ("curve": [step, η] pairs, JSON lists) and where
        the run is on it ("now": the next step, "lr": its rate)."""
        return {"phase": self.phase, "start": self.schedule.start, "warmup": self.schedule.warmup,
                "total": self.schedule.total, "curve": [[s, lr] for s, lr in self.schedule.curve(points)],
                "now": self.steps, "lr": self.lr_at()}

    def set_live(self, **changes) -> None:
        """Settings that apply between steps: lr (the current phase's peak), weight_decay, grad_clip."""
        self.config = self.config.replace(**changes)
        if "lr" in changes:
            s = self.schedule
            self.schedule = Schedule(changes["lr"], changes["lr"] * self.config.min_lr_ratio, s.warmup, s.total, s.start)
            self.diverged = None  # a smaller step may recover: let the person try
        if "weight_decay" in changes and self.config.optimizer == "adamw":
            self.optimizer.param_groups[0]["weight_decay"] = changes["weight_decay"]

    # ----- stepping --------------------------------------------------------------------------
    def _autocast(self):
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()

    def _batch(self, split: str = "train", gen: torch.Generator | None = None):
        x, y = self.data.batch(self.phase, split, self.config.batch_size, self.config.block_size, gen or self.batch_gen)
        return x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    def step(self, stats: bool = True) -> StepStats:
        """One whole training step on a fresh batch, on the fast path."""
        self._check()
        self._pending = None  # a half-shown step (begin_step without apply) is dropped
        t0 = time.perf_counter()
        x, y = self._batch()
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            _, loss = self.forward(x, y)
        loss.backward()
        return self._update(loss.item(), x.numel(), t0, stats)

    def begin_step(self) -> StepRecord:
        """Forward (inspect path, intermediates kept) and backward on a fresh batch; no update yet."""
        self._check()
        t0 = time.perf_counter()
        x, y = self._batch()
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        rec: dict = {}
        with self._autocast():
            _, loss = self.forward(x, y, record=rec)
        for t in [s["x"] for s in rec["sublayers"]] + [rec["x_final"], rec["logits"]]:
            t.retain_grad()  # ∂L/∂ of the residual stream and the logits, for the gradient stages
        loss.backward()
        norm = float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(self._grads()))))
        cap = capture(self.model, rec, x, y, self.tok.display())
        self._pending = StepRecord(self.steps, self.phase, loss.item(), tuple(x.shape), norm, cap,
                                   seconds=time.perf_counter() - t0)
        return self._pending

    def apply(self, record: StepRecord) -> StepRecord:
        """The update of a step begun with begin_step: clip, then the optimizer, with η of this step."""
        if record is not self._pending:
            raise ValueError("this step's gradients are gone (another step, a phase switch or a reset came "
                             "between): begin a new step")
        name, index = self.tracked
        p = dict(zip(self.names, self.params))[name]
        before = self._state_of(p, index)
        t0 = time.perf_counter() - record.seconds
        record.stats = self._update(record.loss, record.batch[0] * record.batch[1], t0, True,
                                    track=(p, index))
        after = self._state_of(p, index)
        record.lr = record.stats.lr
        record.update = {"param": name, "index": list(index), "before": before, "after": after,
                         "grad_clipped": self._tracked_grad, "grad_norm": record.grad_norm,
                         "max_norm": self.config.grad_clip, "clipped": record.stats.clipped,
                         "optimizer": self.config.optimizer, "betas": [self.config.beta1, self.config.beta2],
                         "eps": 1e-8, "weight_decay": self.optimizer.param_groups[0].get("weight_decay", 0.0),
                         "ratios": record.stats.update_ratios, "lr": record.lr}
        record.seconds = record.stats.seconds
        self._pending = None
        return record

    def _grads(self) -> list[torch.Tensor]:
        return [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]

    def _update(self, loss: float, tokens: int, t0: float, stats: bool, track=None) -> StepStats:
        lr = self.lr_at()
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        clip = self.config.grad_clip
        with torch.no_grad():
            gnorms = None
            if stats or clip <= 0:
                gnorms = torch.stack(torch._foreach_norm(self._grads()))  # (P,) per tensor, before clipping
            scale = 1.0
            if clip > 0:  # scales every gradient by clip/‖g‖ when ‖g‖ > clip: the direction is kept
                total = torch.nn.utils.clip_grad_norm_(self.params, clip)
                scale = float(torch.clamp(clip / (total + 1e-6), max=1.0))  # the factor torch applied
            else:
                total = torch.linalg.vector_norm(gnorms)
            if track is not None:
                self._tracked_grad = float(track[0].grad[track[1]])
            if stats:  # keep θ and g in reused buffers (no allocation per step): ‖Δθ‖, and any weight's update
                if self._old is None:
                    self._old = [torch.empty_like(p) for p in self.params]
                    self._used = [torch.empty_like(p) for p in self.params]
                torch._foreach_copy_(self._old, self.params)
                torch._foreach_copy_(self._used, self._grads())
            self.optimizer.step()
            layer = ratio = None
            if stats:
                torch._foreach_sub_(self._old, self.params)  # θ_old − θ_new = −Δθ
                dnorms = torch.stack(torch._foreach_norm(self._old))
                pnorms = torch.stack(torch._foreach_norm(self.params))
                sq = torch.zeros(3, len(self.group_names), device=self.device)
                sq.index_add_(1, self._group_index, torch.stack([gnorms, dnorms, pnorms]) ** 2)
                g, d, n = sq.sqrt().tolist()
                layer = dict(zip(self.group_names, g))
                ratio = {k: dv / nv if nv else 0.0 for k, dv, nv in zip(self.group_names, d, n)}
        total = float(total)
        self.steps += 1
        # stats steps keep what optimizer_state needs to write out any weight's last update
        self.last_update = {"t": self.steps, "lr": lr, "clip_scale": scale, "grad_norm": total,
                            "max_norm": clip, "clipped": clip > 0 and total > clip} if stats else None
        seconds = time.perf_counter() - t0
        out = StepStats(self.steps, self.phase, loss, lr, total, clip > 0 and total > clip, tokens, seconds, layer, ratio)
        rate = tokens / seconds if seconds > 0 else 0.0
        self.tokens_per_s = rate if self.tokens_per_s is None else 0.9 * self.tokens_per_s + 0.1 * rate
        self.history.append({"step": self.steps, "phase": self.phase, "loss": loss, "lr": lr})
        self.last = out
        if not (math.isfinite(loss) and math.isfinite(total)):
            self.diverged = (f"Training diverged at step {self.steps}: the loss or the gradient became too large to "
                             f"compute. The learning rate {lr:.3g} overshoots — lower it, or reset.")
        return out

    def _check(self) -> None:
        if self.diverged:
            raise Divergence(self.steps, self.diverged)

    # ----- phases ----------------------------------------------------------------------------
    def switch_phase(self, phase: str, sample_chars: int = 120) -> dict:
        """Pre-train → fine-tune (or back): the same weights go on, on the other text.

        The optimizer starts fresh. Adam's moments describe the gradients of the old text: its m
        would keep pushing along the old direction for ~1/(1−β₁) steps and its v would size the
        new steps by the old gradients' scale. A fresh state with its own short warmup is what
        fine-tuning recipes do, and it makes the switch a clean start of a new schedule."""
        if phase not in ("pretrain", "finetune"):
            raise ValueError(f"unknown phase '{phase}'; choose pretrain or finetune")
        if phase == self.phase:
            return self.switches[-1] if self.switches else {}
        self._pending = None
        before = self.phase_samples(sample_chars)
        self.phase = phase
        self.optimizer = self._make_optimizer()
        self.last_update = None
        self.schedule = self._make_schedule()
        event = {"step": self.steps, "to": phase, "samples": before, "eval": self.evaluate()}
        self.switches.append(event)
        return event

    def phase_samples(self, n: int) -> dict:
        return {"text": self.sample(n, temperature=0.8, seed=self.config.seed),
                "task": self.sample(n, temperature=0.8, seed=self.config.seed, prompt="Q: ")}

    # ----- measuring and looking -------------------------------------------------------------
    def evaluate(self, iters: int | None = None) -> dict:
        """Mean loss over `iters` batches of each text's training and held-out parts: train/val on
        the corpus (A) and task_train/task_val on the task (B), so forgetting A shows while B is
        learned. The batches are the same at every call (a fixed seed), so the numbers compare."""
        iters = iters or self.config.eval_iters
        gen = torch.Generator().manual_seed(self.config.seed + 7)
        out = {}
        with probe.evaluating(self.model):
            for key, phase, split in (("train", "pretrain", "train"), ("val", "pretrain", "val"),
                                      ("task_train", "finetune", "train"), ("task_val", "finetune", "val")):
                total = 0.0
                for _ in range(iters):
                    x, y = self.data.batch(phase, split, self.config.batch_size, self.config.block_size, gen)
                    with self._autocast():
                        total += float(self.model(x.to(self.device), y.to(self.device))[1])
                out[key] = total / iters
        return out

    def sample(self, n_chars: int = 200, temperature: float = 1.0, top_k: int | None = None, seed: int = 0,
               prompt: str = "\n") -> str:
        return probe.sample(self.model, self.tok, n_chars, temperature, top_k, seed, prompt)

    def next_token_probs(self, text: str, position: int | None = None, temperature: float = 1.0,
                         top_k: int | None = None) -> dict:
        return probe.next_token_probs(self.model, self.tok, text, position, temperature, top_k)

    def attention(self, probe_text: str) -> dict:
        return probe.attention(self.model, self.tok, probe_text)

    def per_char_loss(self, snippet: str) -> dict:
        return probe.per_char_loss(self.model, self.tok, snippet)

    def task_accuracy(self, n: int = 20) -> dict:
        """Greedy answers to the first n held-out task questions: how many are exactly right."""
        rows = []
        for line in self.data.task_val_lines[:n]:
            question, answer = split_question(line)
            got = probe.complete(self.model, self.tok, question)
            rows.append({"question": question, "answer": answer, "got": got})
        return {"accuracy": sum(r["got"] == r["answer"] for r in rows) / max(1, len(rows)), "examples": rows}

    def optimizer_state(self, param_name: str, index) -> dict:
        """One weight's value and gradient and its optimizer state — Adam's running mean m of the
        gradient (exp_avg), of its square v (exp_avg_sq, and sqrt_v = √v), the step count t — and
        `update`: its last update written out with every term ({rule, lines, values}, see
        last_update_of), absent when that update is not known (none yet, a fresh optimizer after a
        phase switch or a load, a hand edit since, or a step taken without stats)."""
        p, index = self._param(param_name, index)
        out = self._state_of(p, index)
        upd = self.last_update_of(param_name, index)
        if upd is not None:
            out["update"] = upd
        return out

    def _param(self, param_name: str, index) -> tuple[torch.Tensor, tuple]:
        named = dict(zip(self.names, self.params))
        if param_name not in named:
            raise ValueError(f"no parameter '{param_name}'; e.g. {', '.join(self.names[:4])} …")
        p = named[param_name]
        index = tuple(index)
        if len(index) != p.dim() or any(not 0 <= i < n for i, n in zip(index, p.shape)):
            raise ValueError(f"{param_name} has shape {list(p.shape)}: index {list(index)} is outside it")
        return p, index

    def _state_of(self, p: torch.Tensor, index: tuple) -> dict:
        state = self.optimizer.state.get(p, {})
        out = {"value": p.detach()[index].item(), "grad": p.grad[index].item() if p.grad is not None else None,
               "step": int(state["step"]) if "step" in state else 0}
        for key in ("exp_avg", "exp_avg_sq", "momentum_buffer"):
            if state.get(key) is not None:
                out[key] = float(state[key][index])
        if "exp_avg_sq" in out:
            out["sqrt_v"] = math.sqrt(out["exp_avg_sq"])
        return out

    def last_update_of(self, param_name: str, index) -> dict | None:
        """The last update of one weight with every term filled in (lastupdate.py)."""
        return lastupdate.explain(self, param_name, index)

    def params_view(self) -> dict:
        """A small summary (the full weights are too many for every message): ‖θ‖ per group."""
        with torch.no_grad():
            sq = torch.zeros(len(self.group_names), device=self.device)
            sq.index_add_(0, self._group_index, torch.stack(torch._foreach_norm(self.params)) ** 2)
        return {"n_params": self.model.num_params(), "norms": dict(zip(self.group_names, sq.sqrt().tolist()))}

    def finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.params)

    # ----- stages (story.py) -----------------------------------------------------------------
    @property
    def plan(self) -> tuple[PlanEntry, ...]:
        c, m = self.config, self.model_config
        return story.plan(c.n_layer, c.optimizer, (c.batch_size, m.block_size, m.n_embd, m.n_head, m.vocab_size))

    def describe(self, stage: str, layer: int, record: StepRecord, before=None, after=None, lr=None):
        """(values, formula, caption) of one stage of a recorded step; the Trainer's story interface."""
        return story.describe(stage, layer, record, self.model_config)

    def view(self) -> dict:
        return {"step": self.steps, "phase": self.phase, "lr": self.lr_at(), "device": str(self.device),
                "precision": "bfloat16 autocast" if self.bf16 else "float32", "threads": torch.get_num_threads(),
                "notes": list(self.notes), "n_params": self.model.num_params(), "vocab": self.tok.display(),
                "corpus": self.data.source, "task": self.data.task, "tokens_per_s": self.tokens_per_s,
                "last": self.last.as_dict() if self.last else None, "diverged": self.diverged}


def _group(name: str) -> str:
    """Parameter name → the layer group its statistics are summed into."""
    if name.startswith("blocks."):
        return f"block {int(name.split('.')[1]) + 1}"
    return "embedding" if name.startswith(("wte", "wpe")) else "head"
