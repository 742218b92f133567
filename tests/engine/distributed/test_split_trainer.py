"""A split run behind the Stepper (the live room's trainer): `parallel` in the config, whole steps, and
the engine-served state a page draws — the comm stages, who holds what, memory, the timeline."""
import numpy as np
import pytest

from flowscope.engine.distributed.trainer import DistributedTrainer
from flowscope.engine.transformer.run import TransformerRun

from .conftest import gone


def test_a_pipeline_run_trains_like_one_process_and_serves_its_state(tiny):
    cfg = {**tiny, "n_layer": 2, "batch_size": 4}
    t = DistributedTrainer({**cfg, "workers": 2, "parallel": {"pp": 2, "micro_batches": 2, "schedule": "gpipe"}})
    try:
        assert t.controller.wait_ready(180)
        assert t.run(3) == 3
        ref = TransformerRun(cfg)
        np.testing.assert_allclose([m.loss for m in t.take_metrics()], [ref.step(stats=False).loss for _ in range(3)],
                                   rtol=1e-5)
        gpt = t.snapshot().gpt
        assert gpt["parallel"]["spec"] == {"dp": 1, "tp": 1, "pp": 2, "zero": 0, "micro_batches": 2, "schedule": "gpipe"}
        plan = gpt["parallel"]["plan"]
        assert [(s["stage"], s["direction"]) for s in plan] == [("sendrecv", "forward"), ("sendrecv", "backward")]
        assert plan[0]["comm"] == {"op": "sendrecv", "group": "pp", "bytes": 4 * 16 * 32 * 4}  # (b, T, C) float32
        for b in gpt["parallel"]["bytes"]:
            assert b["measured"] == b["formula"]
        assert gpt["parallel"]["bubble"]["formula"] == pytest.approx(1 / 3)
        assert 0 < gpt["parallel"]["bubble"]["measured"] < 1
        calc = gpt["parallel"]["calculator"]  # the Scale page's bytes per rank, and why this run differs
        assert calc["optimizer"] == 2 * calc["params"] and calc["gaps"] == []
        w = gpt["workers"]
        for x in w:  # each stage's own figure: the first holds the embeddings, the last ln_f and the head
            assert x["memory"]["params"] == pytest.approx(calc["per_rank"][x["rank"]]["params"], rel=0.02)
        assert [x["coords"] for x in w] == [{"dp": 0, "pp": 0, "tp": 0}, {"dp": 0, "pp": 1, "tp": 0}]
        assert {h["param"] for h in w[0]["holds"]}.isdisjoint({h["param"] for h in w[1]["holds"]})
        assert all(x["memory"]["params"] > 0 and x["memory"]["activations"] > 0 for x in w)
        assert [r["rank"] for r in gpt["timeline"]] == [0, 1]
        assert t.next_stage().stage == "input"  # stage by stage (test_split_stages.py), then whole steps again
        assert t.run(4) == 4
    finally:
        pids = t.controller.pids()
        t.close()
    assert all(gone(p) for p in pids)


@pytest.mark.parametrize("parallel", [{"tp": 2}, {"dp": 2, "zero": 3}])
def test_held_out_losses_of_a_split_model_are_the_whole_models(tiny, parallel):
    t = DistributedTrainer({**tiny, "workers": 2, "parallel": parallel})
    try:
        assert t.controller.wait_ready(180)
        evals = [r["eval"] for r in t._call("evaluate")]  # every rank joins the split forward
        assert evals[0] == evals[1]
        for key, value in t.local.evaluate().items():  # step 0: the same weights as the local copy
            assert evals[0][key] == pytest.approx(value, rel=1e-5)
    finally:
        t.close()


