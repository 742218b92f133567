"""Trainer: stage stepping hands out one real step, history replays it, seeds reproduce it."""
import math
import re

import numpy as np
import pytest

from flowscope.engine.flow import COMM_STAGES, STAGES, Divergence
from flowscope.engine.numfmt import num
from flowscope.engine.trainer import Trainer


def walk(t: Trainer, n: int):
    return [t.next_stage() for _ in range(n)]


def test_neuron_step_has_the_seven_stages_in_order():
    t = Trainer("neuron")
    events = walk(t, 7)
    assert [e.stage for e in events] == [s for s in STAGES if s not in COMM_STAGES]  # collectives: runs split over workers only
    assert [e.direction for e in events] == ["forward"] * 5 + ["backward"] * 2
    assert {e.step for e in events} == {0}
    assert t.next_stage().step == 1 and t.steps_done == 1


def test_line_has_no_activation_stage():
    t = Trainer("line")
    assert [e.stage for e in walk(t, 6)] == [s for s in STAGES if s != "activation" and s not in COMM_STAGES]


@pytest.mark.parametrize("model,config", [("neuron", {}), ("neuron", {"dataset": "blobs", "features": 2, "batch_size": 5}),
                                          ("line", {}), ("line", {"bias": True, "dataset": "offset"})])
def test_every_number_recomputes_from_the_numbers_before_it(model, config):
    t = Trainer(model, config)
    for _ in range(3):  # several steps: the update of one is the weights of the next
        ev = {e.stage: e.values.as_json() for e in walk(t, len(t.plan))}  # the numbers a client gets
        x, y = np.array(ev["input"]["x"]), np.array(ev["input"]["y"])
        has_bias = model == "neuron" or config.get("bias")
        assert ("b" in ev["weights"]) == ("b" in ev["update"]) == ("grad_b" in ev["gradients"]) == bool(has_bias)
        w, b = np.array(ev["weights"]["w"]), ev["weights"].get("b", 0.0)  # no b: the line through 0
        z = x @ w + b
        np.testing.assert_allclose(ev["linear"]["z"], z, rtol=1e-12)
        if model == "neuron":
            a = 1 / (1 + np.exp(-z))
            np.testing.assert_allclose(ev["activation"]["a"], a, rtol=1e-12)
            loss = np.mean(-(y * np.log(a) + (1 - y) * np.log(1 - a)))
            dz = (a - y) / len(y)
        else:
            loss, dz = np.mean((z - y) ** 2), 2 * (z - y) / len(y)
        assert ev["loss"]["loss"] == pytest.approx(loss, rel=1e-10)
        np.testing.assert_allclose(ev["gradients"]["dz"], dz, rtol=1e-10)
        np.testing.assert_allclose(ev["gradients"]["grad_w"], dz @ x, rtol=1e-10)
        lr = ev["update"]["lr"]
        np.testing.assert_allclose(ev["update"]["w"], w - lr * np.array(ev["gradients"]["grad_w"]), rtol=1e-12)
        if has_bias:
            assert ev["gradients"]["grad_b"] == pytest.approx(dz.sum(), rel=1e-10, abs=1e-15)
            assert ev["update"]["b"] == pytest.approx(b - lr * ev["gradients"]["grad_b"], rel=1e-12, abs=1e-15)


def test_formulas_show_the_numbers_of_the_first_sample():
    t = Trainer("neuron")
    ev = {e.stage: e for e in walk(t, 7)}
    w, b, x = ev["weights"].values.w[0], ev["weights"].values.b, ev["input"].values.x[0][0]
    assert ev["linear"].formula == f"z = w·x + b = {num(w)}·{num(x)} + {num(b)} = {num(ev['linear'].values.z[0])}"
    assert ev["activation"].formula.endswith(num(ev["activation"].values.a[0]))
    assert num(ev["update"].values.w[0]) in ev["update"].formula


def test_stepping_by_stage_equals_whole_steps_from_the_same_seed():
    staged, whole = Trainer("neuron", {"batch_size": 3}), Trainer("neuron", {"batch_size": 3})
    walk(staged, 7 * 5)
    whole.run(5)
    assert staged.model.params_view() == whole.model.params_view()
    assert staged.steps_done == whole.steps_done == 5


