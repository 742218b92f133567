"""GPTTrainer: the GPT behind the shared Stepper — stages, whole steps, history, fork, save."""
import json
import math

import pytest
import torch

from flowscope.engine.flow import StepMetrics
from flowscope.engine.transformer.trainer import GPTTrainer

STATE_FIELDS = {"step", "params", "lr", "loss", "test_loss", "accuracy", "schedule", "layers", "cursor", "curve",
                "diverged", "warning"}  # server/protocol.py StateMsg, less playing/config


def test_stage_by_stage_walks_the_plan_and_applies_the_update_at_its_stage(tiny):
    t = GPTTrainer(tiny)
    events = [t.next_stage() for _ in range(len(t.plan))]
    assert [(e.stage, e.layer) for e in events] == [(p.stage, p.layer) for p in t.plan]
    assert {e.step for e in events} == {0} and t.steps_done == 1
    assert events[-1].values.after["value"] != events[-1].values.before["value"]
    metrics = t.take_metrics()
    assert len(metrics) == 1 and metrics[0].test_loss is not None  # a step a person looked at is evaluated
    back = t.back(3)
    assert back.replay and back.stage == t.plan[-4].stage
    assert t.next_stage().replay  # forward again through the kept stages, not a new step
    assert t.steps_done == 1


def test_whole_steps_take_the_fast_path_and_report_metrics(tiny):
    t = GPTTrainer(tiny)
    t.next_stage()  # a half-shown step is finished first and counts as one
    assert t.run(5) == 5 and t.steps_done == 5
    ms = t.take_metrics()
    assert [m.step for m in ms] == [1, 2, 3, 4, 5] and all(isinstance(m, StepMetrics) for m in ms)
    assert all(m.lr == pytest.approx(t.gpt.schedule.lr_at(m.step - 1)) for m in ms)
    snap = t.snapshot().fields()
    assert STATE_FIELDS <= set(snap) and snap["step"] == 5
    assert [set(row) for row in snap["layers"]] == [{"grad_norm", "update_ratio"}] * 4
    assert snap["gpt"]["phase"] == "pretrain" and snap["gpt"]["device"] == "cpu"
    assert json.loads(json.dumps(snap)) == snap  # plain JSON, as the state message carries it
    assert json.dumps(t.dataset_view()) and t.dataset_view()["kind"] == "text"


def test_live_settings_apply_in_place_and_others_rebuild(tiny):
    t = GPTTrainer(tiny)
    t.run(3)
    assert t.configure({"lr": 1e-4, "grad_clip": 0.5}) is False and t.steps_done == 3
    assert t.gpt.schedule.max_lr == 1e-4 and t.gpt.config.grad_clip == 0.5
    assert t.configure({"n_layer": 1}) is True and t.steps_done == 0 and len(t.plan) == 2 + 4 + 1 + 2 + 1
    with pytest.raises(ValueError, match="multiple of n_head"):
        t.configure({"n_embd": 33})


def test_fork_goes_on_exactly_as_the_original(tiny):
    t = GPTTrainer(tiny)
    t.run(4)
    twin = t.fork()
    t.take_metrics()
    t.run(3)
    twin.run(3)
    assert [m.loss for m in t.take_metrics()] == pytest.approx([m.loss for m in twin.take_metrics()], abs=1e-6)


def test_export_and_restore_round_trip(tiny):
    t = GPTTrainer(tiny)
    t.run(3)
    saved = t.export()
    other = GPTTrainer(tiny)
    other.restore(saved)
    assert other.steps_done == 3 and other.gpt.steps == 3
    for (n, p), (_, q) in zip(t.gpt.model.named_parameters(), other.gpt.model.named_parameters()):
        assert torch.equal(p, q), n
    saved.params["lm_head.weight"] = saved.params["lm_head.weight"][:2]
    with pytest.raises(ValueError, match="does not fit"):
        other.restore(saved)


def test_switching_phase_drops_a_half_shown_step(tiny):
    t = GPTTrainer(tiny)
    t.run(2)
    t.next_stage()
    event = t.switch_phase("finetune")
    assert event["to"] == "finetune" and t.snapshot().gpt["phase"] == "finetune"
    assert all(tr.metrics is not None for tr in t.history)
    assert t.next_stage().stage == "input" and t.gpt.phase == "finetune"


def test_set_param_edits_one_weight(tiny):
    t = GPTTrainer(tiny)
    t.set_param("lm_head.weight", (1, 2), 0.5)
    assert t.gpt.model.lm_head.weight[1, 2].item() == 0.5
    with pytest.raises(ValueError, match="shape"):
        t.set_param("lm_head.weight", (1, 99), 0.5)
    with pytest.raises(ValueError):
        t.set_param("lm_head.weight", (1, 2), math.inf)


def test_a_rising_loss_warning_keeps_the_step_and_loss_where_it_began(tiny):
    """The warning names the evaluation where the loss first stood 1 above the start; later
    evaluations don't rewrite it; once the loss is back down, a new rise is a new moment."""
    t = GPTTrainer(tiny)
    start = t.start_loss

    def evaluated(step, loss):
        t.evaluated, t.evaluated_at = {**t.evaluated, "train": loss}, step

    evaluated(3, start + 2.0)
    first = t.warning()
    assert f"to {start + 2.0:.3g} at step 3:" in first
    evaluated(5, start + 3.5)
    assert t.warning() == first
    evaluated(6, start)
    assert t.warning() is None
    evaluated(9, start + 1.5)
    assert f"to {start + 1.5:.3g} at step 9:" in t.warning()
