"""The stage vocabulary, and the records a training step produces.

A step is a trace: the same seven words for every model, from one neuron to a transformer. Deeper
models repeat `linear`/`activation` per layer going forward and `gradients` per layer going back.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

STAGES = ("input", "weights", "linear", "activation", "loss", "gradients", "update")

# Stages after the loss run right to left in the picture: the gradient flows back.
BACKWARD = frozenset({"gradients", "update"})


@dataclass(frozen=True)
class StageEvent:
    """One stage of one step, with the numbers it produced and its formula filled in."""

    step: int  # which step (the first is 0)
    stage: str  # one of STAGES
    index: int  # position in the model's stage list
    layer: int
    values: dict[str, Any]  # plain JSON numbers only
    params: dict[str, Any]  # the parameters in effect at this stage (new ones at `update`)
    formula: str  # lines separated by "\n"
    caption: str
    replay: bool = False

    @property
    def direction(self) -> str:
        return "backward" if self.stage in BACKWARD else "forward"

    def replayed(self) -> "StageEvent":
        return replace(self, replay=True)


@dataclass
class StepMetrics:
    step: int  # steps taken after this one's update (1 after the first)
    loss: float  # the batch loss this step computed
    train_loss: float | None  # whole training set, after the update (None inside a long run: see Trainer._apply)
    test_loss: float | None = None  # the held-out set, where there is one
    grad_norm: float | None = None  # ‖g‖ over all parameters, before any clipping
    clipped: bool = False
    lr: float | None = None  # the rate this step used (schedules change it)
    position: list[float] | None = None  # where the weights are in the last landscape's axes


@dataclass
class Divergence(Exception):
    """Training produced a non-finite or runaway number: say where and what to do."""

    step: int
    message: str = field(default="")

    def __str__(self) -> str:
        return self.message
