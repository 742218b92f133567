"""The models a session can create, by name: their config class and how to build them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .config import LineConfig, NetworkConfig, NeuronConfig, RunConfig
from .data.dataset import Dataset
from .data.plane import make_network_data
from .data.toy import make
from .flow import PlanEntry
from .functions import ACTIVATIONS, LOSSES, SOFTMAX
from .optim import make_optimizer
from .scratch import mlp_story, unit_story
from .scratch.mlp import MLP
from .scratch.mlp_field import field
from .scratch.unit import Unit
from .transformer.config import PAGE_START, TransformerConfig  # torch-free: the schema is needed at startup


@dataclass
class Built:
    model: Any  # compute / apply / mean_loss / params_view / finite (see scratch.unit.Unit)
    story: Any  # describe(stage, layer, record, before, after, lr) -> (values, formula, caption)
    plan: tuple[PlanEntry, ...]  # the stages of one step, with their words (flow.py)
    curve: bool  # whether the state carries the loss along the first weight
    field: Callable[[], dict] | None = None  # the model over the plane (networks): arrays for binary frames


@dataclass(frozen=True)
class ModelSpec:
    name: str
    config: type[RunConfig]
    data: Callable[..., Dataset] | None  # (config, rng, custom rows or None) -> Dataset; None: not a NumPy model
    build: Callable[[Any, Dataset, np.random.Generator], Built] | None
    title: str
    label: str  # the model's name on a page
    own_data: bool = False  # whether people may draw or upload the data
    start: tuple = ()  # (setting, value) pairs a page starts from, over the config's defaults
    symbols: tuple = ()  # (value key, symbol) pairs: how the model's formulas write each value it sends


def _toy_data(cfg, rng, custom=None) -> Dataset:
    return make(cfg.dataset, cfg.n_samples, cfg.noise, rng)


def _optimizer(cfg: RunConfig):
    return make_optimizer(cfg.optimizer, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def _neuron(cfg: NeuronConfig, data: Dataset, rng) -> Built:
    unit = Unit(data.x.shape[1], ACTIVATIONS["sigmoid"], LOSSES["bce"], bias=True, rng=rng, optimizer=_optimizer(cfg))
    return Built(unit, unit_story.UnitStory(unit, line=False), unit_story.plan(unit, line=False), curve=False)


def _line(cfg: LineConfig, data: Dataset, rng) -> Built:
    unit = Unit(1, ACTIVATIONS["linear"], LOSSES["mse"], bias=cfg.bias, rng=rng, optimizer=_optimizer(cfg))
    return Built(unit, unit_story.UnitStory(unit, line=True), unit_story.plan(unit, line=True), curve=True)


def _network_data(cfg: NetworkConfig, rng, custom=None) -> Dataset:
    return make_network_data(cfg.dataset, cfg.n_samples, cfg.noise, cfg.test_fraction, cfg.features, rng, custom)


def _network(cfg: NetworkConfig, data: Dataset, rng) -> Built:
    # the output and the loss follow the task: σ + BCE (2 classes), softmax + CE (3+), linear + MSE
    if data.task == "regression":
        head, loss, outputs = ACTIVATIONS["linear"], LOSSES["mse"], 1
    elif data.classes > 2:
        head, loss, outputs = SOFTMAX, LOSSES["ce"], data.classes
    else:
        head, loss, outputs = ACTIVATIONS["sigmoid"], LOSSES["bce"], 1
    sizes = [data.x.shape[1], *cfg.hidden, outputs]
    acts = [ACTIVATIONS[a] for a in cfg.hidden_activations()] + [head]
    net = MLP(sizes, acts, loss, cfg.init, rng, cfg.l1, cfg.l2, optimizer=_optimizer(cfg))
    return Built(net, mlp_story.MLPStory(net, list(data.inputs)), mlp_story.plan(net), curve=False,
                 field=lambda: field(net, cfg.features))


MODELS = {
    s.name: s
    for s in (
        ModelSpec("neuron", NeuronConfig, _toy_data, _neuron, "One neuron: z = w·x + b, a = σ(z), cross-entropy", "Neuron",
                  symbols=tuple(unit_story.symbols(False).items())),
        ModelSpec("line", LineConfig, _toy_data, _line, "Find a in y = a·x: squared error, gradient descent", "Line",
                  symbols=tuple(unit_story.symbols(True).items())),
        ModelSpec("mlp", NetworkConfig, _network_data, _network, "A network on 2D data: layers, activations, back-propagation",
                  "Network", own_data=True),
        # trained by engine/transformer (torch); listed here for its config schema (engine/trainers.py)
        ModelSpec("transformer", TransformerConfig, None, None, "A character-level GPT trained live on text", "Transformer",
                  start=tuple(PAGE_START.items())),
    )
}
