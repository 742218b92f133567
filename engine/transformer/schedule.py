"""The learning rate over a phase of training: a linear warmup, then half a cosine down to a floor.

Why warm up: at the start Adam's second-moment estimate v rests on a handful of gradients, so its
steps can be large and erratic; growing η from near zero lets the estimates settle first.
Why decay: late in training smaller steps let the weights settle into the valley instead of
bouncing across it. The cosine spends longer near the top than a straight line would.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    max_lr: float
    min_lr: float
    warmup: int  # steps of linear growth
    total: int  # steps from the phase's start to the floor; the floor holds after that
    start: int = 0  # the global step at which this phase began

    def lr_at(self, step: int) -> float:
        """η for global step `step` (0-based: the update that turns `step` steps into step + 1)."""
        s = step - self.start
        if s < self.warmup:
            return self.max_lr * (s + 1) / self.warmup  # step 0 already moves a little: (1/warmup)·max
        if s >= self.total:
            return self.min_lr
        progress = (s - self.warmup) / max(1, self.total - self.warmup)  # 0 → 1 over the decay
        return self.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (self.max_lr - self.min_lr)

    def curve(self, points: int = 200, past: int | None = None) -> list[tuple[int, float]]:
        """(step, η) pairs across the phase (and `past` steps beyond its end) for plotting."""
        end = self.start + self.total + (past if past is not None else self.total // 10)
        stride = max(1, (end - self.start) // points)
        return [(s, self.lr_at(s)) for s in range(self.start, end + 1, stride)]
