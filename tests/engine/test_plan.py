"""The step's plan, owned by the engine with its words: stages in the order they run, their
direction, and a title per entry that tells the layers apart (the page shows these, never its own)."""
from __future__ import annotations

import pytest

from flowscope.engine.flow import BACKWARD, COMM_STAGES, STAGE_TITLES, STAGES, PlanEntry
from flowscope.engine.trainer import Trainer
from flowscope.engine.transformer import story


def check_words(plan) -> None:
    """Every entry has its stage's one title, a subtitle, the right direction; titles differ where layers do."""
    for e in plan:
        assert isinstance(e, PlanEntry)
        assert e.stage_title == STAGE_TITLES[e.stage] and e.title.startswith(e.stage_title)
        assert e.subtitle.strip(), e
        assert e.direction == ("backward" if e.stage in BACKWARD else "forward")
        assert bool(e.part) == bool(e.short)
    titles = [e.title for e in plan]
    assert len(set(titles)) == len(titles), titles  # unique: each stage once, per-layer ones by their layer
    # the wire shape: exactly the fields the browser reads
    assert set(plan[0].to_dict()) == {"stage", "layer", "direction", "title", "subtitle", "stage_title", "part",
                                      "short", "shape"}


def network_order(depth: int) -> list[tuple[str, int]]:
    forward = [(s, k) for k in range(depth) for s in ("linear", "activation")]
    return [("input", 0), ("weights", 0), *forward, ("loss", 0),
            *[("gradients", k) for k in range(depth - 1, -1, -1)], ("update", 0)]


def test_neuron_plan():
    plan = Trainer("neuron").plan
    assert [e.stage for e in plan] == [s for s in STAGES if s not in COMM_STAGES]  # collectives: runs split over workers only
    check_words(plan)
    words = {e.stage: e.subtitle for e in plan}
    assert plan[2].title == "Linear combination" and words["linear"] == "z = w·x + b"
    assert words["update"] == "w ← w − η·∂L/∂w"


def test_line_plan_has_no_activation_and_no_b_without_a_bias():
    plan = Trainer("line", {"bias": False}).plan
    assert [e.stage for e in plan] == [s for s in STAGES if s != "activation" and s not in COMM_STAGES]
    check_words(plan)
    assert all("b" not in e.subtitle for e in plan if e.stage in ("weights", "linear", "gradients"))
    with_b = {e.stage: e.subtitle for e in Trainer("line", {"bias": True}).plan}
    assert with_b["linear"] == "ŷ = a·x + b" and with_b["gradients"] == "∂L/∂a, ∂L/∂b"


def test_update_words_follow_the_optimizer():
    """w ← w − η·∂L/∂w is only true of plain SGD: another rule is named, not misstated."""
    plan = Trainer("neuron", {"optimizer": "adam"}).plan
    assert plan[-1].subtitle == "w ← w + Δw (adam)"


@pytest.mark.parametrize("hidden", [[], [3], [4, 3, 2]])
def test_network_plan_per_layer(hidden):
    plan = Trainer("mlp", {"hidden": hidden}).plan
    depth = len(hidden) + 1
    assert [(e.stage, e.layer) for e in plan] == network_order(depth)
    check_words(plan)
    linear = [e for e in plan if e.stage == "linear"]
    assert [e.part for e in linear] == [f"hidden layer {k + 1}" for k in range(len(hidden))] + ["output layer"]
    assert [e.short for e in linear] == [str(k + 1) for k in range(len(hidden))] + ["out"]
    assert linear[-1].title == "Linear combination · output layer"
    acts = [e.subtitle for e in plan if e.stage == "activation"]
    assert acts == ["a = tanh(z)"] * len(hidden) + ["a = σ(z)"]  # the default: tanh hidden, σ out


def test_network_plan_names_softmax_for_three_classes():
    plan = Trainer("mlp", {"hidden": [3], "dataset": "three"}).plan
    assert [e.subtitle for e in plan if e.stage == "activation"][-1] == "p = softmax(z)"


@pytest.mark.parametrize("n_layer", [1, 3])
def test_transformer_plan_per_sublayer(n_layer):
    plan = story.plan(n_layer)
    K = 2 * n_layer
    forward = [(s, k) for k in range(K) for s in ("linear", "activation")]
    assert [(e.stage, e.layer) for e in plan] == [("input", 0), ("weights", 0), *forward, ("loss", 0),
                                                 *[("gradients", k) for k in range(K - 1, -1, -1)], ("update", 0)]
    check_words(plan)
    parts = [e.part for e in plan if e.stage == "linear"]
    assert parts == [p for b in range(1, n_layer + 1) for p in (f"attention, block {b}", f"MLP, block {b}")]
    assert plan[2].title == "Linear combination · attention, block 1"
    assert plan[-1].subtitle == "clip → AdamW" and story.plan(n_layer, "sgd")[-1].subtitle == "clip → SGD"


def test_a_stage_outside_the_vocabulary_is_refused():
    with pytest.raises(ValueError, match="unknown stage"):
        PlanEntry("softmax", 0, "p")
