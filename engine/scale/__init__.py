"""Scale: what training a model of any size costs in parameters, memory, FLOPs, time, energy and
money — plain formulas, each with its source, and the published runs beside them. torch-free."""
from .advice import MAX_GPUS
from .compute import ATTENTION_FLOPS
from .estimate import estimate
from .hardware import GPUS
from .memory import OPTIMIZERS, PRECISIONS, RECOMPUTE, ZERO_STAGES
from .params import MLPS, NORMS, POSITIONS
from .presets import EXTRA, LADDER, ladder
from .resolve import ScaleError, preset

__all__ = ["estimate", "preset", "ladder", "ScaleError", "LADDER", "EXTRA", "GPUS", "OPTIMIZERS", "PRECISIONS",
           "RECOMPUTE", "ZERO_STAGES", "MLPS", "NORMS", "POSITIONS", "ATTENTION_FLOPS", "MAX_GPUS", "choices"]


def choices() -> dict:
    """Every choice the calculator takes, {setting: {name: words}}, for a page's menus."""
    return {"precision": PRECISIONS, "optimizer": OPTIMIZERS, "recompute": RECOMPUTE, "zero": ZERO_STAGES,
            "gpu": {k: g["name"] for k, g in GPUS.items()}, "mlp": MLPS, "norm": NORMS,
            "attention_flops": {"full": "QKᵀ + A·V, full s×s", "causal": "causal: halved"},
            "utilization": {"mfu": "MFU (model FLOPs)", "hfu": "HFU (recomputation counted)"}}
