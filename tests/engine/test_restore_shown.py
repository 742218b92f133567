"""A loaded or restored transformer run shows what it showed before the save (issue 20, case 13): the
last step's numbers (`state.gpt.last`, the per-layer bars built from it) and the loss estimate with its
step (`state.loss`, `state.test_loss`, `gpt.eval_step`) — not an empty last step and a loss measured
anew at the restored step. A fork shows them too."""
from flowscope.engine.export import PackedRun
from flowscope.engine.trainers import make_trainer

from .transformer.conftest import TINY, small_text  # noqa: F401 (a fixture)


def shown(trainer) -> dict:
    snap = trainer.snapshot()
    return {"step": snap.step, "loss": snap.loss, "test_loss": snap.test_loss, "layers": snap.layers,
            "last": snap.gpt["last"], "eval": snap.gpt["eval"], "eval_step": snap.gpt["eval_step"],
            "tokens_per_s": snap.gpt["tokens_per_s"]}


def test_a_restored_transformer_shows_its_last_step_and_loss_as_before(small_text):
    t = make_trainer("transformer", {**TINY, "text": small_text})
    t.run(7)  # the loss estimate is step 0's (it comes every 100 steps); the last step is step 7's
    before = shown(t)
    assert before["last"]["step"] == 7 and before["eval_step"] == 0 and before["layers"]
    packed = t.export().pack()
    u = make_trainer("transformer", {**TINY, "text": small_text})
    u.restore(PackedRun(**vars(packed)).unpack())
    assert shown(u) == before
    assert shown(t.fork()) == before
    t.run(1)
    u.run(1)  # and it goes on as the original does: the next step's numbers are the original's
    assert u.snapshot().gpt["last"]["loss"] == t.snapshot().gpt["last"]["loss"]


def test_a_run_saved_before_these_were_kept_still_loads(small_text):
    t = make_trainer("transformer", {**TINY, "text": small_text})
    t.run(3)
    old = t.export()
    for key in ("last", "tokens_per_s", "evaluated", "evaluated_at"):
        old.progress.pop(key)
    u = make_trainer("transformer", {**TINY, "text": small_text})
    u.restore(old)
    assert u.snapshot().gpt["last"] is None and u.snapshot().gpt["eval_step"] == 3  # measured anew, as before