@pytest.mark.parametrize("parallel", [{"tp": 2}, {"pp": 2, "micro_batches": 2}, {"dp": 2, "zero": 3}])
def test_a_split_run_that_loses_a_worker_resumes_from_its_checkpoint(tiny, parallel):
    cfg = {**tiny, "n_layer": 2, "workers": 2, "parallel": parallel, "checkpoint_every": 2}
    t = DistributedTrainer(cfg, timeout=20)
    try:
        assert t.controller.wait_ready(180)
        t.run(3)
        before = [m.loss for m in t.take_metrics()]
        with pytest.raises(ValueError, match=r"Lost worker 1 .*checkpoint at step 2; step 3 is lost"):
            t.kill_worker(1)
        assert t.controller.wait_ready(180)
        assert t.run(1) == 1
        np.testing.assert_allclose([m.loss for m in t.take_metrics()], before[2:], rtol=1e-6)  # resharded exactly
    finally:
        t.close()


@pytest.mark.parametrize("parallel", [{"tp": 2}, {"dp": 2, "zero": 3}, None])
def test_the_timeline_after_whole_steps_shows_compute_and_each_collective(tiny, parallel):
    """Whole steps (play, a batch of steps): the last step's timeline has its collectives as comm segments and
    compute between them, in order, from the step's start to its end (it was empty for every run that is not
    a pipeline: only the pipeline's chunks and waits were timed). None: plain data parallelism (DDP)."""
    t = DistributedTrainer({**tiny, "workers": 2, **({"parallel": parallel} if parallel else {})})
    try:
        assert t.controller.wait_ready(180)
        assert t.run(2) == 2
        gpt = t.snapshot().gpt
        ops = {"allreduce"} if not parallel or "tp" in parallel else {"allgather", "reducescatter"}
        for row, obs in zip(gpt["timeline"], t.observed):
            segs = row["segments"]
            assert segs and {s["kind"] for s in segs} >= {"compute", "comm"}
            assert ops <= {s["op"] for s in segs if s["kind"] == "comm"}
            assert segs[0]["t0"] == 0.0 and all(a["t1"] <= b["t0"] + 1e-9 for a, b in zip(segs, segs[1:]))
            assert segs[-1]["kind"] == "compute"  # the optimizer's step ends it, after the last collective
            assert 0 < len([s for s in segs if s["kind"] == "comm"]) <= len(obs["comm"])  # overlapping ones merge
    finally:
        t.close()


@pytest.mark.parametrize("parallel", [{"tp": 2}, {"pp": 2, "micro_batches": 2}, {"dp": 2, "zero": 1},
                                      {"dp": 2, "zero": 3}])
def test_a_split_run_saves_as_one_process_and_goes_on_exactly(tiny, parallel):
    """The room's save (`export`) of a split run: every shard gathered, the stages joined, the run as
    `workers: 1` holds it — the one-process run's weights and Adam moments after the same steps, and a
    restored copy takes the next step with the same loss (the room's Keep failed on every retry before)."""
    from flowscope.engine.transformer.trainer import GPTTrainer

    cfg = {**tiny, "n_layer": 2}
    t = DistributedTrainer({**cfg, "workers": 2, "parallel": parallel})
    try:
        assert t.controller.wait_ready(180)
        assert t.run(3) == 3
        saved = t.export()
    finally:
        t.close()
    ref = TransformerRun(cfg)
    for _ in range(3):
        ref.step(stats=False)
    assert saved.steps == 3 and saved.config["workers"] == 1 and saved.config["parallel"] is None
    # atol: the key bias gets a gradient of rounding noise only (softmax ignores a shift common to a row's
    # scores), so its entries near 0 differ in the last bits between a split sum and a whole one
    for name, p in ref.model.named_parameters():
        np.testing.assert_allclose(saved.params[name], p.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=name)
    one = GPTTrainer({**cfg, "workers": 1})
    one.restore(saved.pack().unpack())
    moments = {n: one.gpt.optimizer.state[p]["exp_avg"] for n, p in one.gpt.model.named_parameters()}
    for name, p in ref.model.named_parameters():
        np.testing.assert_allclose(moments[name].numpy(), ref.optimizer.state[p]["exp_avg"].numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    one.run(1)
    assert one.take_metrics()[-1].loss == pytest.approx(ref.step(stats=False).loss, rel=1e-5)
