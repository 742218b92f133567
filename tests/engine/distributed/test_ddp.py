"""Data parallelism with torch.distributed: the all-reduced gradient of the shards is the whole
batch's gradient, the losses are the one-process run's, and the replicas stay identical.

Why they must be equal: with N equal shards and a mean loss, ∇(1/B Σ_b ℓ_b) = 1/N Σ_r ∇(N/B Σ_{b∈r} ℓ_b),
which is what DDP's all-reduce (sum, then ÷ N) computes (Li et al., "PyTorch Distributed", VLDB 2020).
"""
import multiprocessing

import numpy as np
import pytest

from flowscope.engine.distributed.trainer import DistributedTrainer
from flowscope.engine.transformer.run import TransformerRun
from flowscope.engine.transformer.trainer import GPTTrainer

from .conftest import gone


def full_batch_slice(cfg: dict, name: str, k: int) -> list[float]:
    """The tracked tensor's gradient of step 0 in one process, on the whole global batch."""
    run = TransformerRun(cfg)
    run.begin_step()
    return dict(zip(run.names, run.params))[name].grad.flatten()[:k].tolist()


def step_through(t: DistributedTrainer) -> dict:
    return {ev.stage: ev.values.as_json() for ev in (t.next_stage() for _ in range(len(t.plan)))}


@pytest.mark.parametrize("workers", [2, 4])
def test_gradients_before_differ_after_agree_and_equal_the_full_batch(tiny, workers):
    t = DistributedTrainer({**tiny, "workers": workers})
    try:
        assert t.controller.wait_ready(180)
        assert [e.stage for e in t.plan][-3:] == ["gradients", "allreduce", "update"]
        stages = step_through(t)
        ar = stages["allreduce"]
        before = np.array([r["grad_slice"] for r in ar["before"]])  # (N, 6)
        after = np.array([r["grad_slice"] for r in ar["after"]])
        assert before.shape == (workers, 6)
        spread = np.abs(before - before.mean(0)).max()
        assert spread > 0.05 * np.abs(before).max()  # each rank's own shard: visibly different
        assert np.array_equal(after, np.broadcast_to(after[0], after.shape))  # identical on every rank
        np.testing.assert_allclose(after[0], before.mean(0), rtol=1e-4, atol=1e-10)
        whole = full_batch_slice(tiny, ar["param"], 6)
        np.testing.assert_allclose(after[0], whole, rtol=1e-4, atol=1e-10)
        assert ar["bytes_per_worker"] == round(2 * (workers - 1) / workers * ar["gradient_bytes"])
        assert ar["gradient_bytes"] == 4 * t.local.model.num_params()  # float32 gradients, every parameter
        assert ar["seconds"] > 0
        grads = stages["gradients"]["workers"]
        assert [w["rank"] for w in grads] == list(range(workers))
        assert all(w["grad_slice"] == b for w, b in zip(grads, before.tolist()))
        loss = stages["loss"]
        assert loss["loss"] == pytest.approx(np.mean([w["loss"] for w in loss["workers"]]))
        checks = {w["param_checksum"] for w in stages["update"]["workers"]}
        assert len(checks) == 1  # the replicas agree to the bit
    finally:
        pids = t.controller.pids()
        t.close()
    assert all(gone(p) for p in pids)


