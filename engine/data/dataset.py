"""A dataset as the engine and the views need it: model inputs, labels, and the raw points to plot."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray  # (n, inputs) what the model is fed (features expanded)
    y: np.ndarray  # (n,) label (class index) or target value
    features: tuple[str, ...]  # names of the plotted axes
    target: str
    task: str  # "classification" or "regression"
    points: np.ndarray | None = None  # (n, 2) raw plane coordinates when x is expanded from them
    test_x: np.ndarray | None = None
    test_y: np.ndarray | None = None
    test_points: np.ndarray | None = None
    inputs: tuple[str, ...] | None = None  # names of the columns of x, when they differ from features
    classes: int = 2  # 0 for regression

    def __len__(self) -> int:
        return len(self.y)

    def view(self) -> dict:
        """Plain JSON: what the `dataset` message carries."""
        pts = self.points if self.points is not None else self.x
        out = {"x": pts.tolist(), "y": self.y.tolist(), "features": list(self.features), "target": self.target,
               "task": self.task, "classes": self.classes, "inputs": list(self.inputs or self.features)}
        if self.test_y is not None:
            tp = self.test_points if self.test_points is not None else self.test_x
            out.update(test_x=tp.tolist(), test_y=self.test_y.tolist())
        return out
