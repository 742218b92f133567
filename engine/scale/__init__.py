"""Scale: what training a model of any size costs in parameters, memory, FLOPs, time, energy and
money — plain formulas, each with its source, and the published runs beside them. torch-free."""
from .estimate import estimate
from .hardware import GPUS
from .memory import OPTIMIZERS, PRECISIONS, RECOMPUTE
from .presets import EXTRA, LADDER, ladder
from .resolve import ScaleError, preset

__all__ = ["estimate", "preset", "ladder", "ScaleError", "LADDER", "EXTRA", "GPUS", "OPTIMIZERS", "PRECISIONS",
           "RECOMPUTE"]
