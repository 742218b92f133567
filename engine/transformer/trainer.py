"""GPTTrainer: the character GPT behind the same Stepper as the NumPy models (engine/stepper.py).

Stage stepping computes one real step on the inspect path (`TransformerRun.begin_step`), hands its
stages out, and applies the update at the `update` stage. Whole steps (`run`, play) take the fast
path and keep no stage record: a step is ~50 ms here, and building its record would cost more than
the view needs; stepping back reaches the steps that were shown stage by stage.

Held-out losses cost about as much as ten steps, so they are measured every EVAL_EVERY steps and on
every step a person walks through, and the snapshot shows the latest.
"""
from __future__ import annotations

import base64
import copy
import math
from dataclasses import asdict

import numpy as np
import torch

from ..config import checked, live_keys
from ..export import RunExport
from ..flow import PlanEntry, Snapshot, StepMetrics
from ..stepper import Stepper, StepTrace
from .budget import enforce
from .config import TransformerConfig
from .run import StepStats, TransformerRun
from .schedule import Schedule

EVAL_EVERY = 100
RECENT = 1000  # steps of loss history a saved run keeps
LIVE = live_keys(TransformerConfig)  # the settings marked live in config.py: applied between steps


class GPTTrainer(Stepper):
    def __init__(self, config: TransformerConfig | dict | None = None, history_steps: int = 50,
                 budget: tuple[float | None, float | None] = (None, None)):
        """`budget`: (bytes, FLOPs) a config may cost at most (see budget.py); past it, ValueError."""
        cfg = config if isinstance(config, TransformerConfig) else TransformerConfig(**(config or {}))
        checked(cfg)
        self.config = cfg
        self.budget = budget
        super().__init__(history_steps)
        self.reset()

    # ----- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        enforce(self.config, self.budget)
        self.gpt = TransformerRun(self.config)
        self._clear()
        self.evaluated: dict | None = None
        self.evaluated_at = -1
        self._evaluate()
        self.start_loss = self.evaluated["train"]

    def configure(self, changes: dict) -> bool:
        """Apply settings; returns True when the run was rebuilt (anything but a live setting).
        A change that is refused (it raises: a text too short for the context, betas torch refuses)
        changes nothing."""
        with self.unchanged_on_error():
            return self._configure(changes)

    def _configure(self, changes: dict) -> bool:
        new = self.config.replace(**changes)
        checked(new)
        self.config = new
        if set(changes) - LIVE:
            self.reset()
            return True
        self.gpt.set_live(**{k: v for k, v in changes.items() if k != "speed"})
        if "lr" in changes:
            self.diverged = None  # a smaller step may recover: let the person try
        return False

    def switch_phase(self, phase: str) -> dict:
        """Pre-training ↔ fine-tuning (see TransformerRun.switch_phase); a half-shown step is dropped."""
        self._drop_pending()
        event = self.gpt.switch_phase(phase)
        self.evaluated, self.evaluated_at = event.get("eval", self.evaluated), self.steps_done
        self.version += 1
        return event

    def fork(self) -> "GPTTrainer":
        """A twin that goes on from exactly here: weights, optimizer state, schedule, batch order."""
        twin = GPTTrainer(self.config, self.history_steps, self.budget)
        a, b = self.gpt, twin.gpt
        b.phase, b.steps = a.phase, a.steps
        b.model.load_state_dict(a.model.state_dict())
        b.optimizer = b._make_optimizer()
        b.optimizer.load_state_dict(copy.deepcopy(a.optimizer.state_dict()))
        b.schedule, b.batch_gen = a.schedule, torch.Generator().set_state(a.batch_gen.get_state())
        b.history, b.switches = list(a.history), list(a.switches)
        b.last, b.tokens_per_s = copy.copy(a.last), a.tokens_per_s
        twin.steps_done, twin.evaluated, twin.evaluated_at = self.steps_done, self.evaluated, self.evaluated_at
        return twin

    def export(self) -> RunExport:
        """Config (its text included), phase, parameters (arrays by name), torch's optimizer state,
        the schedule and the batch generator's state (so a restored run goes on exactly), the loss
        history. With dropout > 0 the masks come from torch's process-wide generator: not kept."""
        g = self.gpt
        return RunExport(
            model="transformer", config=self.config.to_dict(), steps=self.steps_done, phase=g.phase,
            params={k: v.detach().cpu().numpy().copy() for k, v in g.model.state_dict().items()},
            optimizer=_tree_to_numpy(g.optimizer.state_dict()),
            progress={"schedule": asdict(g.schedule), "switches": list(g.switches),
                      "batch_gen": base64.b64encode(g.batch_gen.get_state().numpy().tobytes()).decode("ascii"),
                      **GPTTrainer._shown(self)},  # (a data-parallel worker exports through here too)
            metrics=list(g.history[-RECENT:]))  # the recent steps: the whole history grows with every step

    def _shown(self) -> dict:
        """What the page shows of the last step and the last loss estimate (`state.gpt.last`, `state.loss`
        and its step), kept with an export so that a loaded or restored run shows the same until it steps."""
        g = self.gpt
        return {"last": g.last.as_dict() if getattr(g, "last", None) else None,
                "tokens_per_s": getattr(g, "tokens_per_s", None),
                "evaluated": getattr(self, "evaluated", None), "evaluated_at": getattr(self, "evaluated_at", -1)}

    def restore(self, saved: RunExport) -> None:
        """Go on from an export() of a run with this config: weights, phase, step count, and — when
        the export has them — the optimizer's moments, the schedule and the batch order."""
        g = self.gpt
        state = g.model.state_dict()
        for k, v in saved.params.items():
            if k not in state or tuple(state[k].shape) != tuple(np.shape(v)):
                raise ValueError(f"saved parameter {k} does not fit this model")
        phase = saved.phase or "pretrain"
        if phase not in ("pretrain", "finetune"):
            raise ValueError(f"unknown phase '{phase}' in the saved run")
        g.model.load_state_dict({k: torch.as_tensor(np.asarray(v), dtype=state[k].dtype) for k, v in saved.params.items()})
        g.steps = self.steps_done = int(saved.steps)
        g.phase = phase
        g.optimizer, g.schedule = g._make_optimizer(), g._make_schedule()
        if saved.optimizer:
            g.optimizer.load_state_dict(_optimizer_state_from(saved.optimizer))
        p = saved.progress
        if "schedule" in p:
            g.schedule = Schedule(**p["schedule"])
        if "batch_gen" in p:
            raw = np.frombuffer(base64.b64decode(p["batch_gen"]), dtype=np.uint8).copy()
            g.batch_gen.set_state(torch.from_numpy(raw))
        g.switches = list(p.get("switches", []))
        g.history = list(saved.metrics)
        g.last_update = None
        self.recent.clear()  # the chart as it was: each step's batch loss and rate (the history keeps those)
        self.recent.extend(StepMetrics(h["step"], h["loss"], None, lr=h.get("lr")) for h in g.history
                           if h.get("step", 0) <= self.steps_done)
        self.history.clear()
        self.cursor = None
        self.diverged = g.diverged = self.alarm = None
        self.version += 1
        g.last = StepStats(**p["last"]) if p.get("last") else None
        g.tokens_per_s = p.get("tokens_per_s")
        if p.get("evaluated") and p.get("evaluated_at", -1) >= 0:  # the estimate the page showed, as it was
            self.evaluated, self.evaluated_at = dict(p["evaluated"]), int(p["evaluated_at"])
        else:  # an export from before these were kept: the losses shown are the restored weights', not the seed's
            self._evaluate()

    def set_param(self, name: str, index: tuple[int, ...], value: float) -> None:
        if not math.isfinite(value):
            raise ValueError("a weight must be a finite number")
        self.gpt.optimizer_state(name, index)  # checks the name and the index
        self._drop_pending()
        with torch.no_grad():
            dict(self.gpt.model.named_parameters())[name][tuple(index)] = value
        self.gpt.last_update = None  # the last update's "after" is no longer the weight
        self.version += 1

    def set_data(self, rows) -> None:
        raise ValueError("the transformer reads text: paste yours into the `text` setting")

    def landscape(self, *args, **kwargs) -> dict:
        raise ValueError("loss landscapes are drawn for the small models; the GPT has 800,000 axes")

    def measure(self, checkpoint: bool = True, bf16: bool = True) -> dict:
        """Training memory and speed of the GPT as it is now, on a copy (engine/transformer/measure.py)."""
        from .measure import measure_gpt

        return {"step": self.steps_done, **measure_gpt(self.gpt, checkpoint, bf16)}

    def explain(self, name: str, index) -> dict:
        raise ValueError("the transformer trains with torch.optim: ask 'optimizer_state' for a weight's last update, m and v")

    def _drop_pending(self) -> None:
        if self.history and self.history[-1].metrics is None:  # its gradients were for other weights or text
            self.history.pop()
            self.cursor = None
        self.go_live()

    # ----- what the Stepper needs --------------------------------------------------------------
    @property
    def plan(self) -> tuple[PlanEntry, ...]:
        return self.gpt.plan

    @property
    def steps_per_epoch(self) -> int:
        """One pass over the current phase's training characters, in batches of B×T."""
        cfg = self.config
        return max(1, len(self.gpt.data.splits[self.gpt.phase].train) // (cfg.batch_size * cfg.block_size))

    def _compute(self, size: int | None):
        return self.gpt.begin_step()

    def _params_view(self) -> dict:
        return self.gpt.params_view()

    def _describe(self, stage: str, layer: int, trace: StepTrace) -> tuple[dict, str, str]:
        return self.gpt.describe(stage, layer, trace.record)

    def _apply(self, trace: StepTrace, evaluate: bool = True) -> None:
        rec = self.gpt.apply(trace.record)
        trace.lr, trace.after = rec.lr, self.gpt.params_view()
        self._after_step(rec.stats, evaluate)
        trace.metrics = self.outbox[-1]

    def run(self, steps: int, batch: int | None = None, evaluate: bool = False) -> int:
        """Whole steps on the fast path (a half-shown step is finished first and counts as one).
        `batch` is ignored: a GPT step is always a batch of windows; held-out losses come every
        EVAL_EVERY steps whatever `evaluate` says (they cost about ten steps)."""
        done = self._finish_shown(evaluate=False)
        while done < steps:
            self._check()
            done += 1
            self._after_step(self.gpt.step(), evaluate=False)
        return done

    def _after_step(self, stats, evaluate: bool) -> None:
        self.version += 1
        self.steps_done = self.gpt.steps
        if evaluate or self.steps_done - self.evaluated_at >= EVAL_EVERY:
            self._evaluate()
        ev = self.evaluated if self.evaluated_at == self.steps_done else None
        self.outbox.append(StepMetrics(self.steps_done, stats.loss, ev and ev["train"], ev and ev["val"],
                                       grad_norm=stats.grad_norm, clipped=stats.clipped, lr=stats.lr))
        self.recent.append(self.outbox[-1])  # the loss chart of whoever arrives later (or after an undo)
        self.diverged = self.gpt.diverged

    def _evaluate(self) -> None:
        self.evaluated, self.evaluated_at = self.gpt.evaluate(), self.steps_done

    # ----- views -----------------------------------------------------------------------------
    def layer_stats(self) -> list[dict] | None:
        """Per group (embedding, block 1 … n, head), from the last step: ‖g‖ and ‖Δθ‖/‖θ‖."""
        last = self.gpt.last
        if last is None or last.layer_grad_norms is None:
            return None
        return [{"grad_norm": last.layer_grad_norms[g], "update_ratio": last.update_ratios[g]}
                for g in self.gpt.group_names]

    def dataset_view(self) -> dict:
        d = self.gpt.data
        return {"kind": "text", "source": d.source, "characters": len(d.corpus), "vocab": self.gpt.tok.display(),
                "excerpt": d.corpus[:400], "task": d.task, "task_examples": d.task_train_lines[:5]}

    def field(self) -> None:
        return None

    def warning(self) -> str | None:
        """While the evaluated loss stands above the start: the step and loss where it first did, fixed."""
        ev = self.evaluated
        rising = bool(ev) and math.isfinite(ev["train"]) and ev["train"] > self.start_loss + 1.0
        first = self.held(rising, lambda: {"step": self.evaluated_at, "loss": ev["train"], "lr": self.gpt.lr_at()})
        if first is None:
            return None
        return (f"The loss rose from {self.start_loss:.3g} to {first['loss']:.3g} at step {first['step']}: the steps "
                f"overshoot — a learning rate of {first['lr']:.3g} is too large.")

    def snapshot(self) -> Snapshot:
        """What every model's snapshot has, plus `gpt`: what only a language model has."""
        ev, sched = self.evaluated or {}, self.gpt.schedule_view(points=100)
        gpt = {**self.gpt.view(), "eval": ev, "eval_step": self.evaluated_at, "schedule": sched,
               "switches": [{k: v for k, v in s.items()} for s in self.gpt.switches]}
        return Snapshot(
            step=self.steps_done,
            params=self.gpt.params_view(),
            lr=self.gpt.lr_at(),
            schedule={"steps": [float(s) for s, _ in sched["curve"]], "lr": [lr for _, lr in sched["curve"]]},
            layers=self.layer_stats(),
            loss=ev.get("train"),
            test_loss=ev.get("val"),
            accuracy=None,
            cursor=self.cursor_view(),
            curve=None,
            diverged=self.diverged,
            warning=self.warning(),
            gpt=gpt,
        )


def _tree_to_numpy(x):
    """torch's optimizer state_dict with its tensors as NumPy arrays (the RunExport shape)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy().copy()
    if isinstance(x, dict):
        return {k: _tree_to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_tree_to_numpy(v) for v in x]
    return x


def _optimizer_state_from(tree: dict) -> dict:
    """The inverse of _tree_to_numpy for an optimizer state_dict: arrays → tensors (torch's
    load_state_dict moves them to the parameters' device), betas back to a tuple."""
    def conv(x):
        if isinstance(x, np.ndarray):
            return torch.from_numpy(x.copy())
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, list):
            return [conv(v) for v in x]
        return x

    out = conv(tree)
    out["state"] = {int(k): v for k, v in out.get("state", {}).items()}
    for group in out.get("param_groups", []):
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
    return out
