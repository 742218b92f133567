"""Undo anything (issue 17 §3, engine/undo.py): the run as it was before a change of settings — a
learning rate that explodes the loss included — comes back bit-exact: weights, the optimizer's memory,
the batch order, the step and the loss history; and it then trains on exactly as if the change had
never been made. The stack is bounded (levels, memory) and a dragged slider is one change."""
import numpy as np
import pytest

from flowscope.engine.flow import Divergence
from flowscope.engine.footprint import footprint
from flowscope.engine.trainers import make_trainer
from flowscope.engine.undo import LEVELS, UndoStack

from .transformer.conftest import TINY, small_text  # noqa: F401 (a fixture)

RUNS = [
    ("mlp", {"hidden": [4, 3], "dataset": "bumps", "optimizer": "momentum", "lr": 0.05, "batch_size": 8}),
    ("line", {"optimizer": "momentum", "lr": 0.05, "batch_size": 3}),
]


def change(stack, model, trainer, config):
    entry = stack.before_change(model, trainer, set(config))
    trainer.configure(config)
    stack.settle(entry, trainer)


def undo(stack, model):
    kept = stack.pop(model)
    back = make_trainer(kept.model, kept.run.config, custom=kept.run.custom)
    back.restore(kept.run)
    return back


def train(trainer, n):
    for _ in range(n):  # one at a time: each step's whole-set loss is measured (a point on the chart)
        trainer.run(1)


def tree_equal(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(tree_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(tree_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("model,config", RUNS, ids=[r[0] for r in RUNS])
def test_undo_after_an_exploding_rate_brings_the_run_back_bit_exact(model, config):
    t = make_trainer(model, config)
    train(t, 30)
    before = t.export()
    stack = UndoStack()
    change(stack, model, t, {"lr": 900.0})  # the loss explodes
    with pytest.raises(Divergence):
        t.run(200)
    assert t.diverged and t.steps_done > 30
    back = undo(stack, model)
    now = back.export()
    assert now.steps == 30 and now.config == before.config and back.diverged is None
    assert tree_equal(now.params, before.params)
    assert tree_equal(now.optimizer, before.optimizer)  # the optimizer's memory (Adam's m and v, its t)
    assert tree_equal(now.progress, before.progress)  # the batch order
    assert now.metrics == before.metrics and len(now.metrics) == 30  # the loss chart, every evaluated step
    # it goes on exactly as a run that never had the change
    twin = make_trainer(model, config)
    train(twin, 30)
    train(back, 10)
    train(twin, 10)
    assert tree_equal(back.export().params, twin.export().params)
    assert [vars(m) for m in back.recent] == [vars(m) for m in twin.recent]
    assert len(stack) == 0


def test_undo_goes_back_one_change_at_a_time_and_is_bounded():
    model = "mlp"
    t = make_trainer(model, {"hidden": [3], "lr": 0.1})
    stack = UndoStack()
    rates = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    for lr in rates:
        t.run(2)  # something in between: each is its own change
        change(stack, model, t, {"lr": lr})
    assert len(stack) == LEVELS == 5  # the oldest went
    seen = []
    while stack.top(model):
        t = undo(stack, model)
        seen.append((t.config.lr, t.steps_done))
    assert seen == [(0.7, 14), (0.6, 12), (0.5, 10), (0.4, 8), (0.3, 6)]
    with pytest.raises(ValueError, match="Nothing to undo"):
        stack.pop(model)


def test_a_dragged_slider_is_one_change_and_a_refused_one_none():
    model = "line"
    t = make_trainer(model, {"lr": 0.05})
    t.run(5)
    stack = UndoStack()
    for lr in (0.06, 0.07, 0.08, 0.09):  # one drag: nothing in between
        change(stack, model, t, {"lr": lr})
    assert len(stack) == 1 and stack.top(model).run.config["lr"] == 0.05
    entry = stack.before_change(model, t, {"optimizer"})
    with pytest.raises(ValueError):
        t.configure({"optimizer": "no such rule"})  # refused: the run is unchanged, and so is the stack
    stack.drop(entry)
    assert len(stack) == 1
    assert undo(stack, model).config.lr == 0.05


def test_the_copies_kept_fit_the_memory_given():
    """Fewer levels when memory says so: the copies' footprint (what the server's budget counts) stays
    within max_bytes, and the newest copy always stays."""
    model, config = "mlp", {"hidden": [8, 8], "lr": 0.1}
    t = make_trainer(model, config)
    one = footprint(model, t.config.to_dict()).bytes
    stack = UndoStack(max_bytes=2.5 * one)
    for lr in (0.2, 0.3, 0.4, 0.5):
        t.run(1)
        change(stack, model, t, {"lr": lr})
    assert len(stack) == 2 and sum(f.bytes for f in stack.kept) <= 2.5 * one
    assert [m for m, _ in stack.held()] == [model, model]
    tiny = UndoStack(max_bytes=1)
    t.run(1)
    change(tiny, model, t, {"lr": 0.6})
    assert len(tiny) == 1  # past any budget, one level stays (the model itself fitted it)


def test_the_transformer_comes_back_whole_too(small_text):
    """A live rate change on the transformer, undone: weights, Adam's moments, the step, and the chart
    (each step's batch loss and rate), then the same next losses as a run that never changed."""
    cfg = {**TINY, "text": small_text}
    t = make_trainer("transformer", cfg)
    train(t, 4)
    chart = [(m.step, m.loss, m.lr) for m in t.recent]
    stack = UndoStack()
    change(stack, "transformer", t, {"lr": 0.5})
    train(t, 2)
    back = undo(stack, "transformer")
    assert back.steps_done == 4 and [(m.step, m.loss, m.lr) for m in back.recent] == chart
    twin = make_trainer("transformer", cfg)
    train(twin, 4)
    for (n, p), (_, q) in zip(twin.gpt.model.named_parameters(), back.gpt.model.named_parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy()), n
    assert tree_equal(back.export().optimizer, twin.export().optimizer)
    back.take_metrics()
    twin.take_metrics()
    train(back, 2)
    train(twin, 2)
    assert [m.loss for m in back.take_metrics()] == [m.loss for m in twin.take_metrics()]
