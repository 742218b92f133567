"""RunExport: one shape for everything a run needs to go on exactly where it was, for every trainer
(the NumPy Trainer and the transformer's GPTTrainer): saving, loading and forking all use it.

`pack()` turns it into the columns a store keeps (bytes and JSON text); `unpack()` reads them back.
The weights stay a plain torch state_dict (engine/checkpoint.py), so a saved run also loads in PyTorch.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class RunExport:
    model: str  # the wire's model name: "neuron", "line", "mlp" or "transformer"
    config: dict[str, Any]  # the config's to_dict(); the transformer's holds its `text`
    steps: int  # updates taken
    params: dict[str, np.ndarray]  # name → array, as the model names them (W0, b0 … or torch's names)
    # the update rule's memory (velocities, Adam's m and v, its step count): nested dicts and lists of
    # arrays and numbers. NumPy engine: {"t", "state": {param: {"m": …}}}; transformer: torch's
    # optimizer.state_dict() with its tensors as arrays
    optimizer: dict[str, Any]
    # whatever else going on exactly needs, JSON-able: the batch order (sampler position and random
    # state, or the torch generator's state), the transformer's schedule
    progress: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict] = field(default_factory=list)  # the recent steps' numbers (JSON-able)
    custom: list[list[float]] | None = None  # a person's own points (x₁, x₂, label), when trained on them
    phase: str | None = None  # the transformer's phase: "pretrain" or "finetune"

    def pack(self) -> "PackedRun":
        from .checkpoint import to_state_dict_bytes, tree_to_bytes

        return PackedRun(model=self.model, steps=int(self.steps), config=json.dumps(self.config),
                         custom=json.dumps(self.custom), metrics=json.dumps(self.metrics),
                         weights=to_state_dict_bytes(self.params),
                         state=tree_to_bytes({"optimizer": self.optimizer, "progress": json.dumps(self.progress),
                                              "phase": self.phase}))


@dataclass
class PackedRun:
    """A RunExport as stored: JSON text and bytes (what server/store.py writes into a row)."""

    model: str
    steps: int
    config: str  # JSON
    custom: str  # JSON (null when none)
    metrics: str  # JSON
    weights: bytes  # torch.save of the state_dict (float64 for the NumPy engine, the model's dtype for torch)
    state: bytes | None  # torch.save of {"optimizer", "progress" (JSON text), "phase"}; None in runs saved before it

    def unpack(self) -> RunExport:
        from .checkpoint import from_state_dict_bytes, tree_from_bytes

        state = tree_from_bytes(self.state) if self.state else {}
        return RunExport(model=self.model, config=json.loads(self.config), steps=int(self.steps),
                         params=from_state_dict_bytes(self.weights, keep_dtype=True),
                         optimizer=state.get("optimizer") or {}, progress=json.loads(state.get("progress") or "{}"),
                         metrics=json.loads(self.metrics), custom=json.loads(self.custom), phase=state.get("phase"))
