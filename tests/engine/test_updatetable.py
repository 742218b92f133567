"""The update laid out as a table (engine/updatetable.py): every rule's terms, with the numbers of
its real last update, so pages draw cells and know no rule."""
import pytest

from flowscope.engine.optim import OPTIMIZERS
from flowscope.engine.trainer import Trainer

SYMBOLS = {"sgd": "η·g", "momentum": "η·v", "nesterov": "η·(g+μv)", "rmsprop": "η·g/(√s+ε)", "adam": "η·m̂/(√v̂+ε)",
           "adamw": "η·m̂/(√v̂+ε)"}


@pytest.mark.parametrize("rule", list(OPTIMIZERS))
def test_every_rule_is_laid_out_with_its_own_numbers(rule):
    t = Trainer("neuron", {"optimizer": rule, "weight_decay": 0.01, "lr": 0.1})
    t.run(3)
    out = t.explain("w", (0,))
    by_key = {c["key"]: c for c in out["cells"]}
    assert [c["key"] for c in out["cells"]][:2] == ["g", "lr"] and out["cells"][-1]["key"] == "before_after"
    for key, c in by_key.items():  # each cell carries exactly the number explain computed
        want = [out["values"]["before"], out["values"]["after"]] if key == "before_after" else out["values"][key]
        assert c["value"] == want and c["sym"] and c["title"]
    assert by_key["step"]["sym"] == SYMBOLS[rule]
    assert by_key["weight_decay"]["value"] == 0.01
    adam = rule in ("adam", "adamw")
    assert (out["rows"] is not None) == adam and (out["note"] is not None) == adam
    if adam:
        assert {k for row in out["rows"] for k in row} <= set(by_key)
        assert "v̂ is" in out["note"]  # t = 3: the correction still matters


def test_the_clip_cell_only_when_the_step_clipped():
    clipped = Trainer("line", {"clip": 0.5, "lr": 0.01})
    clipped.run(1)
    cell = next(c for c in clipped.explain("w", (0,))["cells"] if c["key"] == "clip_scale")
    assert 0 < cell["value"] < 1
    free = Trainer("line", {"lr": 0.01})
    free.run(1)
    assert all(c["key"] != "clip_scale" for c in free.explain("w", (0,))["cells"])


def test_nothing_to_lay_out_before_a_step():
    out = Trainer("neuron", {}).explain("w", (0,))
    assert out["cells"] == [] and out["rows"] is None and out["note"] is None
