"""Each model's settings, defined once: default, bounds, choices, and whether a change applies live.

The server derives its validation schema (and the JSON Schema the browser builds its form from)
from these dataclasses, so a bound is written in exactly one place.
"""
from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, Mapping

from .data.features import FEATURES
from .data.plane import DATASETS as PLANE_SETS
from .data.plane import TITLES as PLANE_TITLES
from .data.toy import LINE_SETS, NEURON_SETS
from .functions import HIDDEN
from .optim import OPTIMIZERS
from .schedule import READS, SCHEDULES
from .scratch.mlp import INITS


def _choices(choices):
    """Choices come as names, or as a registry {name: title}: keep both."""
    if isinstance(choices, Mapping):
        return tuple(choices), {k: str(v) for k, v in choices.items()}
    return (tuple(choices) if choices is not None else None), None


def setting(default, *, lo=None, hi=None, choices=None, live=False, doc="", items=None, min_len=0, max_len=None,
            or_list=False, facts=None, kind=None):
    """A config field with its bounds (inclusive) and documentation. `choices` are names or the
    engine's registry of them ({name: title}, so a page shows the engine's words). List settings (a
    tuple default) give `items` bounds/choices and a length range; `or_list` accepts one choice or a
    list of them. `facts`: what a page needs to know about the choices (e.g. a dataset's features).
    `kind`: the value's type where the default (None) does not say it (a dict checked by the engine)."""
    choices, titles = _choices(choices)
    if items and "choices" in items:
        item_choices, item_titles = _choices(items["choices"])
        items = {**items, "choices": item_choices, "titles": item_titles}
    meta = {"lo": lo, "hi": hi, "choices": choices, "titles": titles, "live": live, "doc": doc, "items": items,
            "min_len": min_len, "max_len": max_len, "or_list": or_list, "facts": facts, "kind": kind}
    return field(default=default, metadata=meta)


def override(base, name: str, default):
    """The base class's setting `name` with another default: bounds, choices and doc stay defined once."""
    return field(default=default, metadata=base.__dataclass_fields__[name].metadata)


@dataclass(frozen=True)
class RunConfig:
    """What every model shares: the optimizer's step size, batching, randomness, play speed."""

    lr: float = setting(0.5, lo=1e-6, hi=1000.0, live=True, doc="learning rate η")
    batch_size: int = setting(1, lo=1, hi=1000, doc="samples per step (1 = one sample at a time)")
    seed: int = setting(0, lo=0, hi=2**31 - 1, doc="seeds the data, the initial weights and the batch order")
    noise: float = setting(0.1, lo=0.0, hi=1.0, doc="how noisy the generated data is")
    n_samples: int = setting(40, lo=4, hi=1000, doc="training set size")
    speed: float = setting(30.0, lo=1.0, hi=100000.0, live=True, doc="steps per second while playing")
    optimizer: str = setting("sgd", choices=OPTIMIZERS, doc="the update rule (plain SGD unless you choose another)")
    momentum: float = setting(0.9, lo=0.0, hi=0.999, doc="μ for momentum and Nesterov")
    weight_decay: float = setting(0.0, lo=0.0, hi=1.0, doc="λ: L2 through the gradient, or decoupled for AdamW")
    clip: float = setting(0.0, lo=0.0, hi=1000.0, live=True, doc="clip the gradient's global norm to this (0: off)")
    schedule: str = setting("constant", choices=SCHEDULES, live=True, facts={"reads": READS},
                            doc="how the learning rate changes with the step")
    warmup_steps: int = setting(0, lo=0, hi=100000, live=True, doc="steps of linear warmup (warmup, cosine)")
    schedule_steps: int = setting(1000, lo=1, hi=1000000, live=True,
                                  doc="cosine: steps to decay over; step: steps between halvings")

    def problems(self) -> list[str]:
        """Cross-field checks that bounds alone can't express."""
        return []

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: list settings come out as lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def replace(self, **changes) -> "RunConfig":
        merged = {**self.to_dict(), **changes}
        return type(self)(**merged)


