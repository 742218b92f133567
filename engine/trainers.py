"""The one way to get a trainer for a model name: the NumPy Trainer, the GPT's, or the data-parallel GPT's."""
from __future__ import annotations

from .trainer import Trainer


def make_trainer(model: str, config: dict | None = None, history_steps: int = 50, custom=None,
                 budget: tuple[float | None, float | None] = (None, None)):
    """`budget`: the most memory (bytes) and work per command (FLOPs) a model may cost (the GPT's)."""
    if model == "transformer":
        workers = getattr(config, "workers", None) or (config or {}).get("workers", 1)
        if workers > 1:  # several processes under torch.distributed (engine/distributed)
            from .distributed.trainer import DistributedTrainer

            return DistributedTrainer(config, history_steps, budget)
        from .transformer.trainer import GPTTrainer  # imports torch (~2 s): only when a GPT is wanted

        return GPTTrainer(config, history_steps, budget)
    return Trainer(model, config, history_steps, custom)


def check_budget(model: str, config: dict, budget: tuple[float | None, float | None]) -> None:
    """ValueError, with the figures, when one model's config is past the per-model `budget` (memory to
    train it, work per command: the GPT's) — torch-free, before anything is built, and before the
    server counts it against its own total (a model too big for any room is said as such)."""
    if model != "transformer" or not any(b is not None for b in budget):
        return
    from .transformer.budget import enforce
    from .transformer.config import TransformerConfig

    enforce(TransformerConfig(**config), budget)