def test_the_update_is_applied_when_its_stage_is_reached_with_the_lr_then_in_force():
    t = Trainer("neuron")
    before = t.model.params_view()
    walk(t, 6)  # up to gradients: nothing has moved yet
    assert t.model.params_view() == before and t.steps_done == 0
    t.configure({"lr": 0.125})
    update = t.next_stage()
    assert update.values.lr == 0.125 and t.steps_done == 1
    assert update.values.w == t.model.params_view()["w"]


def test_back_and_forward_replay_the_same_events():
    t = Trainer("neuron")
    first = walk(t, 10)  # a whole step and three stages of the next
    backs = [t.back() for _ in range(9)]
    assert [e.stage for e in backs] == [e.stage for e in reversed(first[:-1])]
    assert all(e.replay for e in backs)
    assert t.back() .stage == "input"  # the oldest kept stage: it stays there
    again = walk(t, 9)
    assert [(e.step, e.stage, e.values) for e in again] == [(e.step, e.stage, e.values) for e in first[1:]]
    assert all(e.replay for e in again) and t.live
    fresh = t.next_stage()
    assert not fresh.replay and fresh.stage == "activation" and fresh.step == 1


def test_back_reaches_into_whole_steps_and_rebuilds_their_stages():
    t = Trainer("line")
    t.run(3)
    ev = t.back()
    assert (ev.step, ev.stage) == (2, "gradients")
    assert t.back(5).stage == "update" and t.cursor_view()["step"] == 1


def test_history_is_bounded():
    t = Trainer("neuron", history_steps=4)
    t.run(20)
    ev = t.back(1000)
    assert ev.step == 16 and ev.stage == "input"


def test_run_finishes_the_step_in_hand_first():
    t = Trainer("neuron")
    walk(t, 3)
    assert t.run(1) == 1 and t.steps_done == 1
    assert t.cursor_view() == {"step": 0, "index": 6, "stage": "update", "live": True}


def test_a_long_run_evaluates_the_whole_set_at_its_last_step():
    t = Trainer("neuron")
    t.run(10)
    metrics = t.take_metrics()
    assert [m.step for m in metrics] == list(range(1, 11))
    assert all(m.train_loss is None for m in metrics[:-1])
    assert metrics[-1].train_loss == pytest.approx(t.train_loss())


def test_stepping_by_sample_updates_from_one_sample_at_a_time():
    t = Trainer("line", {"batch_size": 4})
    t.run(3, batch=1)
    assert t.steps_done == 3
    assert all(len(tr.record.y) == 1 for tr in t.history)
    t.run(1)
    assert len(t.history[-1].record.y) == 4


def test_epoch_is_a_pass_over_the_data():
    t = Trainer("neuron", {"n_samples": 10, "batch_size": 4})
    t.run_epochs(2)
    assert t.steps_done == 2 * math.ceil(10 / 4)


def test_reset_returns_to_the_same_seeded_start():
    t = Trainer("neuron", {"dataset": "and", "features": 2, "seed": 5})
    start, data = t.model.params_view(), t.dataset_view()
    first = [e.values for e in walk(t, 7)]
    t.run(30)
    t.reset()
    assert t.model.params_view() == start and t.dataset_view() == data and t.steps_done == 0
    assert [e.values for e in walk(t, 7)] == first
    other = Trainer("neuron", {"dataset": "and", "features": 2, "seed": 6})
    assert other.model.params_view() != start


def test_configure_rebuilds_for_anything_but_live_settings():
    t = Trainer("line")
    t.run(5)
    assert t.configure({"lr": 0.01}) is False and t.steps_done == 5
    assert t.configure({"speed": 200}) is False
    assert t.configure({"seed": 9}) is True and t.steps_done == 0
    with pytest.raises(ValueError):
        Trainer("neuron").configure({"features": 2})  # pass_fail has one feature


def test_neuron_learns_and_and():
    t = Trainer("neuron", {"dataset": "and", "features": 2, "lr": 1.0, "batch_size": 4})
    start = t.train_loss()
    t.run(1500)
    assert t.train_loss() < 0.1 < start
    z = t.data.x @ t.model.params["w"] + t.model.params["b"]
    assert np.array_equal(z > 0, t.data.y > 0.5)


def test_line_finds_the_slope():
    t = Trainer("line", {"noise": 0.0})
    t.run(200)
    assert t.model.params["w"][0] == pytest.approx(2.0, abs=1e-3)
    assert float(t.model.params["b"]) == 0.0


