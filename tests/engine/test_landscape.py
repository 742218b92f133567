"""Every landscape value equals a direct evaluation of the loss at those parameters."""
import numpy as np
import pytest

from flowscope.engine.landscape import directions
from flowscope.engine.trainer import Trainer


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


def test_a_start_landscape_holds_the_start_and_the_lowest_point():
    """The neuron's pass/fail valley is long and narrow: the grid must reach from the seed's weights
    to the minimum, which full-batch training really finds."""
    t = Trainer("neuron", {"batch_size": 40, "optimizer": "adam", "lr": 0.3})
    grid = t.landscape(41, at="start")
    assert grid["start"] == [t.start_params["w"][0], float(t.start_params["b"])]
    x0, y0, low = grid["minimum"]
    assert grid["x"][0] < min(grid["start"][0], x0) and max(grid["start"][0], x0) < grid["x"][-1]
    assert grid["y"][0] < min(grid["start"][1], y0) and max(grid["start"][1], y0) < grid["y"][-1]
    t.run(2000)
    w, b = t.snapshot().landscape_at
    cell = (grid["x"][1] - grid["x"][0], grid["y"][1] - grid["y"][0])
    assert abs(w - x0) < 2 * cell[0] and abs(b - y0) < 2 * cell[1]  # training ends where the grid is lowest
    assert t.train_loss() == pytest.approx(low, abs=2e-3)


def test_each_step_reports_its_place_in_the_landscape():
    t = Trainer("line", {"bias": True, "dataset": "offset"})
    t.run(2)
    assert t.take_metrics()[-1].position is None  # no landscape asked: nothing to place
    t.landscape(5)
    t.run(3)
    positions = [m.position for m in t.take_metrics()]
    view = t.model.params_view()
    assert positions[-1] == [view["w"][0], view["b"]] == t.snapshot().landscape_at
    assert len({tuple(p) for p in positions}) == 3


def test_random_plane_positions_recover_points_in_the_plane():
    t = Trainer("mlp", {"hidden": [4, 2]})
    grid = t.landscape(5, at="start", seed=2)
    d1, d2, _ = directions(t.model, "random", np.random.default_rng(2))
    assert grid["start"] == pytest.approx([0.0, 0.0], abs=1e-12)
    for k, p in t.model.params.items():  # move to a known point of the plane: α = 0.3, β = −0.7
        p[...] = t.start_params[k] + 0.3 * d1[k] - 0.7 * d2[k]
    assert t.snapshot().landscape_at == pytest.approx([0.3, -0.7], rel=1e-9)


def test_racers_with_one_seed_get_one_landscape_and_it_is_cached():
    a, b = (Trainer("mlp", {"hidden": [3], "optimizer": o, "seed": 4}) for o in ("sgd", "adam"))
    b.run(10)  # the start landscape doesn't depend on where a racer is now
    ga, gb = a.landscape(9, at="start"), b.landscape(9, at="start")
    assert ga["loss"] == gb["loss"] and ga["axes"] == gb["axes"]
    assert b.landscape(9, at="start")["loss"] is gb["loss"]  # asked again: the cached grid


def test_two_axes_must_be_two_weights():
    with pytest.raises(ValueError, match="two different weights"):
        Trainer("mlp").landscape(5, kind="weights", weights=[("W0", (0, 0)), ("W0", (0, 0))])


def test_a_network_grid_in_slices_is_the_grid_at_once_and_the_run_may_step_between(monkeypatch):
    """A viewer's landscape is computed a slice of points at a time (runner.owner_turn steps the room
    between slices): the slices give the one-pass grid exactly, and steps taken between them don't
    change the picture, which is of the weights as they were when it was asked for."""
    import flowscope.engine.landscape as landscape

    t = Trainer("mlp", {"hidden": [4, 3], "dataset": "three", "seed": 5})
    t.run(10)
    whole = t.landscape(9, kind="random", seed=1, adopt=False)
    t.grids = {}
    monkeypatch.setattr(landscape, "GRID_CHUNK", len(t.data.x) * 4 * 5)  # 5 points a slice: 17 slices
    slices = []
    sliced = t.landscape(9, kind="random", seed=1, adopt=False, between=lambda: slices.append(t.run(1)))
    assert len(slices) == 16 and t.steps_done == 26
    assert np.array_equal(np.array(sliced["loss"]), np.array(whole["loss"]))