@dataclass(frozen=True)
class NeuronConfig(RunConfig):
    features: int = setting(1, choices=(1, 2), doc="input features (1: a sigmoid curve, 2: a decision line)")
    dataset: str = setting("pass_fail", choices={k: f"{t} ({n} feature{'s' * (n > 1)})" for k, (t, n) in NEURON_SETS.items()},
                           doc="pass_fail has 1 feature; and, or, blobs have 2",
                           facts={"features": {k: n for k, (_, n) in NEURON_SETS.items()}})

    def problems(self) -> list[str]:
        need = NEURON_SETS[self.dataset][1]
        if need != self.features:
            return [f"dataset '{self.dataset}' has {need} feature{'s' if need > 1 else ''}, but features is {self.features}"]
        return []


@dataclass(frozen=True)
class LineConfig(RunConfig):
    lr: float = override(RunConfig, "lr", 0.02)
    batch_size: int = override(RunConfig, "batch_size", 4)
    n_samples: int = override(RunConfig, "n_samples", 20)
    noise: float = override(RunConfig, "noise", 0.2)
    bias: bool = setting(False, doc="learn an intercept b too (y = a·x + b)")
    dataset: str = setting("linear", choices=LINE_SETS, doc="linear: y ≈ 2x; offset: y ≈ 2x + 3")


def checked(config):
    """The config itself, or ValueError naming what its fields can't be together (its `problems()`)."""
    problems = config.problems()
    if problems:
        raise ValueError("; ".join(problems))
    return config


def field_specs(cls) -> list[dict[str, Any]]:
    """name, type, default and metadata of every setting, for schema builders."""
    out = []
    for f in fields(cls):
        default = f.default if f.default is not MISSING else None
        out.append({"name": f.name, "type": f.metadata.get("kind") or type(default), "default": default, **f.metadata})
    return out


def live_keys(cls) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls) if f.metadata.get("live"))


NETWORK_SETS = {k: PLANE_TITLES[k] for k in (*PLANE_SETS, "custom")}  # custom: a person's own points
MAX_LAYERS, MAX_WIDTH = 6, 8


@dataclass(frozen=True)
class NetworkConfig(RunConfig):
    lr: float = override(RunConfig, "lr", 0.03)
    batch_size: int = override(RunConfig, "batch_size", 10)
    n_samples: int = setting(300, lo=10, hi=2000, doc="points generated (train + test)")
    speed: float = override(RunConfig, "speed", 300.0)
    dataset: str = setting("circle", choices=NETWORK_SETS, doc="plane and bumps are regression; three has 3 classes; custom is your own points")
    test_fraction: float = setting(0.5, lo=0.1, hi=0.9, doc="share of the points held out for the test loss")
    hidden: tuple = setting((4, 2), items={"lo": 1, "hi": MAX_WIDTH}, max_len=MAX_LAYERS,
                            doc="units per hidden layer (0 to 6 layers, 1 to 8 units)")
    activation: str = setting("tanh", choices=HIDDEN, or_list=True,
                              doc="one activation for every hidden layer, or a list with one per layer")
    features: tuple = setting(("x1", "x2"), items={"choices": {k: label for k, (label, _) in FEATURES.items()}},
                              min_len=1, max_len=len(FEATURES), doc="input features fed to the network")
    init: str = setting("uniform", choices=INITS,
                        doc="how the weights start (uniform ±0.5 is TF Playground's; large is σ = 2, too large)")
    l1: float = setting(0.0, lo=0.0, hi=1.0, live=True, doc="L1 regularization rate λ₁")
    l2: float = setting(0.0, lo=0.0, hi=1.0, live=True, doc="L2 regularization rate λ₂")

    def __post_init__(self):
        # JSON brings lists; frozen configs hold tuples so they compare and hash by value
        for name in ("hidden", "features"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not isinstance(self.activation, str):
            object.__setattr__(self, "activation", tuple(self.activation))

    def hidden_activations(self) -> tuple[str, ...]:
        if isinstance(self.activation, str):
            return (self.activation,) * len(self.hidden)
        return tuple(self.activation)

    def problems(self) -> list[str]:
        out = []
        if not isinstance(self.activation, str) and len(self.activation) != len(self.hidden):
            n, m = len(self.activation), len(self.hidden)
            out.append(f"activation lists {n} name{'s' * (n != 1)} but hidden has {m} layer{'s' * (m != 1)}: "
                       "give one name, or one per hidden layer")
        if len(set(self.features)) != len(self.features):
            out.append("features lists a feature twice")
        return out
