"""Seeded 2D datasets on the square [−6, 6]², the kind TensorFlow Playground made famous, plus a
three-class set and two regression surfaces. Each returns (x (n, 2), y (n,)); classes are 0, 1, 2…
"""
from __future__ import annotations

import numpy as np

from .dataset import Dataset
from .features import expand, labels

SPAN = 6.0  # the plane shown is [−SPAN, SPAN]²


def circle(n, noise, rng):
    # a disc of one class inside a ring of the other
    inner = np.arange(n) % 2 == 0
    r = np.where(inner, rng.uniform(0, 2.0, n), rng.uniform(3.2, 5.0, n))
    t = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(t), r * np.sin(t)], 1) + rng.normal(0, 1, (n, 2)) * noise * 1.2
    return x, inner.astype(float)


def xor(n, noise, rng):
    x = rng.uniform(-5, 5, (n, 2))
    x += np.sign(x) * 0.4  # keep a small gap along the axes, as the classic picture has
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    return x + rng.normal(0, 1, (n, 2)) * noise * 1.2, y


def gauss(n, noise, rng):
    y = (np.arange(n) % 2).astype(float)
    centre = np.where(y[:, None] > 0, [2.0, 2.0], [-2.0, -2.0])
    return centre + rng.normal(0, 1, (n, 2)) * (0.6 + noise * 2.0), y


def spiral(n, noise, rng):
    y = (np.arange(n) % 2).astype(float)
    s = rng.uniform(0, 1, n)
    r = s * 5.0
    t = 1.75 * s * 2 * np.pi + np.pi * y  # the second arm is the first turned half a circle
    x = np.stack([r * np.sin(t), r * np.cos(t)], 1)
    return x + rng.normal(0, 1, (n, 2)) * noise * 0.8, y


def moons(n, noise, rng):
    y = (np.arange(n) % 2).astype(float)
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], 1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
    x = np.where(y[:, None] > 0, lower, upper) * 3.0 - [1.5, 0.75]
    return x + rng.normal(0, 1, (n, 2)) * noise * 0.9, y


def three(n, noise, rng):
    # three clouds on a triangle: the set that needs softmax
    y = (np.arange(n) % 3).astype(float)
    angle = y * 2 * np.pi / 3 + np.pi / 2
    centre = 3.2 * np.stack([np.cos(angle), np.sin(angle)], 1)
    return centre + rng.normal(0, 1, (n, 2)) * (0.7 + noise * 1.8), y


def plane(n, noise, rng):
    x = rng.uniform(-SPAN, SPAN, (n, 2))
    y = (x[:, 0] + x[:, 1]) / (2 * SPAN)  # in [−1, 1]
    return x, y + rng.normal(0, 1, n) * noise * 0.3


def bumps(n, noise, rng):
    # a hill and a pit: ŷ must bend in two places
    x = rng.uniform(-SPAN, SPAN, (n, 2))
    hill = np.exp(-((x - [2.5, 2.5]) ** 2).sum(1) / 8.0)
    pit = np.exp(-((x + [2.5, 2.5]) ** 2).sum(1) / 8.0)
    return x, hill - pit + rng.normal(0, 1, n) * noise * 0.3


CLASSIFICATION = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral, "moons": moons, "three": three}
REGRESSION = {"plane": plane, "bumps": bumps}
DATASETS = {**CLASSIFICATION, **REGRESSION}
TITLES = {"circle": "circle", "xor": "XOR", "gauss": "two gaussians", "spiral": "spiral", "moons": "two moons",
          "three": "three blobs (3 classes)", "plane": "plane (regression)", "bumps": "bumps (regression)",
          "custom": "your own points"}


def make_network_data(name: str, n: int, noise: float, test_fraction: float, feature_names,
                      rng: np.random.Generator, custom: np.ndarray | None = None):
    """Points on the plane, split into train and test, with the chosen input features expanded.
    `custom` rows (x₁, x₂, label) — drawn or uploaded — replace the generator (name "custom")."""
    from .custom import task_of

    if name == "custom":
        if custom is None:
            raise ValueError("dataset 'custom' is your own points: draw them on the plot or upload a CSV")
        points, y, task = custom[:, :2], custom[:, 2], task_of(custom)
        n = len(y)
    else:
        points, y = DATASETS[name](n, noise, rng)
        task = "classification" if name in CLASSIFICATION else "regression"
    order = rng.permutation(n)
    n_test = min(n - 2, max(1, int(round(n * test_fraction))))  # never an empty side
    test, train = order[:n_test], order[n_test:]
    classes = int(y.max()) + 1 if task == "classification" else 0
    return Dataset(expand(points[train], feature_names), y[train], ("x₁", "x₂"), "class" if classes else "y", task,
                   points=points[train], test_x=expand(points[test], feature_names), test_y=y[test],
                   test_points=points[test], inputs=tuple(labels(feature_names)), classes=classes)
