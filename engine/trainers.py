"""The one way to get a trainer for a model name: the NumPy Trainer, or the GPT's."""
from __future__ import annotations

from .trainer import Trainer


def make_trainer(model: str, config: dict | None = None, history_steps: int = 50, custom=None):
    if model == "transformer":
        from .transformer.trainer import GPTTrainer  # imports torch (~2 s): only when a GPT is wanted

        return GPTTrainer(config, history_steps)
    return Trainer(model, config, history_steps, custom)
