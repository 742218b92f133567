"""What a run of a given model and config holds while it lives: parameters, the bytes it needs to train,
and the worker processes it starts — before it is built, so a server can count the rooms it holds
against one budget (server/rooms/limits.py). Estimates that err high, like `transformer/budget.py`."""
from __future__ import annotations

from dataclasses import dataclass

from .scale.small import estimate_small

MOST_CLASSES = 10  # a person's own points may label up to 10 classes (data/custom.py): a network's widest head


@dataclass(frozen=True)
class Footprint:
    params: int = 0
    bytes: int = 0  # to train: weights, gradients, optimizer state, one step's activations, in every copy
    workers: int = 0  # data-parallel worker processes it starts (0: it trains in its room's process)

    def __add__(self, other: "Footprint") -> "Footprint":
        return Footprint(self.params + other.params, self.bytes + other.bytes, self.workers + other.workers)


def footprint(model: str, config: dict) -> Footprint:
    """`config`: a full config (defaults filled in), as the server validated it."""
    if model == "transformer":
        from .transformer.budget import cost
        from .transformer.config import TransformerConfig

        c = cost(TransformerConfig(**config))
        workers = config.get("workers", 1)
        # with workers, each holds a copy (a split run holds less: this errs high) and the room keeps one
        copies, processes = (workers + 1, workers) if workers > 1 else (1, 0)
        return Footprint(c.params, c.train_bytes * copies, processes)
    if model == "mlp":
        outputs = 3 if config["dataset"] == "three" else MOST_CLASSES if config["dataset"] == "custom" else 1
        sizes = [len(config["features"]), *config["hidden"], outputs]
    elif model == "neuron":
        sizes = [config["features"], 1]
    else:  # line: y = w·x (+ b)
        sizes = [1, 1]
    est = estimate_small(model, sizes, config["batch_size"], config["optimizer"].lower())
    return Footprint(est["params"]["total"], est["memory_per_gpu"]["total"], 0)
