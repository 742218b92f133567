"""Trainer: a NumPy-engine model (neuron, line, mlp) with its data, batches and update rule,
stepped by stage, step or epoch (the stepping and history are the Stepper's, stepper.py).
No globals: every Trainer owns its random streams."""
from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np

from .batches import BatchSampler
from .config import checked
from .export import RunExport
from .flow import PlanEntry, Snapshot, StepMetrics
from .models import MODELS
from .numfmt import num
from .schedule import curve as schedule_curve
from .schedule import lr_at
from .stepper import Stepper, StepTrace
from .updatetable import table

RUNAWAY = 1e6  # a parameter this large means the steps overshoot and grow: stop and say so


class Trainer(Stepper):
    """The NumPy engine's models (neuron, line, mlp): their data, batches and update rules."""

    def __init__(self, model: str, config: dict | None = None, history_steps: int = 50, custom=None):
        if model not in MODELS or MODELS[model].build is None:
            numpy_models = [k for k, v in MODELS.items() if v.build is not None]
            raise ValueError(f"unknown model '{model}' for the NumPy engine; choose one of {', '.join(numpy_models)} "
                             "(engine.trainers.make_trainer builds any model)")
        self.spec = MODELS[model]
        self.config = self.spec.config(**(config or {}))
        checked(self.config)
        super().__init__(history_steps)
        self.frame = None  # the axes of the last landscape asked for: every step reports its place in them
        # a person's own points (rows x₁, x₂, label), when given
        self.custom: np.ndarray | None = None if custom is None else np.asarray(custom, dtype=float)
        self.reset()

    # ----- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        cfg = self.config
        data_rng, init_rng, batch_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(3))
        self.data = self.spec.data(cfg, data_rng, self.custom)
        self.built = self.spec.build(cfg, self.data, init_rng)
        self.model = self.built.model
        self.sampler = BatchSampler(len(self.data), cfg.batch_size, batch_rng)
        self.start_params = {k: v.copy() for k, v in self.model.params.items()}  # the seed's weights
        self.frame = self.frame if self._frame_fits() else None  # a landscape's axes outlive a reset
        self.grids = {}  # landscape cache: one entry per question, cleared by any rebuild
        self._clear()
        self.start_loss = self.train_loss()

    def configure(self, changes: dict) -> bool:
        """Apply settings; returns True when the run was rebuilt (anything but a live setting).
        A change that is refused (it raises) changes nothing."""
        with self.unchanged_on_error():
            return self._configure(changes)

    def _configure(self, changes: dict) -> bool:
        new = self.config.replace(**changes)
        checked(new)
        live = {f for f in changes if getattr(type(new), "__dataclass_fields__")[f].metadata.get("live")}
        rebuilt = set(changes) - live
        self.config = new
        if rebuilt:
            self.reset()
            return True
        for key in live:  # live settings the model itself holds (l1, l2) follow at once
            if hasattr(self.model, key):
                setattr(self.model, key, changes[key])
        if "lr" in changes and self.diverged:
            self.diverged = None  # a smaller step may recover: let the user try
        return False

    def set_data(self, rows: np.ndarray) -> None:
        """Train on a person's own points (see data/custom.py); the run restarts from its seed."""
        if not self.spec.own_data:
            raise ValueError(f"the {self.spec.name} model uses its built-in datasets; your own data works with 'mlp'")
        with self.unchanged_on_error():
            self.custom = rows
            self.config = self.config.replace(dataset="custom")
            self.reset()

    def fork(self) -> "Trainer":
        """A twin that goes on from exactly here — same data, weights, optimizer state and batch
        order — but trains on its own (a viewer's experiment)."""
        twin = Trainer(self.spec.name, self.config.to_dict(), self.history_steps, custom=self.custom)
        twin.restore(self.export())
        twin.model.optimizer = copy.deepcopy(self.model.optimizer)  # its `last` too: explain answers at once
        twin.last_clip = getattr(self, "last_clip", None)
        return twin

    def export(self) -> RunExport:
        """Everything a saved run needs to go on exactly: config, own data, parameters, the update
        rule's memory, the batch order (sampler position and random state), recent metrics."""
        opt, smp = self.model.optimizer, self.sampler
        return RunExport(
            model=self.spec.name, config=self.config.to_dict(), steps=self.steps_done,
            params={k: v.copy() for k, v in self.model.params.items()},
            optimizer={"name": opt.name, "t": opt.t,
                       "state": {k: {n: np.array(a, copy=True) for n, a in st.items()} for k, st in opt.state.items()}},
            progress={"sampler": {"order": smp.order.tolist(), "pos": smp.pos, "rng": smp.rng.bit_generator.state,
                                  "seen": smp.seen}},
            metrics=[vars(m) for m in self.recent],
            custom=None if self.custom is None else self.custom.tolist())

    def restore(self, saved: RunExport) -> None:
        """Go on from an export() of a run of this model and config: parameters, step count, the
        optimizer's memory and the batch order (each when the export has it)."""
        for k, v in saved.params.items():
            if k not in self.model.params or self.model.params[k].shape != np.shape(v):
                raise ValueError(f"saved parameter {k} does not fit this model")
        opt = self.model.optimizer
        if saved.optimizer and saved.optimizer.get("name", opt.name) != opt.name:
            raise ValueError(f"the saved run used {saved.optimizer['name']}, this one {opt.name}")
        for k, v in saved.params.items():
            self.model.params[k][...] = v
        if saved.optimizer:
            opt.t = int(saved.optimizer["t"])
            opt.state = {k: {n: np.array(a, dtype=float) for n, a in st.items()}
                         for k, st in saved.optimizer["state"].items()}
            opt.last = {}
        self.last_clip = None  # the last update is the saved run's, not explained here
        sampler = saved.progress.get("sampler")
        if sampler:
            self.sampler.order, self.sampler.pos = np.asarray(sampler["order"], dtype=np.int64), int(sampler["pos"])
            self.sampler.rng.bit_generator.state = sampler["rng"]
            self.sampler.seen = int(sampler.get("seen", 0))
        self.steps_done = saved.steps
        self.history.clear()
        self.recent.clear()
        self.recent.extend(StepMetrics(**m) for m in saved.metrics if m.get("step", 0) <= saved.steps)
        self.cursor = None
        self.diverged = self.alarm = None
        self.version += 1

    def set_param(self, name: str, index: tuple[int, ...], value: float) -> None:
        """Edit one parameter by hand (e.g. "W1", (0, 2)); training goes on from there."""
        p = self._check_index(name, index)
        if not math.isfinite(value):
            raise ValueError("a weight must be a finite number")
        if self.history and self.history[-1].metrics is None:  # a half-shown step's gradients were for the old
            self.history.pop()                                  # weights: drop it rather than apply them
            self.cursor = None
        self.go_live()
        p[index] = value
        self.version += 1

    def _check_index(self, name: str, index) -> np.ndarray:
        if name not in self.model.trainable:  # a bias-free line's b is not a parameter: it stays 0
            raise ValueError(f"no parameter '{name}'; this model has {', '.join(self.model.trainable)}")
        p = self.model.params[name]
        if len(index) != p.ndim or any(not 0 <= i < n for i, n in zip(index, p.shape)):
            raise ValueError(f"{name} has shape {tuple(p.shape)}: index {list(index)} is outside it")
        return p

    # ----- stepping --------------------------------------------------------------------------
    @property
    def plan(self) -> tuple[PlanEntry, ...]:
        return self.built.plan

    @property
    def steps_per_epoch(self) -> int:
        return self.sampler.steps_per_epoch

    def _compute(self, size: int | None):
        idx = self.sampler.next(size)
        return self.model.compute(self.data.x[idx], self.data.y[idx])

    def _params_view(self) -> dict:
        return self.model.params_view()

    def _describe(self, stage: str, layer: int, trace: StepTrace) -> tuple[dict, str, str]:
        record = trace.record
        if stage == "update" and trace.applied is not None:  # the update shows the gradients it used
            record = replace(record, grads=trace.applied)
        values, formula, caption = self.built.story.describe(stage, layer, record, trace.before, trace.after, trace.lr)
        if stage == "update" and trace.clip_note:
            formula = trace.clip_note + "\n" + formula
        return values, formula, caption

    def _apply(self, trace: StepTrace, evaluate: bool = True) -> None:
        """The update. `evaluate` adds the whole-set losses (train, test) to its metrics: every step
        a person looks at has them; inside a long run only the last does (they cost more than a step)."""
        cfg = self.config
        trace.lr = lr_at(self.steps_done, cfg.lr, cfg.schedule, cfg.warmup_steps, cfg.schedule_steps)
        grads = trace.record.grads
        norm = math.sqrt(sum(float(np.sum(grads[k] ** 2)) for k in self.model.trainable))
        self.last_clip = None
        if cfg.clip and norm > cfg.clip:  # clip by the global norm: same direction, shorter step
            scale = cfg.clip / norm
            trace.applied = {k: g * scale for k, g in grads.items()}
            trace.clip_note = f"gradient clipped: ‖g‖ = {num(norm)} > {num(cfg.clip)}, every gradient × {num(scale)}"
            self.last_clip = {"clip_scale": scale, "grad_norm": norm, "max_norm": float(cfg.clip), "note": trace.clip_note}
        self.model.optimizer.step(self.model.params, trace.applied or grads, trace.lr, self.model.trainable)
        self.version += 1
        trace.after = self.model.params_view()
        self.steps_done += 1
        train = test = None
        if evaluate:
            train, test = self.train_loss(), self.test_loss()
        trace.metrics = StepMetrics(self.steps_done, trace.record.loss, train, test, grad_norm=norm,
                                    clipped=trace.applied is not None, lr=trace.lr,
                                    position=self.frame.position(self.model.params) if self.frame else None)
        self.outbox.append(trace.metrics)
        if train is not None:
            self.recent.append(trace.metrics)
        if not (self.model.finite() and math.isfinite(trace.record.loss) and (train is None or math.isfinite(train))):
            self.diverged = (f"Training diverged at step {self.steps_done}: the loss became too large to compute. "
                             f"The learning rate {self.config.lr:g} overshoots — lower it, or press R to reset.")
        elif max(float(np.abs(p).max()) for p in self.model.params.values()) > RUNAWAY:
            self.diverged = (f"Training diverged at step {self.steps_done}: the weights passed a million "
                             f"(the loss was {train if train is not None else trace.record.loss:.3g}). "
                             f"The learning rate {self.config.lr:g} overshoots — lower it, or press R to reset.")

    # ----- views -----------------------------------------------------------------------------
    def train_loss(self) -> float:
        with np.errstate(all="ignore"):
            return self.model.mean_loss(self.data.x, self.data.y)

    def layer_stats(self) -> list[dict] | None:
        """Per layer, from the last step: the spread of the activations and the size of the weight
        gradients — vanishing and exploding show here first (networks only)."""
        head = next((tr for tr in reversed(self.history) if tr.metrics is not None), None)
        if head is None or not hasattr(head.record, "acts"):
            return None
        rec = head.record
        return [{"activation_std": float(np.std(a)), "grad_norm": float(np.linalg.norm(rec.grads[f"W{k}"]))}
                for k, a in enumerate(rec.acts)]

    def test_loss(self) -> float | None:
        if self.data.test_y is None:
            return None
        with np.errstate(all="ignore"):
            return self.model.mean_loss(self.data.test_x, self.data.test_y)

    def accuracy(self) -> dict | None:
        if self.data.task != "classification":
            return None
        d = self.data
        out = {"train": self.model.accuracy(d.x, d.y)}
        if d.test_y is not None:
            out["test"] = self.model.accuracy(d.test_x, d.test_y)
        return out

    def warning(self) -> str | None:
        """Said while a kept recent step's whole-set loss stands far above where it started (an
        oscillating overshoot dips low now and then, so any such step tells, not the last); it names
        the step where the loss first went past that and the loss then, fixed from then on."""
        bound = 10 * self.start_loss + 1
        over = [tr.metrics for tr in self.history
                if tr.metrics and tr.metrics.train_loss is not None and tr.metrics.train_loss > bound]
        first = self.held(bool(over), lambda: {"step": over[0].step, "loss": over[0].train_loss, "lr": self.config.lr})
        if first is None:
            return None
        shown = f"{first['loss']:.3g}" if math.isfinite(first["loss"]) else "infinite"
        return (f"The loss exploded at step {first['step']}: it reached {shown}, against {self.start_loss:.3g} at "
                f"the start. Each step overshoots — a learning rate of {first['lr']:g} is too large.")

    def field(self) -> dict | None:
        """The model over the plane (networks only): {name: array}, see scratch/mlp_field.py."""
        if self.built.field is None or not self.model.finite():
            return None
        with np.errstate(all="ignore"):
            return self.built.field()

    def landscape(self, resolution: int, kind: str = "auto", span: float | None = None, seed: int = 0,
                  weights=None, at: str = "here", adopt: bool = True, between=None) -> dict:
        """The loss over two parameter axes (see landscape.py), on the training set, exact, around
        the weights now (`at` "here") or the seed's starting weights ("start": racers with one seed
        get one picture). With `adopt` (the run's driver asked), each step from now on reports where
        it is in these axes; without (a watcher asked), nothing the others see changes. `between()` is
        called between slices of a network's grid: the run may go on meanwhile (landscape.py)."""
        key = (resolution, kind, span, seed, repr(weights), at, self.config, self.version if at == "here" else 0)
        grid = self.grids.get(key) or self._grid(resolution, kind, span, seed, weights, at, between)
        if adopt:
            self.grids = {key: grid}  # keep only the last
            self.frame = grid["frame"]
        return {k: v for k, v in grid.items() if k != "frame"}

    def _grid(self, resolution, kind, span, seed, weights, at, between=None) -> dict:
        from .landscape import network_landscape, unit_bounds, unit_grid

        d, model = self.data, self.model
        if at == "start":  # a twin of the model holding the starting weights, for reading only
            model = copy.copy(self.model)
            model.params = {k: v.copy() for k, v in self.start_params.items()}
        with np.errstate(all="ignore"):
            if self.spec.name == "mlp":
                kind = "random" if kind == "auto" else kind
                # from the start, training travels far: twice the weights' own size fits a race
                span = span or (2.0 if at == "start" else 1.0)
                grid = network_landscape(model, d.x, d.y, resolution, kind, span, seed, weights, between)
            elif not self.model.bias or d.x.shape[1] != 1:
                raise ValueError("the w–b landscape needs one input and a bias: a 1-feature neuron, or the line "
                                 "with bias on")
            else:
                bounds = unit_bounds(model, d.x, d.y) if at == "start" and span is None else None
                grid = unit_grid(model, d.x, d.y, resolution, span, bounds)
        loss = np.asarray(grid["loss"], dtype=float)
        i, j = np.unravel_index(np.argmin(np.where(np.isfinite(loss), loss, np.inf)), loss.shape)
        return {**grid, "at": at, "start": grid["frame"].position(self.start_params),
                "minimum": [grid["x"][j], grid["y"][i], float(loss[i, j])]}

    def _frame_fits(self) -> bool:
        return self.frame is not None and self.frame.position(self.model.params) is not None

    def measure(self, checkpoint: bool = True, bf16: bool = True) -> dict:
        """Training memory and speed of this model, measured on a torch twin with the same weights
        (engine/transformer/twin.py); nothing of this session changes."""
        from .transformer.twin import measure_small  # imports torch: only when asked

        return {"step": self.steps_done, **measure_small(self, checkpoint, bf16)}

    def explain(self, name: str, index: tuple[int, ...]) -> dict:
        """The last update of one weight, its numbers filled in (optim.py's explain), with the
        clipping of that step when it clipped: clip_scale (every gradient × it), grad_norm, max_norm."""
        self._check_index(name, index)
        out = self.model.optimizer.explain(name, tuple(index))
        clip = getattr(self, "last_clip", None)
        if clip and out["values"]:
            out["values"].update({k: v for k, v in clip.items() if k != "note"})
            out["lines"] = [clip["note"], *out["lines"]]
        return {**out, **table(self.model.optimizer.name, out["values"])}

    def dataset_view(self) -> dict:
        return self.data.view()

    def snapshot(self) -> Snapshot:
        curve = None
        if self.built.curve and self.model.finite():
            with np.errstate(all="ignore"):
                curve = self.model.curve(self.data.x, self.data.y)
        loss, test = self.train_loss(), self.test_loss()
        cfg = self.config
        return Snapshot(
            step=self.steps_done,
            params=self.model.params_view(),
            lr=lr_at(self.steps_done, cfg.lr, cfg.schedule, cfg.warmup_steps, cfg.schedule_steps),
            schedule=None if cfg.schedule == "constant" else schedule_curve(
                cfg.lr, cfg.schedule, cfg.warmup_steps, cfg.schedule_steps),
            layers=self.layer_stats(),
            loss=loss if math.isfinite(loss) else None,
            test_loss=test if test is not None and math.isfinite(test) else None,
            accuracy=self.accuracy(),
            cursor=self.cursor_view(),
            curve=curve,
            diverged=self.diverged,
            warning=self.warning(),
            landscape_at=self.frame.position(self.model.params) if self.frame else None,
            epoch=self.sampler.epochs,
        )
