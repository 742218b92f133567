"""Stage by stage: one real step, computed once, described with numbers that agree with the model."""
import json
import math

import pytest
import torch

from flowscope.engine.flow import COMM_STAGES, STAGES
from flowscope.engine.transformer.run import TransformerRun
from flowscope.engine.transformer.story import adam_prediction, plan


def walk(run: TransformerRun):
    rec = run.begin_step()
    before = {n: p.detach().clone() for n, p in run.model.named_parameters()}
    run.apply(rec)
    def wire(values, formula, caption):  # the values as a client gets them
        return values.as_json(), formula, caption

    return rec, before, {(e.stage, e.layer): wire(*run.describe(e.stage, e.layer, rec)) for e in run.plan}


def test_plan_uses_the_seven_words_forward_then_back():
    p = [(e.stage, e.layer) for e in plan(2)]
    assert [s for s, _ in p] == ["input", "weights"] + ["linear", "activation"] * 4 + ["loss"] + ["gradients"] * 4 + ["update"]
    assert [k for s, k in p if s == "linear"] == [0, 1, 2, 3]  # sublayers: attention, MLP, attention, MLP
    assert [k for s, k in p if s == "gradients"] == [3, 2, 1, 0]  # last first
    assert {s for s, _ in p} == set(STAGES) - COMM_STAGES  # collectives: runs split over workers only


def test_begin_step_then_apply_is_one_real_step(tiny):
    # SGD moves each weight in proportion to its gradient, so float-level differences between the
    # two attention paths stay float-level (Adam's first step is ±η for any gradient, however tiny)
    a, b = (TransformerRun({**tiny, "optimizer": "sgd", "lr": 0.5}) for _ in range(2))
    rec = a.begin_step()
    assert a.steps == 0 and rec.update is None
    a.apply(rec)
    s = b.step()
    assert rec.loss == pytest.approx(s.loss, abs=1e-5) and rec.grad_norm == pytest.approx(s.grad_norm, rel=1e-4)
    for p, q in zip(a.params, b.params):  # the inspect path's gradients moved the weights the same way
        assert torch.allclose(p, q, atol=1e-6)
    with pytest.raises(ValueError, match="begin a new step"):
        a.apply(rec)


def test_every_stage_has_json_values_a_formula_and_a_caption(tiny):
    run = TransformerRun(tiny)
    _, _, stages = walk(run)
    for (stage, k), (values, formula, caption) in stages.items():
        assert json.loads(json.dumps(values)) == values, (stage, k)
        assert formula and caption.endswith("."), (stage, k)
        assert len(json.dumps(values)) < 20_000, (stage, k)


def test_attention_stages_agree_with_the_model(tiny):
    run = TransformerRun(tiny)
    rec, before, stages = walk(run)
    for k in (0, 2):
        lin, _, _ = stages[("linear", k)]
        act, formula, _ = stages[("activation", k)]
        i = act["query"]
        assert lin["dot"] / math.sqrt(lin["d"]) == pytest.approx(lin["scores"][0], rel=1e-4, abs=1e-7)
        row = act["row"]
        assert sum(row) == pytest.approx(1.0, abs=1e-6) and act["sum"] == pytest.approx(1.0, abs=1e-6)
        assert all(v == 0.0 for v in row[i + 1:]) and all(v > 0 for v in row[:i + 1])
        e = [math.exp(s) for s in lin["scores"]]
        assert row[:i + 1] == pytest.approx([v / sum(e) for v in e], rel=1e-5)  # softmax of the scores shown
        assert "sums to 1.0000" in formula
    # the same window through the model's inspect path, with the weights before the update
    with torch.no_grad():
        for n, p in run.model.named_parameters():
            p.copy_(before[n])
        ids = torch.tensor([rec.cap["ids"]])
        att = run.model.attention(ids)[0][0, 0]  # layer 1, head 1
    assert att[rec.cap["query"]].tolist() == pytest.approx(stages[("activation", 0)][0]["row"], abs=1e-6)


def test_mlp_loss_and_gradient_stages_agree_with_the_formulas(tiny):
    run = TransformerRun(tiny)
    rec, _, stages = walk(run)
    s = rec.cap["sublayers"][1]
    z = s["h00"]
    assert s["g00"] == pytest.approx(z * 0.5 * (1 + math.erf(z / math.sqrt(2))), rel=1e-5, abs=1e-7)
    loss, formula, _ = stages[("loss", 0)]
    assert loss["pos_loss"] == pytest.approx(-math.log(loss["p_true"]), rel=1e-6)
    assert loss["loss"] == rec.loss and "ln" in formula
    top, _, _ = stages[("gradients", 3)]
    assert top["dlogit_true"] == pytest.approx((top["p_true"] - 1) / top["n_positions"], rel=1e-4)
    bottom, _, _ = stages[("gradients", 0)]
    assert "wte_grad" in bottom and "dlogit_true" not in bottom
    # gradients flow back through the residual stream: the norm below is the one above the next sublayer down
    assert stages[("gradients", 1)][0]["dout_norm"] == stages[("gradients", 2)][0]["dx_norm"]


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "sgd"])
def test_update_stage_recomputes_the_optimizers_new_weight(tiny, optimizer):
    run = TransformerRun({**tiny, "optimizer": optimizer, "grad_clip": 0.5})
    for _ in range(3):
        run.step(stats=False)
    rec, before, stages = walk(run)
    values, formula, _ = stages[("update", 0)]
    pred = adam_prediction(rec.update)
    assert values["after"]["value"] == pytest.approx(pred["value"], rel=1e-5, abs=1e-9)
    assert values["before"]["value"] == before[values["param"]][tuple(values["index"])].item()
    if optimizer != "sgd":
        assert values["after"]["exp_avg"] == pytest.approx(pred["exp_avg"], rel=1e-5, abs=1e-12)
        assert values["after"]["step"] == pred["step"] == 4
    assert ("every gradient ×" in formula) == values["clipped"]
    assert values["lr"] == rec.lr == run.lr_at(3)


def test_the_update_stage_needs_the_update(tiny):
    run = TransformerRun(tiny)
    rec = run.begin_step()
    with pytest.raises(ValueError, match="after the update"):
        run.describe("update", 0, rec)
    run.step()  # another step drops the half-shown one
    with pytest.raises(ValueError, match="begin a new step"):
        run.apply(rec)


def test_each_stage_carries_its_tensor_shape_with_this_runs_sizes():
    """llm-viz writes (B, T, C) beside each stage: the plan says it, from model.py's shapes (qkv is
    a Linear(C, 3C): its weight is (3C, C); the MLP widens to 4C)."""
    from flowscope.engine.transformer import story

    plan = story.plan(2, "adamw", (12, 24, 48, 2, 94))
    by = {e.title: e.shape for e in plan}
    assert by["Input"] == "ids (B, T) = (12, 24)"
    assert by["Weights"] == "x (B, T, C) = (12, 24, 48)"
    assert by["Linear combination · attention, block 1"] == "scores (B, H, T, T) = (12, 2, 24, 24)"
    assert by["Activation · MLP, block 2"] == "GELU(h) (B, T, 4C) = (12, 24, 192)"
    assert by["Loss"] == "logits (B, T, V) = (12, 24, 94) → L"
    assert by["Gradients · attention, block 1"] == "∂L/∂W_qkv (3C, C) = (144, 48)"
    assert by["Update"] == ""
    assert all(e.shape == "" for e in story.plan(2))  # without sizes, no shapes
