"""The models a session can create, by name: their config class and how to build them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .config import LineConfig, NeuronConfig, RunConfig
from .data.toy import Dataset
from .functions import ACTIVATIONS, LOSSES
from .scratch.unit import Unit
from .scratch.unit_story import UnitStory, plan


@dataclass
class Built:
    model: Any  # compute / apply / mean_loss / params_view / finite (see scratch.unit.Unit)
    story: Any  # describe(stage, record, before, after, lr) -> (values, formula, caption)
    plan: list[tuple[str, int]]  # the (stage, layer) sequence of one step
    curve: bool  # whether the state carries the loss along the first weight


@dataclass(frozen=True)
class ModelSpec:
    name: str
    config: type[RunConfig]
    build: Callable[[Any, Dataset, np.random.Generator], Built]
    title: str


def _neuron(cfg: NeuronConfig, data: Dataset, rng) -> Built:
    unit = Unit(data.x.shape[1], ACTIVATIONS["sigmoid"], LOSSES["bce"], bias=True, rng=rng)
    return Built(unit, UnitStory(unit, line=False), plan(line=False), curve=False)


def _line(cfg: LineConfig, data: Dataset, rng) -> Built:
    unit = Unit(1, ACTIVATIONS["linear"], LOSSES["mse"], bias=cfg.bias, rng=rng)
    return Built(unit, UnitStory(unit, line=True), plan(line=True), curve=True)


MODELS = {
    s.name: s
    for s in (
        ModelSpec("neuron", NeuronConfig, _neuron, "One neuron: z = w·x + b, a = σ(z), cross-entropy"),
        ModelSpec("line", LineConfig, _line, "Find a in y = a·x: squared error, gradient descent"),
    )
}
