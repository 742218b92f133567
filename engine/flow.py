"""The stage vocabulary, and the records a training step produces.

A step is a trace: the same seven words for every model (an eighth, `allreduce`, when several
workers train one model), from one neuron to a transformer. Deeper
models repeat `linear`/`activation` per layer going forward and `gradients` per layer going back.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

STAGES = ("input", "weights", "linear", "activation", "loss", "gradients", "allreduce", "allgather", "reducescatter",
          "sendrecv", "update", "broadcast")
# the communication stages of a run split over workers (engine/distributed): each named by its collective
# (`broadcast`: ZeRO 1's updated parameters, each rank's share sent to the others after the update)
COMM_STAGES = frozenset({"allreduce", "allgather", "reducescatter", "sendrecv", "broadcast"})

# Stages after the loss run right to left in the picture: the gradient flows back. `allreduce` (only
# with data-parallel workers, engine/distributed) averages the workers' gradients between the two.
BACKWARD = frozenset({"gradients", "allreduce", "reducescatter", "update", "broadcast"})

# Each stage's one title, the same for every model (the page shows these words, never its own).
STAGE_TITLES = {"input": "Input", "weights": "Weights", "linear": "Linear combination", "activation": "Activation",
                "loss": "Loss", "gradients": "Gradients", "allreduce": "All-reduce", "allgather": "All-gather",
                "reducescatter": "Reduce-scatter", "sendrecv": "Send/receive", "update": "Update", "broadcast": "Broadcast"}


@dataclass(frozen=True)
class PlanEntry:
    """One stage of a model's step plan, with the words a page shows for it.

    A model's plan is the list of these, in the order the stages run; a deeper model repeats
    `linear`/`activation` per layer going forward and `gradients` per layer going back, and `part`
    names the layer each repeat works on. `title` is unique within a plan.
    """

    stage: str  # one of STAGES
    layer: int  # which layer (or transformer sublayer) the stage works on; 0 for whole-model stages
    subtitle: str  # what the stage computes here, in symbols: "z = w·x + b"
    part: str = ""  # the layer's name where the stage repeats per layer: "hidden layer 1"; else ""
    short: str = ""  # `part` in a few characters, for a small label: "1", "out", "attn 1"
    shape: str = ""  # the tensor the stage makes, its axes and this run's sizes: "(B, T, C) = (12, 24, 48)"
    way: str = ""  # "forward" or "backward" where the stage's own default is not it (tp's forward all-reduce)
    comm: tuple[str, str, int] | None = None  # a communication stage's (op, group, payload bytes)

    def __post_init__(self):
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage '{self.stage}'; the stages are {', '.join(STAGES)}")

    @property
    def direction(self) -> str:
        return self.way or ("backward" if self.stage in BACKWARD else "forward")

    @property
    def stage_title(self) -> str:
        return STAGE_TITLES[self.stage]

    @property
    def title(self) -> str:
        """The stage's title, with the layer's name where the stage repeats: "Linear combination · hidden layer 1"."""
        return f"{self.stage_title} · {self.part}" if self.part else self.stage_title

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "layer": self.layer, "direction": self.direction, "title": self.title,
                "subtitle": self.subtitle, "stage_title": self.stage_title, "part": self.part, "short": self.short,
                "shape": self.shape,
                **({"comm": dict(zip(("op", "group", "bytes"), self.comm))} if self.comm else {})}


@dataclass(frozen=True)
class StageEvent:
    """One stage of one step, with the numbers it produced and its formula filled in."""

    step: int  # which step (the first is 0)
    stage: str  # one of STAGES
    index: int  # position in the model's stage list
    layer: int
    values: Any  # one of stagevalues.py's dataclasses: the numbers of this stage, plain JSON values
    params: dict[str, Any]  # the parameters in effect at this stage (new ones at `update`)
    formula: str  # lines separated by "\n"
    caption: str
    replay: bool = False
    way: str = ""  # the plan entry's direction where it is not the stage's default (PlanEntry.way)

    @property
    def direction(self) -> str:
        return self.way or ("backward" if self.stage in BACKWARD else "forward")

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
class Snapshot:
    """The run as it is now, for every model: what a page draws between steps (the server sends it as
    `state`). Fields a model doesn't have are None — absent, never a made-up 0."""

    step: int  # steps taken
    params: dict[str, Any]  # the parameters, as plain JSON values
    lr: float  # the learning rate the next step will use
    loss: float | None  # the whole training set's loss (the GPT: its latest estimate)
    test_loss: float | None  # the held-out set's
    accuracy: dict[str, float] | None  # classification: share right, train and test
    schedule: dict[str, list[float]] | None  # the lr schedule sampled for plotting (None: constant)
    layers: list[dict[str, float]] | None  # per layer: activation spread and gradient size
    cursor: dict[str, Any] | None  # where stepping by stage stands
    curve: dict[str, Any] | None  # the line: the loss along its one weight
    diverged: str | None  # why training stopped, when it did
    warning: str | None  # a warning that is not (yet) a stop
    landscape_at: list[float] | None = None  # where the weights are in the last landscape's axes
    gpt: dict[str, Any] | None = None  # the transformer only: phase, device, tokens/s, eval losses …
    epoch: float | None = None  # passes over the training set so far (samples seen ÷ its size)

    def fields(self) -> dict[str, Any]:
        """Field → value, shallow (the server types them on the wire)."""
        return dict(vars(self))


@dataclass
class Divergence(Exception):
    """Training produced a non-finite or runaway number: say where and what to do."""

    step: int
    message: str = field(default="")

    def __str__(self) -> str:
        return self.message
