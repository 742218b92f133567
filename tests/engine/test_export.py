"""RunExport (engine/export.py): one shape for every trainer. Packed into bytes and JSON and back, a
restored run has the same weights and goes on exactly: the same next losses (optimizer memory and
batch order restored), for every NumPy model and the transformer."""
import numpy as np
import pytest

from flowscope.engine.checkpoint import tree_from_bytes, tree_to_bytes
from flowscope.engine.export import PackedRun, RunExport
from flowscope.engine.trainers import make_trainer

from .transformer.conftest import TINY, small_text  # noqa: F401 (a fixture)

NUMPY_RUNS = [
    ("neuron", {"optimizer": "adam", "lr": 0.05}),
    ("line", {"optimizer": "nesterov", "batch_size": 3}),
    ("line", {"bias": False, "optimizer": "rmsprop"}),
    ("mlp", {"hidden": [4, 3], "optimizer": "adamw", "weight_decay": 0.01, "batch_size": 8, "clip": 0.5}),
]


def round_trip(saved: RunExport) -> RunExport:
    packed = saved.pack()
    assert isinstance(packed.weights, bytes) and isinstance(packed.state, bytes)
    return PackedRun(**vars(packed)).unpack()


def losses(trainer, n):
    trainer.take_metrics()
    trainer.run(n)
    return [m.loss for m in trainer.take_metrics()]


@pytest.mark.parametrize("model,config", NUMPY_RUNS)
def test_a_restored_numpy_run_goes_on_exactly(model, config):
    t = make_trainer(model, config)
    t.run(7)
    back = round_trip(t.export())
    u = make_trainer(back.model, back.config, custom=back.custom)
    u.restore(back)
    assert u.steps_done == 7
    for k, v in t.model.params.items():
        np.testing.assert_array_equal(u.model.params[k], v)
    assert losses(u, 5) == losses(t, 5)  # bit for bit: the same moments, the same batches


def test_own_points_travel_with_the_run():
    rows = np.array([[0.1, 0.2, 0], [0.5, -0.3, 1], [-0.4, 0.8, 1], [0.9, 0.9, 0]], dtype=float)
    t = make_trainer("mlp", {"hidden": [3]})
    t.set_data(rows)
    t.run(3)
    back = round_trip(t.export())
    assert back.custom == rows.tolist() and back.config["dataset"] == "custom"
    u = make_trainer("mlp", back.config, custom=back.custom)
    u.restore(back)
    assert losses(u, 2) == losses(t, 2)


def test_without_the_old_state_only_the_weights_come_back():
    """A run saved before optimizer state was kept (state column NULL) still loads: weights and step."""
    t = make_trainer("neuron", {"optimizer": "momentum"})
    t.run(4)
    packed = t.export().pack()
    packed.state = None
    back = packed.unpack()
    assert back.optimizer == {} and back.progress == {}
    u = make_trainer("neuron", back.config)
    u.restore(back)
    assert u.steps_done == 4 and u.model.params_view() == t.model.params_view()


def test_a_mismatched_run_is_refused():
    saved = make_trainer("neuron", {"optimizer": "adam"}).export()
    with pytest.raises(ValueError, match="adam"):
        make_trainer("neuron", {"optimizer": "sgd"}).restore(saved)
    with pytest.raises(ValueError, match="does not fit"):
        make_trainer("mlp").restore(saved)


def test_tree_bytes_keep_shapes_dtypes_and_plain_values():
    tree = {"t": 3, "name": "adam", "none": None, "scalar": np.array(2.5), "f32": np.ones((2, 3), np.float32),
            "nested": {1: [np.arange(3.0), 0.5, True]}, "tuple": (0.9, 0.99), "np_scalars": [np.float64(1.5), np.bool_(True)]}
    back = tree_from_bytes(tree_to_bytes(tree))
    assert back["t"] == 3 and back["name"] == "adam" and back["none"] is None and back["tuple"] == [0.9, 0.99]
    assert back["scalar"].shape == () and back["scalar"] == 2.5
    assert back["f32"].dtype == np.float32 and back["f32"].shape == (2, 3)
    assert back["nested"][1][0].tolist() == [0.0, 1.0, 2.0] and back["nested"][1][1:] == [0.5, True]
    assert back["np_scalars"] == [1.5, True] and type(back["np_scalars"][1]) is bool


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "sgd"])
def test_a_restored_transformer_goes_on_exactly(small_text, optimizer):
    cfg = {**TINY, "text": small_text, "optimizer": optimizer}
    t = make_trainer("transformer", cfg)
    t.run(6)
    back = round_trip(t.export())
    assert back.model == "transformer" and back.phase == "pretrain" and back.config["text"] == small_text
    assert back.params["lm_head.weight"].dtype == np.float32
    u = make_trainer("transformer", back.config)
    u.restore(back)
    assert u.steps_done == 6 and u.gpt.lr_at() == t.gpt.lr_at()
    for (n, p), (_, q) in zip(t.gpt.model.named_parameters(), u.gpt.model.named_parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy()), n
    assert losses(u, 3) == losses(t, 3)


def test_a_restored_transformer_keeps_its_phase_and_schedule(small_text):
    t = make_trainer("transformer", {**TINY, "text": small_text})
    t.run(3)
    t.switch_phase("finetune")
    t.run(2)
    back = round_trip(t.export())
    u = make_trainer("transformer", back.config)
    u.restore(back)
    assert u.gpt.phase == "finetune" and u.gpt.schedule == t.gpt.schedule and len(u.gpt.switches) == 1
    assert losses(u, 2) == losses(t, 2)
