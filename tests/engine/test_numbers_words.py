"""The numbers' words (issue 22 §4): a formula and the table beside it say one number, with the
batch factor written where it applies; an update too small to show at three digits is written with
enough digits to see it; a bias's update is written with b."""
from __future__ import annotations

import numpy as np

from flowscope.engine.numfmt import MINUS, apart, num
from flowscope.engine.optim import SGD, Adam
from flowscope.engine.trainer import Trainer


def stages(t: Trainer, n: int) -> dict:
    return {e.stage: e for e in (t.next_stage() for _ in range(n))}


def test_the_line_gradient_formula_and_table_say_one_number_with_the_batch_factor():
    t = Trainer("line", {"batch_size": 4})
    grads = stages(t, 6)["gradients"]
    first = grads.formula.splitlines()[0]
    dz = grads.values.dz[0]
    # the formula's ∂L/∂ŷ is the table's, and says where its 1/B comes from
    assert "2(ŷ − y)/B" in first and "/4 =" in first, first
    assert first.split("(the 1/B")[0].rstrip().endswith(f"= {num(dz)}"), (first, dz)
    assert "summed over the batch of 4" in grads.formula


def test_one_sample_has_no_batch_factor():
    t = Trainer("neuron", {"batch_size": 1})
    first = stages(t, 7)["gradients"].formula.splitlines()[0]
    assert "/B" not in first and "1/B" not in first


def test_an_update_smaller_than_three_digits_shows_its_change():
    # the student's case: 0.166 − 0.0300·0.00237 "= 0.166"
    before = 0.166
    after = before - 0.03 * 0.00237
    b, a = apart(before, after)
    assert b != a and float(a.replace(MINUS, "-")) < float(b.replace(MINUS, "-"))
    assert apart(0.5, 0.5) == (num(0.5), num(0.5))  # no change: as num writes it
    assert apart(0.403, 0.391) == (num(0.403), num(0.391))  # a visible change keeps three digits


def test_the_optimizer_card_shows_the_change_and_writes_a_bias_with_b():
    params = {"W0": np.array([[0.166]]), "b0": np.array([0.166])}
    grads = {"W0": np.array([[0.00237]]), "b0": np.array([0.00237])}
    for opt in (SGD(), Adam()):
        opt.step(params, grads, 0.03, ["W0", "b0"])
        w_line, b_line = opt.explain("W0", (0, 0))["lines"][-1], opt.explain("b0", (0,))["lines"][-1]
        assert w_line.startswith("w ← w") and b_line.startswith("b ← b"), (w_line, b_line)
        old, new = b_line.split(" = ")[1].split(" − ")[0], b_line.split(" = ")[-1]
        assert old != new, b_line


def test_the_engine_counts_epochs_as_samples_seen_over_the_set():
    t = Trainer("mlp", {"batch_size": 10, "n_samples": 100, "test_fraction": 0.5})
    assert t.snapshot().epoch == 0
    n = len(t.data)
    assert n == 50 and t.steps_per_epoch == 5
    t.run(3)
    assert t.snapshot().epoch == 30 / 50
    t.run(5)  # the pass ends after two steps, and the next one is three batches in
    assert t.snapshot().epoch == 80 / 50