def test_too_large_a_learning_rate_diverges_with_a_clear_message():
    t = Trainer("line", {"lr": 100})
    t.run(1)
    t.run(1)
    assert t.diverged and "learning rate 100" in t.diverged
    with pytest.raises(Divergence):
        t.next_stage()
    assert t.snapshot().diverged == t.diverged
    t.reset()
    assert t.diverged is None and t.run(1) == 1


def test_neuron_with_huge_lr_warns_that_the_loss_exploded():
    t = Trainer("neuron", {"lr": 100})
    for _ in range(20):  # one step at a time, as S does: every step's whole-set loss is evaluated
        t.run(1)
    assert "too large" in (t.warning() or "")
    assert Trainer("neuron").warning() is None


def test_the_exploded_warning_names_its_moment_and_its_numbers_stay():
    """The warning states the step where the whole-set loss first blew past 10× the start, and that
    loss; further steps (an oscillating overshoot, the kept history sliding on) don't change it.
    Before, it read the peak of the kept steps: 25.9, then 20.1, then 20.6 about one explosion."""
    t = Trainer("mlp", {"lr": 50})
    losses, said = [], set()
    for _ in range(150):
        t.run(1)
        losses += [(m.step, m.train_loss) for m in t.take_metrics()]
        if t.warning():
            said.add(t.warning())
    step, loss = next((s, v) for s, v in losses if v > 10 * t.start_loss + 1)
    assert said == {f"The loss exploded at step {step}: it reached {loss:.3g}, against {t.start_loss:.3g} at the "
                    "start. Each step overshoots — a learning rate of 50 is too large."}
    t.reset()
    assert t.warning() is None and t.alarm is None


def test_a_runaway_says_its_step_and_loss():
    t = Trainer("line", {"lr": 0.2})
    with pytest.raises(Divergence):
        for _ in range(100):
            t.run(1)
    assert re.match(r"Training diverged at step \d+: the weights passed a million \(the loss was [0-9.e+]+\)\.", t.diverged)


def test_unknown_model_and_bad_config_are_value_errors():
    with pytest.raises(ValueError, match="unknown model"):
        Trainer("perceptron")
    with pytest.raises(ValueError, match="features"):
        Trainer("neuron", {"dataset": "or"})


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_the_chosen_optimizer_drives_the_updates(name):
    from flowscope.engine.optim import make_optimizer

    t = Trainer("line", {"optimizer": name, "lr": 0.1})
    shadow = make_optimizer(name)
    params = {k: v.copy() for k, v in t.model.params.items()}
    for _ in range(4):
        ev = {e.stage: e for e in walk(t, len(t.plan))}
        grads = {"w": np.array(ev["gradients"].values.grad_w)}  # the default line has no b to train
        shadow.step(params, grads, 0.1, ["w"])
        assert ev["update"].values.w == pytest.approx(list(params["w"]), rel=1e-12)
        assert name in ev["update"].formula


def test_fork_goes_on_exactly_as_the_original_would():
    t = Trainer("mlp", {"hidden": [3], "optimizer": "adam", "lr": 0.01})
    t.run(7)
    twin = t.fork()
    assert twin.steps_done == 7 and twin.model.params_view() == t.model.params_view()
    t.run(5)
    twin.run(5)
    assert twin.model.params_view() == t.model.params_view()  # same batches, same Adam moments
    twin.run(1)
    assert twin.steps_done == 13 and t.steps_done == 12  # and then each its own way


def test_export_restore_and_state_dict_bytes_round_trip():
    from dataclasses import replace

    from flowscope.engine.checkpoint import from_state_dict_bytes, to_state_dict_bytes

    t = Trainer("neuron", {"dataset": "and", "features": 2})
    t.run(20)
    saved = t.export()
    params = from_state_dict_bytes(to_state_dict_bytes(saved.params))
    fresh = Trainer("neuron", saved.config)
    fresh.restore(replace(saved, params=params))
    assert fresh.model.params_view() == t.model.params_view() and fresh.steps_done == 20
    # the evaluated steps (a 20-step command evaluates its last), for the loss chart of a later page
    assert saved.metrics[-1]["step"] == 20 and all(m["train_loss"] is not None for m in saved.metrics)
    assert [vars(m) for m in fresh.recent] == saved.metrics
    with pytest.raises(ValueError, match="does not fit"):
        Trainer("mlp").restore(saved)


