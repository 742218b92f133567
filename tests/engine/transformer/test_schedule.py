"""Warmup then cosine: the learning rate a run uses, and what lr_at shows for plotting."""
import math

import pytest

from flowscope.engine.transformer.schedule import Schedule


def test_warmup_is_linear_from_the_first_step():
    s = Schedule(max_lr=1.0, min_lr=0.1, warmup=10, total=110)
    assert [s.lr_at(i) for i in range(10)] == pytest.approx([(i + 1) / 10 for i in range(10)])


def test_cosine_goes_from_max_to_min_and_stays_there():
    s = Schedule(max_lr=1.0, min_lr=0.1, warmup=10, total=110)
    assert s.lr_at(10) == pytest.approx(1.0)
    assert s.lr_at(60) == pytest.approx(0.55)  # halfway down the cosine: the mean of max and min
    assert s.lr_at(35) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi / 4)))
    assert s.lr_at(110) == s.lr_at(10_000) == 0.1
    decay = [s.lr_at(i) for i in range(10, 111)]
    assert all(a >= b for a, b in zip(decay, decay[1:]))


def test_a_later_phase_starts_its_own_schedule():
    s = Schedule(1.0, 0.0, warmup=4, total=20, start=100)
    assert s.lr_at(100) == pytest.approx(0.25) and s.lr_at(103) == pytest.approx(1.0)
    curve = s.curve(points=10)
    assert curve[0] == (100, s.lr_at(100)) and curve[-1][0] <= 100 + 20 + 2
