"""optimizer_state's `update`: one weight's last update with every term, recomputed from torch's state
— tested against what torch.optim really did to that weight (its value before and after the step)."""
import math

import pytest

from flowscope.engine.transformer.run import TransformerRun

WEIGHTS = [("blocks.0.mlp.fc.weight", (1, 2)), ("lm_head.weight", (3, 0)), ("blocks.1.ln1.bias", (5,)),
           ("wte.weight", (2, 7))]


def value(run, name, index):
    return float(dict(run.model.named_parameters())[name].detach()[index])


@pytest.mark.parametrize("clip", [0.0, 0.05, 100.0])  # off, clipping every step, never clipping
@pytest.mark.parametrize("optimizer", ["adamw", "adam", "sgd"])
def test_every_term_of_the_update_matches_torchs_real_update(tiny, optimizer, clip):
    run = TransformerRun({**tiny, "optimizer": optimizer, "grad_clip": clip, "weight_decay": 0.1})
    previous = {}
    for step in range(4):
        before = {w: value(run, *w) for w in WEIGHTS}
        lr = run.lr_at()  # η the schedule gives the step about to be taken
        run.step()
        for name, index in WEIGHTS:
            s = run.optimizer_state(name, index)
            u = s["update"]["values"]
            p = dict(run.model.named_parameters())[name]
            # before is rebuilt as after + (θ_before − θ_after) from a float32 buffer: float32 tolerance
            assert u["before"] == pytest.approx(before[(name, index)], rel=1e-6, abs=1e-10)
            assert u["after"] == value(run, name, index) == s["value"]
            assert u["g"] == float(p.grad[index])  # torch's clipped gradient, which its optimizer used
            assert u["lr"] == lr
            if clip:
                assert u["clip_scale"] == pytest.approx(min(1.0, clip / (u["grad_norm"] + 1e-6)), rel=1e-6)
                assert (u["clip_scale"] < 1) == (clip < u["grad_norm"])
            else:
                assert u["clip_scale"] == 1.0
            assert u["grad"] * u["clip_scale"] == pytest.approx(u["g"], rel=1e-6)
            # the terms shown rebuild torch's step to float32 tolerance
            assert u["before"] - u.get("decay", 0.0) - u["step"] == pytest.approx(u["after"], rel=1e-6, abs=1e-9)
            if optimizer == "sgd":
                assert u["step"] == pytest.approx(lr * u["g"], rel=1e-12) and "m" not in u
                continue
            t = step + 1
            assert u["t"] == t and u["m"] == s["exp_avg"] and u["v"] == s["exp_avg_sq"]
            assert u["c1"] == pytest.approx(1 - 0.9 ** t) and u["c2"] == pytest.approx(1 - 0.99 ** t)
            assert u["m_hat"] == pytest.approx(u["m"] / u["c1"]) and u["v_hat"] == pytest.approx(u["v"] / u["c2"])
            m0, v0 = previous.get((name, index), (0.0, 0.0))  # torch's recurrence, from the last reply's m, v
            assert u["m"] == pytest.approx(0.9 * m0 + 0.1 * u["g"], rel=1e-5, abs=1e-12)
            assert u["v"] == pytest.approx(0.99 * v0 + 0.01 * u["g"] ** 2, rel=1e-5, abs=1e-15)
            previous[(name, index)] = (u["m"], u["v"])
            decays = optimizer == "adamw" and p.dim() >= 2  # AdamW decays matrices only, here
            assert ("decay" in u) == decays
            if decays:
                assert u["decay"] == pytest.approx(lr * 0.1 * u["before"], rel=1e-12)
            lines = "\n".join(s["update"]["lines"])
            assert f"t = {t}" in lines and "m̂ = m/(1−β₁ᵗ)" in lines


def test_the_update_is_absent_when_it_is_not_known(tiny):
    run = TransformerRun(tiny)
    name, index = WEIGHTS[0]
    assert "update" not in run.optimizer_state(name, index)  # no step yet
    run.step(stats=False)
    assert "update" not in run.optimizer_state(name, index)  # the fast path keeps no before/after
    run.step()
    assert run.optimizer_state(name, index)["update"]["values"]["t"] == 2
    run.switch_phase("finetune")
    assert "update" not in run.optimizer_state(name, index)  # a fresh optimizer
    with pytest.raises(ValueError, match="outside"):
        run.optimizer_state(name, (0, 999))


def test_a_hand_edit_drops_the_last_update(tiny):
    from flowscope.engine.transformer.trainer import GPTTrainer

    t = GPTTrainer(tiny)
    t.run(2)
    name, index = WEIGHTS[1]
    assert "update" in t.gpt.optimizer_state(name, index)
    t.set_param(name, index, 0.25)
    s = t.gpt.optimizer_state(name, index)
    assert "update" not in s and s["value"] == 0.25 and math.isfinite(s["sqrt_v"])


def test_the_update_stage_keeps_the_plain_state(tiny):
    """The update stage's record (story.py) reads the plain optimizer state, without `update`."""
    from flowscope.engine.transformer.trainer import GPTTrainer

    t = GPTTrainer(tiny)
    t.run(1)
    update = [t.next_stage() for _ in t.plan][-1].values.as_json()
    assert update["after"]["step"] == 2 and update["before"]["step"] == 1
    assert "update" not in update["before"] and "update" not in update["after"]
