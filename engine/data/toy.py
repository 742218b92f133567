"""Small seeded datasets for one neuron and for y = a·x.

Every generator takes a numpy Generator, so the same seed always gives the same points.
"""
from __future__ import annotations

import numpy as np

from .dataset import Dataset


def pass_fail(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    # hours studied → passed; noise blurs the 2-hour threshold so a few students surprise us
    hours = np.sort(rng.uniform(0.0, 4.0, n))
    luck = rng.normal(0.0, 1.0, n) * noise * 1.6
    passed = (hours + luck > 2.0).astype(float)
    return Dataset(hours[:, None], passed, ("hours studied",), "passed", "classification")


def _corners(n: int, noise: float, rng: np.random.Generator, rule) -> np.ndarray:
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    pick = np.arange(n) % 4  # every corner equally often, even for tiny n
    rng.shuffle(pick)
    x = corners[pick] + rng.normal(0.0, 1.0, (n, 2)) * noise * 0.3
    y = rule(corners[pick, 0], corners[pick, 1]).astype(float)
    return x, y


def logic_and(n, noise, rng):
    x, y = _corners(n, noise, rng, lambda a, b: (a > 0) & (b > 0))
    return Dataset(x, y, ("x₁", "x₂"), "x₁ AND x₂", "classification")


def logic_or(n, noise, rng):
    x, y = _corners(n, noise, rng, lambda a, b: (a > 0) | (b > 0))
    return Dataset(x, y, ("x₁", "x₂"), "x₁ OR x₂", "classification")


def blobs(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    # two round clouds whose spread grows with noise; at noise ≤ 0.5 a line separates them
    y = (np.arange(n) % 2).astype(float)
    rng.shuffle(y)
    centres = np.where(y[:, None] > 0, [1.0, 1.0], [-1.0, -1.0])
    x = centres + rng.normal(0.0, 1.0, (n, 2)) * (0.2 + noise * 0.6)
    return Dataset(x, y, ("x₁", "x₂"), "class", "classification")


def line(n: int, noise: float, rng: np.random.Generator, offset: float = 0.0) -> Dataset:
    # y = 2x (+ offset) measured with noise: the slope 2 is what gradient descent should find
    x = np.sort(rng.uniform(0.0, 5.0, n))
    y = 2.0 * x + offset + rng.normal(0.0, 1.0, n) * noise * 2.0
    return Dataset(x[:, None], y, ("x",), "y", "regression", classes=0)


# name → (how a page says it, number of input features); the neuron's sets, then the line's
NEURON_SETS = {"pass_fail": ("pass / fail", 1), "and": ("AND", 2), "or": ("OR", 2), "blobs": ("two blobs", 2)}
LINE_SETS = {"linear": "y = a·x", "offset": "y = a·x + b"}

GENERATORS = {
    "pass_fail": pass_fail,
    "and": logic_and,
    "or": logic_or,
    "blobs": blobs,
    "linear": line,
    "offset": lambda n, noise, rng: line(n, noise, rng, offset=3.0),
}


def make(name: str, n: int, noise: float, rng: np.random.Generator) -> Dataset:
    return GENERATORS[name](n, noise, rng)
