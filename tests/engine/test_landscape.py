"""Every landscape value equals a direct evaluation of the loss at those parameters."""
import numpy as np
import pytest

from engine.landscape import directions
from engine.trainer import Trainer


@pytest.mark.parametrize("model,config", [("neuron", {}), ("line", {"bias": True, "dataset": "offset"})])
def test_unit_landscape_is_the_loss_at_each_w_b(model, config):
    t = Trainer(model, config)
    t.run(5)
    grid = t.landscape(9)
    assert grid["axes"] == ["w", "b"] and len(grid["loss"]) == 9 and len(grid["loss"][0]) == 9
    for i, j in [(0, 0), (4, 4), (2, 7), (8, 1)]:
        probe = Trainer(model, config)
        probe.model.params["w"][0], probe.model.params["b"] = grid["x"][j], np.array(grid["y"][i])
        assert grid["loss"][i][j] == pytest.approx(probe.train_loss(), rel=1e-10)
    assert grid["loss"][4][4] == pytest.approx(t.train_loss(), rel=1e-10)  # the centre is where we are


@pytest.mark.parametrize("kind", ["random", "weights"])
def test_network_landscape_is_the_loss_along_the_two_directions(kind):
    t = Trainer("mlp", {"hidden": [3, 2], "l2": 0.01, "dataset": "three"})
    t.run(20)
    weights = [("W0", (1, 0)), ("W1", (0, 2))]
    grid = t.landscape(7, kind=kind, seed=3, weights=weights)
    d1, d2, _ = directions(t.model, kind, np.random.default_rng(3), weights)
    saved = {k: v.copy() for k, v in t.model.params.items()}
    for i, j in [(0, 0), (3, 3), (6, 2), (1, 5)]:
        a = grid["x"][j] - grid["center"][0]
        b = grid["y"][i] - grid["center"][1]
        for k in saved:
            t.model.params[k] = saved[k] + a * d1[k] + b * d2[k]
        assert grid["loss"][i][j] == pytest.approx(t.train_loss(), rel=1e-9)
    for k in saved:
        t.model.params[k] = saved[k]


def test_filter_normalized_directions_match_each_rows_norm():
    t = Trainer("mlp", {"hidden": [4]})
    d1, _, _ = directions(t.model, "random", np.random.default_rng(0))
    for k, p in t.model.params.items():
        if k.startswith("W"):
            np.testing.assert_allclose(np.linalg.norm(d1[k], axis=1), np.linalg.norm(p, axis=1), rtol=1e-10)
        else:
            assert not d1[k].any()


def test_landscape_needs_two_parameters_on_a_unit():
    with pytest.raises(ValueError, match="bias"):
        Trainer("line").landscape(5)
