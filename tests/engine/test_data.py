"""Datasets are seeded, shaped and labelled as documented."""
import numpy as np
import pytest

from flowscope.engine.data.toy import GENERATORS, make


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_data_other_seed_other_data(name):
    a = make(name, 30, 0.2, np.random.default_rng(1))
    b = make(name, 30, 0.2, np.random.default_rng(1))
    c = make(name, 30, 0.2, np.random.default_rng(2))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert a.x.shape == (30, len(a.features)) and a.y.shape == (30,)


@pytest.mark.parametrize("name,rule", [("and", np.logical_and), ("or", np.logical_or)])
def test_logic_sets_follow_their_truth_table_without_noise(name, rule):
    d = make(name, 40, 0.0, np.random.default_rng(0))
    assert set(map(tuple, d.x)) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}
    assert np.array_equal(d.y, rule(d.x[:, 0] > 0, d.x[:, 1] > 0).astype(float))


def test_pass_fail_without_noise_passes_exactly_above_two_hours():
    d = make("pass_fail", 50, 0.0, np.random.default_rng(0))
    assert np.array_equal(d.y, (d.x[:, 0] > 2.0).astype(float))
    assert d.task == "classification" and set(d.y) == {0.0, 1.0}


def test_line_without_noise_is_exactly_two_x():
    d = make("linear", 10, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(d.y, 2 * d.x[:, 0])
    assert d.task == "regression"
