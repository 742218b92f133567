"""Learning-rate schedules: the rate a step uses, as a function of the step number.

- constant: η
- step: η halved every `schedule_steps` steps
- warmup: a linear ramp from η/warmup to η over `warmup_steps`, then η (large models start gently:
  Adam's early moment estimates are poor, and big early steps can wreck the initialization)
- cosine: the warmup, then a half cosine from η down to η/10 at `schedule_steps`, then η/10
"""
from __future__ import annotations

import math

SCHEDULES = {"constant": "constant", "step": "step decay (halve every schedule_steps)", "warmup": "linear warmup",
             "cosine": "warmup, then cosine decay"}  # name → how a page says it
FLOOR = 0.1  # cosine decays to this fraction of η
# the settings each schedule reads (lr_at below), so a page shows only those
READS = {"constant": [], "step": ["schedule_steps"], "warmup": ["warmup_steps"], "cosine": ["warmup_steps", "schedule_steps"]}


def lr_at(step: int, base: float, kind: str = "constant", warmup: int = 0, horizon: int = 1000) -> float:
    """The learning rate of step `step` (the first step is 0)."""
    if kind == "constant":
        return base
    if kind == "step":
        return base * 0.5 ** (step // max(1, horizon))
    if warmup and step < warmup:
        return base * (step + 1) / warmup
    if kind == "warmup":
        return base
    if kind == "cosine":
        span = max(1, horizon - warmup)
        t = min(1.0, (step - warmup) / span)
        return base * (FLOOR + (1 - FLOOR) * 0.5 * (1 + math.cos(math.pi * t)))
    raise ValueError(f"unknown schedule '{kind}'; choose one of {', '.join(SCHEDULES)}")


def curve(base: float, kind: str, warmup: int, horizon: int, points: int = 101) -> dict:
    """The schedule sampled for plotting, out to a little past its horizon."""
    end = max(horizon, warmup) * 1.2 if kind != "constant" else 100
    steps = [round(i * end / (points - 1)) for i in range(points)]
    return {"steps": steps, "lr": [lr_at(s, base, kind, warmup, horizon) for s in steps]}