def test_losses_equal_the_one_worker_run(tiny):
    one = GPTTrainer(tiny)
    # the workers recompute each block in backward (gradient checkpointing): the same losses all the same
    t = DistributedTrainer({**tiny, "workers": 2, "compare": True, "recompute": True})
    try:
        assert t.controller.wait_ready(180)
        step_through(t)  # one step stage by stage (the inspect path) …
        assert t.run(5) == 5  # … then whole steps (the fast path)
        many = [m.loss for m in t.take_metrics()]
        one.run(6)
        np.testing.assert_allclose(many, [h["loss"] for h in one.gpt.history], atol=1e-5)
        # the shown loss is the global batch's, not rank 0's shard's
        assert t.snapshot().gpt["last"]["loss"] == pytest.approx(one.gpt.history[-1]["loss"], rel=1e-5)
        overlay = t.snapshot().gpt["ddp"]["one_worker"]  # the page's overlay: the same run in one process
        assert overlay["steps"] == list(range(1, 7))
        np.testing.assert_allclose(overlay["losses"], [h["loss"] for h in one.gpt.history], atol=1e-6)
        gpt = t.snapshot().gpt
        assert len({w["param_checksum"] for w in gpt["workers"]}) == 1
        # the engine-served picture of a data-parallel step: replicas hold everything, one all-reduce of the gradients
        assert [w["coords"] for w in gpt["workers"]] == [{"dp": 0, "tp": 0, "pp": 0}, {"dp": 1, "tp": 0, "pp": 0}]
        assert all(h["shape"] == h["full_shape"] for w in gpt["workers"] for h in w["holds"])
        assert gpt["workers"][0]["memory"]["params"] == 4 * t.local.model.num_params()
        assert [s["stage"] for s in gpt["parallel"]["plan"]] == ["allreduce"]
        assert all(b["measured"] == b["formula"] for b in gpt["parallel"]["bytes"])
        assert [r["rank"] for r in gpt["timeline"]] == [0, 1]
        saved = t.export()  # rank 0's run, as the one-process GPT saves it: it goes on exactly, in one process
        assert saved.config["workers"] == 1 and saved.steps == 6
        again = GPTTrainer(saved.config)
        again.restore(saved)
        again.run(2)
        one.run(2)
        np.testing.assert_allclose([h["loss"] for h in again.gpt.history][-2:], [h["loss"] for h in one.gpt.history][-2:],
                                   atol=1e-5)
    finally:
        t.close()


def test_a_killed_worker_is_reported_and_the_run_resumes_from_the_checkpoint(tiny):
    # and gradient accumulation: 2 micro-batches per worker under no_sync equal the whole batch at once
    # (plain SGD, no clipping: Adam and clipping would hide a gradient off by a constant factor)
    tiny = {**tiny, "optimizer": "sgd", "grad_clip": 0.0, "lr": 1.0}
    t = DistributedTrainer({**tiny, "workers": 2, "checkpoint_every": 3, "accum_steps": 2}, timeout=20)
    first = t.controller.pids()
    try:
        assert t.controller.wait_ready(180)
        t.run(5)
        before = [m.loss for m in t.take_metrics()]
        one = GPTTrainer(tiny)
        one.run(5)
        np.testing.assert_allclose(before, [h["loss"] for h in one.gpt.history], atol=1e-5)
        assert t.comm["gradient_bytes"] == 4 * t.local.model.num_params()  # one all-reduce per step: no_sync held
        with pytest.raises(ValueError, match=r"Lost worker 1 .* checkpoint at step 3; steps 4–5 are lost"):
            t.kill_worker(1)
        assert gone(first[1]) and gone(first[0])  # the survivor is killed and reaped too
        lost = t.snapshot().gpt["ddp"]["lost"]
        assert lost[0]["ranks"] == [1] and (lost[0]["from_step"], lost[0]["to_step"]) == (3, 5)
        assert "Connection closed" in lost[0]["said"]["0"] or "timed out" in lost[0]["said"]["0"].lower()
        assert t.steps_done == 3
        assert t.controller.wait_ready(180)
        assert t.run(2) == 2
        again = [m.loss for m in t.take_metrics()]
        np.testing.assert_allclose(again, before[3:5], atol=1e-6)  # the same batches, from the same weights
        with pytest.raises(ValueError, match="no worker 2"):
            t.kill_worker(2)
    finally:
        pids = t.controller.pids()
        t.close()
    assert all(gone(p) for p in pids)
    assert not [p for p in multiprocessing.active_children() if p.name.startswith("flowscope-ddp")]
