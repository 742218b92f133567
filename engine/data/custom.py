"""A person's own points: drawn on the plot or uploaded as CSV (two features and a label).

Parsing says exactly what is wrong and where, so a bad file gets a useful answer, never a crash.
"""
from __future__ import annotations

import csv
import io
import math

import numpy as np

from .plane import SPAN

MAX_POINTS = 5000


class DataError(ValueError):
    """Bad user data; the message names the line and the problem."""


def parse_csv(text: str) -> np.ndarray:
    """CSV text → (n, 3) rows of x₁, x₂, label. A header line is allowed; blank lines are skipped.
    Labels that are all whole numbers 0…9 make a classification set, anything else a regression set."""
    rows = []
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != 3:
            raise DataError(f"line {lineno}: expected 3 columns (x1, x2, label), found {len(cells)}")
        try:
            values = [float(c) for c in cells]
        except ValueError:
            if not rows and lineno == 1:
                continue  # a header line
            bad = next(c for c in cells if not _is_float(c))
            raise DataError(f"line {lineno}: '{bad}' is not a number") from None
        rows.append(_check_row(values, f"line {lineno}"))
        if len(rows) > MAX_POINTS:
            raise DataError(f"too many points: the limit is {MAX_POINTS}")
    return _finish(rows)


def from_points(points) -> np.ndarray:
    """[[x₁, x₂, label], …] from the page (drawn points) → (n, 3), with the same checks as a CSV."""
    if len(points) > MAX_POINTS:
        raise DataError(f"too many points: the limit is {MAX_POINTS}")
    return _finish([_check_row([float(v) for v in p], f"point {i + 1}") for i, p in enumerate(points)])


def task_of(rows: np.ndarray) -> str:
    labels = rows[:, 2]
    whole = np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() <= 9
    return "classification" if whole else "regression"


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _check_row(values: list[float], where: str) -> list[float]:
    if len(values) != 3:
        raise DataError(f"{where}: expected x1, x2 and a label, found {len(values)} numbers")
    if not all(math.isfinite(v) for v in values):
        raise DataError(f"{where}: numbers must be finite")
    x1, x2, label = values
    if max(abs(x1), abs(x2)) > SPAN:
        raise DataError(f"{where}: ({x1:g}, {x2:g}) lies outside the plane [−{SPAN:g}, {SPAN:g}]²")
    return values


def _finish(rows: list[list[float]]) -> np.ndarray:
    if len(rows) < 4:
        raise DataError(f"need at least 4 points to train and test on, found {len(rows)}")
    data = np.array(rows)
    if task_of(data) == "classification" and len(np.unique(data[:, 2])) < 2:
        raise DataError("all points have the same label: a classifier needs at least two classes")
    return data
