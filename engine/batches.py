"""Seeded mini-batches: shuffle, take batch_size at a time, reshuffle after each pass."""
from __future__ import annotations

import math

import numpy as np


class BatchSampler:
    def __init__(self, n: int, batch_size: int, rng: np.random.Generator):
        self.n, self.batch_size, self.rng = n, min(batch_size, n), rng
        self.order = rng.permutation(n)
        self.pos = 0
        self.seen = 0  # samples handed out since the start: seen / n passes over the set (epochs)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def next(self, size: int | None = None) -> np.ndarray:
        """Indices of the next batch (or of the next `size` samples); the last one of a pass may be
        smaller (nothing is skipped)."""
        if self.pos >= self.n:
            self.order, self.pos = self.rng.permutation(self.n), 0
        idx = self.order[self.pos:self.pos + (size or self.batch_size)]
        self.pos += len(idx)
        self.seen += len(idx)
        return idx

    @property
    def epochs(self) -> float:
        """Passes over the training set so far, a fraction while one is under way."""
        return self.seen / self.n
