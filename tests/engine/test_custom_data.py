"""A person's own data (drawn or CSV) and hand-edited weights."""
import numpy as np
import pytest

from flowscope.engine.data.custom import DataError, from_points, parse_csv
from flowscope.engine.trainer import Trainer


def test_csv_with_header_blank_lines_and_spaces():
    rows = parse_csv("x1,x2,label\n1, 2, 0\n\n-3,4.5,1\n0,0,1\n2,-2,0\n")
    np.testing.assert_array_equal(rows, [[1, 2, 0], [-3, 4.5, 1], [0, 0, 1], [2, -2, 0]])


@pytest.mark.parametrize("text,needle", [
    ("1,2,0\n3,4\n", "line 2: expected 3 columns (x1, x2, label), found 2"),
    ("1,2,0\n3,abc,1\n", "line 2: 'abc' is not a number"),
    ("1,2,0\n3,4,nan\n1,1,1\n2,2,0\n", "line 2: numbers must be finite"),
    ("1,2,0\n30,4,1\n1,1,1\n2,2,0\n", "line 2: (30, 4) lies outside the plane"),
    ("1,2,0\n3,4,1\n", "need at least 4 points"),
    ("1,2,1\n3,4,1\n1,1,1\n2,2,1\n", "at least two classes"),
    ("", "need at least 4 points"),
])
def test_bad_csv_says_what_and_where(text, needle):
    with pytest.raises(DataError) as err:
        parse_csv(text)
    assert needle in str(err.value)


def test_labels_decide_the_task():
    t = Trainer("mlp")
    t.set_data(parse_csv("1,1,0.5\n2,2,1.5\n-1,-1,-0.2\n3,0,2.25\n0,3,0.1\n"))
    assert t.data.task == "regression" and t.model.loss_fn.name == "mse"
    t.set_data(from_points([[1, 1, 0], [2, 2, 1], [-1, -1, 2], [3, 0, 0], [0, 3, 1], [1, -2, 2]]))
    assert t.data.task == "classification" and t.data.classes == 3 and t.model.loss_fn.name == "ce"
    assert t.config.dataset == "custom" and len(t.data) + len(t.data.test_y) == 6


def test_own_points_survive_reset_and_train():
    rng = np.random.default_rng(0)
    pts = rng.uniform(-5, 5, (80, 2))
    rows = np.column_stack([pts, (pts[:, 0] > 0).astype(float)])
    t = Trainer("mlp", {"hidden": [], "lr": 0.3})
    t.set_data(rows)
    data = t.dataset_view()
    t.run(400)
    assert t.accuracy()["train"] > 0.95
    t.reset()
    assert t.dataset_view() == data and t.steps_done == 0


def test_own_data_only_for_networks():
    with pytest.raises(ValueError, match="mlp"):
        Trainer("neuron").set_data(from_points([[0, 0, 0], [1, 1, 1], [2, 2, 0], [3, 3, 1]]))
    with pytest.raises(ValueError, match="draw them"):
        Trainer("mlp", {"dataset": "custom"})


def test_set_param_edits_one_weight_and_training_goes_on():
    t = Trainer("mlp")
    t.run(3)
    version = t.version
    t.set_param("W1", (1, 2), 0.75)
    assert t.model.params["W1"][1, 2] == 0.75 and t.version == version + 1
    assert t.model.params_view()["layers"][1]["W"][1][2] == 0.75
    t.run(1)
    assert t.steps_done == 4
    for name, index, value, needle in [("W9", (0, 0), 1.0, "no parameter"), ("W1", (5, 0), 1.0, "outside"),
                                       ("b0", (0, 0), 1.0, "outside"), ("W0", (0, 0), float("inf"), "finite")]:
        with pytest.raises(ValueError, match=needle):
            t.set_param(name, index, value)


def test_set_param_mid_step_drops_the_half_shown_step():
    t = Trainer("mlp")
    for _ in range(4):
        t.next_stage()
    t.set_param("b0", (0,), 0.5)
    assert t.steps_done == 0 and t.cursor is None
    assert t.next_stage().stage == "input"
    assert t.history[-1].before["layers"][0]["b"][0] == 0.5
