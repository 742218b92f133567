"""The training tricks, one at a time: clipping, schedules, initialization's effect per layer."""
import math

import numpy as np
import pytest

from flowscope.engine.schedule import curve, lr_at
from flowscope.engine.trainer import Trainer


def test_clipping_brings_the_norm_to_the_threshold():
    t = Trainer("line", {"clip": 1.0, "lr": 0.01})
    ev = {e.stage: e for e in (t.next_stage() for _ in range(len(t.plan)))}
    assert ev["gradients"].values.grad_b is None  # the default line has no b: only w is trained
    raw = math.hypot(*ev["gradients"].values.grad_w)
    assert raw > 1.0  # the line starts far off: a big gradient
    metrics = t.take_metrics()[-1]
    assert metrics.clipped and metrics.grad_norm == pytest.approx(raw)
    applied = (np.array(ev["weights"].values.w) - np.array(ev["update"].values.w)) / 0.01
    assert np.linalg.norm(applied) == pytest.approx(1.0, rel=1e-9)  # b is not trained: only w moves
    assert ev["update"].formula.startswith("gradient clipped: ‖g‖ = ")


def test_no_clipping_below_the_threshold_or_when_off():
    for clip in (0.0, 1e6):
        t = Trainer("line", {"clip": clip})
        t.run(1)
        assert not t.take_metrics()[-1].clipped


def test_clipped_update_equals_sgd_on_the_rescaled_gradient():
    t = Trainer("mlp", {"clip": 0.05, "lr": 0.5, "hidden": [3]})
    before = {k: v.copy() for k, v in t.model.params.items()}
    rec = t.model.compute(*_first_batch(t))
    t.run(1)
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in rec.grads.values()))
    for k in before:
        np.testing.assert_allclose(t.model.params[k], before[k] - 0.5 * rec.grads[k] * 0.05 / norm, rtol=1e-10)


def _first_batch(t):
    order = t.sampler.order[:t.sampler.batch_size]
    return t.data.x[order], t.data.y[order]


def test_schedules():
    assert [lr_at(s, 1.0, "warmup", warmup=4) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert lr_at(0, 1.0, "cosine", 0, 100) == pytest.approx(1.0)
    assert lr_at(50, 1.0, "cosine", 0, 100) == pytest.approx(0.55)  # halfway: between η and η/10
    assert lr_at(100, 1.0, "cosine", 0, 100) == pytest.approx(0.1) == lr_at(500, 1.0, "cosine", 0, 100)
    assert [lr_at(s, 1.0, "step", horizon=10) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    plot = curve(0.3, "cosine", 10, 100)
    assert plot["lr"][0] == pytest.approx(0.03) and max(plot["lr"]) == pytest.approx(0.3, rel=1e-3)


def test_a_step_uses_the_scheduled_rate():
    t = Trainer("line", {"schedule": "warmup", "warmup_steps": 4, "lr": 0.02})
    t.run(2)
    assert [m.lr for m in t.take_metrics()] == [0.005, 0.01]
    assert t.snapshot().lr == 0.015 and t.snapshot().schedule["lr"][-1] == 0.02


@pytest.mark.parametrize("init,expect", [("zeros", "dead"), ("he", "alive")])
def test_layer_stats_show_what_init_does(init, expect):
    t = Trainer("mlp", {"hidden": [8, 8, 8], "activation": "relu", "init": init})
    t.run(1)
    stats = t.snapshot().layers
    assert len(stats) == 4
    hidden_std = [s["activation_std"] for s in stats[:-1]]
    if expect == "dead":  # all-zero weights: every activation is 0 and no hidden gradient flows
        assert max(hidden_std) == 0.0 and stats[0]["grad_norm"] == 0.0
    else:
        assert min(hidden_std) > 0.1


def test_racers_share_init_data_and_batches():
    """Race mode runs one session per optimizer with the same config: the seed alone fixes the data,
    the initial weights and the batch order, so only the update rule differs."""
    racers = [Trainer("mlp", {"dataset": "spiral", "hidden": [4, 4], "optimizer": name, "seed": 7})
              for name in ("sgd", "momentum", "rmsprop", "adam")]
    first = racers[0]
    for other in racers[1:]:
        assert other.dataset_view() == first.dataset_view()
        assert other.model.params_view() == first.model.params_view()
    batches = [[tuple(t.sampler.next()) for _ in range(20)] for t in racers]
    assert all(b == batches[0] for b in batches)
    for t in racers:
        t.run(50)
    finals = {tuple(np.ravel(t.model.params["W0"]).round(12)) for t in racers}
    assert len(finals) == 4  # and then each rule went its own way


def test_too_large_init_explodes_the_activations_layer_by_layer():
    """σ = 2 whatever the fan-in: with linear layers every layer multiplies the signal's spread
    (about 2·√8 ≈ 5.7 for 8 units), so it grows by orders of magnitude through the net."""
    t = Trainer("mlp", {"hidden": [8, 8, 8, 8], "activation": "linear", "init": "large"})
    t.run(1)
    spreads = [s["activation_std"] for s in t.snapshot().layers[:-1]]
    assert all(b > 3 * a for a, b in zip(spreads, spreads[1:])) and spreads[-1] > 100
