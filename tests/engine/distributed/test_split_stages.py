"""A split run stepped stage by stage: the plan's communication stages (op, group, bytes, direction) where
they happen, their values = what each rank's collective really did, and the step equal to one process."""
import contextlib

import numpy as np
import pytest

from flowscope.engine.distributed import split_story
from flowscope.engine.distributed.parallel import Parallel
from flowscope.engine.distributed.trainer import DistributedTrainer
from flowscope.engine.transformer.run import TransformerRun

from .conftest import gone


def _plan(par: Parallel, n_layer: int = 1):
    sizes = (("allgather/forward/dp", 11), ("allreduce/backward/dp", 22), ("allreduce/backward/tp", 33),
             ("allreduce/forward/tp", 44), ("unit/root", 11), ("unit/block 0", 55), ("unit/block 1", 66))
    return [(e.stage, e.direction, e.comm) for e in split_story.plan(par, n_layer, "adamw", sizes, "(b, T, C)")]


def test_the_tensor_parallel_plan_puts_an_allreduce_after_each_row_parallel_layer():
    got = _plan(Parallel(tp=2))
    fwd, bwd = ("allreduce", "tp", 44), ("allreduce", "tp", 33)
    assert got == [("input", "forward", None), ("weights", "forward", None),
                   ("linear", "forward", None), ("activation", "forward", None), ("allreduce", "forward", fwd),
                   ("linear", "forward", None), ("activation", "forward", None), ("allreduce", "forward", fwd),
                   ("loss", "forward", None),
                   ("gradients", "backward", None), ("allreduce", "backward", bwd),
                   ("gradients", "backward", None), ("allreduce", "backward", bwd),
                   ("update", "backward", None)]
    titles = [e.title for e in split_story.plan(Parallel(tp=2), 2, "adamw", (), "")]
    assert len(set(titles)) == len(titles)  # the page tells the stages apart by title


def test_dp_beside_tp_adds_the_gradient_allreduce_and_zero_gathers_and_scatters():
    got = _plan(Parallel(dp=2, tp=2))
    assert got[-2:] == [("allreduce", "backward", ("allreduce", "dp", 22)), ("update", "backward", None)]
    assert sum(1 for s in got if s[2] and s[2][1] == "tp") == 4
    z = _plan(Parallel(dp=2, zero=3), n_layer=2)
    stages = [s for s, _, _ in z]
    # FSDP's units: the root's shards (embeddings, head) gathered before the embeddings, each block's before
    # its forward, each with its own bytes
    assert stages[:4] == ["input", "allgather", "weights", "allgather"]
    gathers = [s for s in z if s[0] == "allgather"]
    assert gathers == [("allgather", "forward", ("allgather", "dp", n)) for n in (11, 55, 66)] + [
        ("allgather", "backward", ("allgather", "dp", n)) for n in (11, 66, 55)]  # zero 3 gathers again for the backward
    # … the root's as the backward starts, each block's just before its backward (its MLP's gradients, the first)
    i = stages.index("loss")
    assert stages[i:i + 4] == ["loss", "allgather", "allgather", "gradients"]
    assert stages[stages.index("update") - 5:stages.index("update") - 3] == ["allgather", "gradients"]
    # each block's gradients reduce-scattered after its backward (its attention's, the last), the root's last
    assert [i for i, s in enumerate(z) if s[0] == "reducescatter"] == [stages.index("update") - 6,
                                                                       stages.index("update") - 2,
                                                                       stages.index("update") - 1]
    assert [s for s in z if s[0] == "reducescatter"] == [("reducescatter", "backward", ("reducescatter", "dp", n))
                                                         for n in (66, 55, 11)]


@contextlib.contextmanager
def started(config: dict, ready_s: float):
    """A split run whose workers are up (within `ready_s`); closed after, its processes gone."""
    t = DistributedTrainer(config)
    try:
        assert t.controller.wait_ready(ready_s)
        yield t
    finally:
        pids = t.controller.pids()
        t.close()
    assert all(gone(p) for p in pids)


def _outputs(cfg):
    """The one-process first step's sublayer outputs (attention's and the MLP's projections), and its loss."""
    ref = TransformerRun(cfg)
    seen = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: seen.append(out.detach()))
             for b in ref.model.blocks for m in (b.attn.proj, b.mlp.proj)]
    loss = ref.step(stats=False).loss
    for h in hooks:
        h.remove()
    return seen, loss, ref


def test_a_tp2_step_stage_by_stage_shows_the_real_allreduces(tiny):
    with started({**tiny, "workers": 2, "parallel": {"tp": 2}}, 180) as t:
        outs, loss, ref = _outputs(tiny)
        events = [t.next_stage() for _ in range(len(t.plan))]
        fwd = [e for e in events if e.stage == "allreduce" and e.direction == "forward"]
        assert len(fwd) == 2 * tiny["n_layer"]
        for e, out in zip(fwd, outs):
            v = e.values
            assert v.op == "allreduce" and v.group == "tp" and v.group_size == 2
            assert v.bytes == 4 * 16 * 32 * 4 and v.shape == [4, 16, 32]  # (b, T, C) float32
            assert [b["rank"] for b in v.before] == [0, 1] and len(v.after) == 2
            parts = np.array([b["slice"] for b in v.before])
            assert not np.allclose(parts[0], parts[1])  # each rank's heads give a different partial sum
            for a in v.after:  # the result: the partial sums added, on every rank …
                np.testing.assert_allclose(a["slice"], parts.sum(0), rtol=1e-6, atol=1e-7)
                # … and the one-process layer's output (bias included), window 1, position 1
                np.testing.assert_allclose(a["slice"], out.reshape(-1)[:len(a["slice"])].numpy(), rtol=1e-5, atol=1e-6)
            assert "on every rank" in e.formula
        bwd = [e for e in events if e.stage == "allreduce" and e.direction == "backward"]
        assert len(bwd) == 2 and all(e.values.group == "tp" and e.values.after for e in bwd)
        by = {e.stage: e for e in events}
        assert by["loss"].values.loss == pytest.approx(loss, rel=1e-5)
        # the update stage follows the tracked weight on rank 0 (it holds row 1 of qkv)
        u = by["update"].values
        assert u.param == "blocks.0.attn.qkv.weight" and u.after["value"] != u.before["value"]
        w = ref.model.blocks[0].attn.qkv.weight.detach()[0, 0].item()
        assert u.after["value"] == pytest.approx(w, rel=1e-5)
        snap = t.snapshot()
        assert snap.gpt["timeline"] and snap.step == 1
        # whole steps after the stepped one: still the one-process losses
        assert t.run(3) == 3
        got = [m.loss for m in t.take_metrics()]
        want = [ref.step(stats=False).loss for _ in range(3)]
        np.testing.assert_allclose(got[-3:], want, rtol=1e-5)
        # the next step stage by stage lands on the same numbers as one process
        again = [t.next_stage() for _ in range(len(t.plan))]
        nxt = ref.step(stats=False).loss
        assert next(e for e in again if e.stage == "loss").values.loss == pytest.approx(nxt, rel=1e-5)
        assert t.back(3) is not None  # stepping back through the kept stages


def test_a_zero3_step_stage_by_stage_shows_the_gathers_and_scatters(tiny):
    with started({**tiny, "workers": 2, "parallel": {"dp": 2, "zero": 3}}, 180) as t:
        plan = t.plan
        events = [t.next_stage() for _ in range(len(plan))]
        gathers = [(e, p) for e, p in zip(events, plan) if e.stage == "allgather"]
        scatters = [(e, p) for e, p in zip(events, plan) if e.stage == "reducescatter"]
        assert len(gathers) == 4 and len(scatters) == 2  # the root and the one block; gathered twice (zero 3)
        assert [p.direction for _, p in gathers] == ["forward", "forward", "backward", "backward"]
        for (f, _), (b, _) in zip(gathers[:2], gathers[2:]):  # the backward's gather: the same weights again
            assert b.values.after[0]["slice"] == f.values.after[0]["slice"] and b.values.bytes == f.values.bytes
        for e, p in gathers + scatters:
            v = e.values
            assert v.group == "dp" and v.bytes == p.comm[2]  # measured payload = the plan's (FSDP's padded unit)
            assert [b["rank"] for b in v.before] == [0, 1] and [a["rank"] for a in v.after] == [0, 1]
        for e, _ in gathers:  # the whole on every rank: rank 0's shard first
            v = e.values
            assert v.after[0]["slice"] == v.after[1]["slice"] == v.before[0]["slice"]
            assert v.before[0]["slice"] != v.before[1]["slice"] or v.before[0]["slice"][0] == 1.0  # LayerNorm's 1s
        v = scatters[0][0].values  # the block's gradients: rank 0 keeps the replicas' mean of its part
        np.testing.assert_allclose(v.after[0]["slice"], np.mean([b["slice"] for b in v.before], axis=0), rtol=1e-5, atol=1e-8)
        ref = TransformerRun(tiny)
        first = ref.step(stats=False).loss
        assert next(e for e in events if e.stage == "loss").values.loss == pytest.approx(first, rel=1e-5)
        assert t.run(2) == 2
        np.testing.assert_allclose([m.loss for m in t.take_metrics()][-2:], [ref.step(stats=False).loss for _ in range(2)],
                                   rtol=1e-5)


def test_a_zero1_step_ends_with_the_broadcast_of_the_updated_parameters(tiny):
    """ZeroRedundancyOptimizer: each rank updates its 1/dp of the parameters, then broadcasts them — the stage
    after `update`, its values measured in the update's half of the step."""
    with started({**tiny, "workers": 2, "parallel": {"dp": 2, "zero": 1}}, 180) as t:
        plan = t.plan
        assert [e.stage for e in plan][-3:] == ["allreduce", "update", "broadcast"]
        assert plan[-1].comm[:2] == ("broadcast", "dp") and plan[-1].comm[2] > 0
        events = [t.next_stage() for _ in range(len(plan))]
        v = events[-1].values
        assert v.op == "broadcast" and v.group == "dp" and v.group_size == 2 and v.direction == "update"
        assert v.bytes == plan[-1].comm[2]  # every parameter once: the measured total is the plan's
        assert [b["rank"] for b in v.before] == [0, 1] and [a["rank"] for a in v.after] == [0, 1]
        assert v.after[0]["slice"] == v.after[1]["slice"]  # the replicas equal again …
        assert v.before[0]["slice"] != v.before[1]["slice"]  # … after only the owner had the new values
        assert v.after[0]["slice"] in [b["slice"] for b in v.before]
        assert events[-1].params == events[-2].params  # the new parameters, as at the update
        ref = TransformerRun(tiny)
        assert next(e for e in events if e.stage == "loss").values.loss == pytest.approx(ref.step(stats=False).loss,
                                                                                          rel=1e-5)
        assert t.run(2) == 2  # whole steps after it: still one process's
        np.testing.assert_allclose([m.loss for m in t.take_metrics()][-2:], [ref.step(stats=False).loss for _ in range(2)],
                                   rtol=1e-5)


def test_a_pipeline_step_stage_by_stage_shows_the_sends(tiny):
    cfg = {**tiny, "n_layer": 2}
    with started({**cfg, "workers": 2, "parallel": {"pp": 2, "micro_batches": 2}}, 180) as t:  # 1F1B
        plan = t.plan
        stages = [(e.stage, e.direction, e.comm) for e in plan]
        act = 2 * 16 * 32 * 4  # one micro-batch's (b/m, T, C) float32
        # after block 1's MLP (stage 0's last sublayer) forward; after block 2's attention gradients backward
        assert stages[stages.index(("sendrecv", "forward", ("sendrecv", "pp", act))) - 1][0] == "activation"
        assert [s for s in stages if s[0] == "sendrecv"] == [("sendrecv", "forward", ("sendrecv", "pp", act)),
                                                             ("sendrecv", "backward", ("sendrecv", "pp", act))]
        ref = TransformerRun(cfg)
        seen = []
        hook = ref.model.blocks[0].register_forward_hook(lambda _m, _i, out: seen.append(out.detach()))
        first = ref.step(stats=False).loss
        hook.remove()
        events = [t.next_stage() for _ in range(len(plan))]
        fwd, bwd = [e.values for e in events if e.stage == "sendrecv"]
        assert [b["rank"] for b in fwd.before] == [0] and [a["rank"] for a in fwd.after] == [1]
        assert [b["rank"] for b in bwd.before] == [1] and [a["rank"] for a in bwd.after] == [0]
        for v in (fwd, bwd):  # what one stage sent is what the other received
            assert v.shape == [2, 16, 32] and v.bytes == act and v.before[0]["slice"] == v.after[0]["slice"]
        # stage 0's output for micro-batch 1 = the one-process stream after block 1, window 1
        np.testing.assert_allclose(fwd.before[0]["slice"], seen[0].reshape(-1)[:6].numpy(), rtol=1e-5, atol=1e-7)
        by = {e.stage: e for e in events}
        assert by["loss"].values.loss == pytest.approx(first, rel=1e-5)
        grads = [e.values for e in events if e.stage == "gradients"]
        assert len(grads) == 4 and all(g.dx_norm > 0 for g in grads)  # every stage's ∂L/∂x, both sides of the cut
        assert t.run(2) == 2
        np.testing.assert_allclose([m.loss for m in t.take_metrics()][-2:], [ref.step(stats=False).loss for _ in range(2)],
                                   rtol=1e-5)


def test_dp2_by_tp2_stage_by_stage_adds_within_each_tp_pair(tiny):
    with started({**tiny, "workers": 4, "parallel": {"dp": 2, "tp": 2}}, 240) as t:
        events = [t.next_stage() for _ in range(len(t.plan))]
        fwd = next(e for e in events if e.stage == "allreduce" and e.direction == "forward")
        v = fwd.values
        parts = {b["rank"]: np.array(b["slice"]) for b in v.before}
        got = {a["rank"]: np.array(a["slice"]) for a in v.after}
        for pair in ((0, 1), (2, 3)):  # ranks 0, 1 are replica 0's tp pair, 2, 3 replica 1's: each sums its own
            for r in pair:
                np.testing.assert_allclose(got[r], parts[pair[0]] + parts[pair[1]], rtol=1e-6, atol=1e-7)
        assert not np.allclose(got[0], got[2])  # the replicas read different shards
        assert fwd.formula.splitlines()[0].count("+") == 1  # rank 0's pair only
        dp = [e.values for e in events if e.stage == "allreduce" and e.values.group == "dp"]
        assert len(dp) == 1 and events[-2].values.group == "dp"
        for r in range(4):  # the replicas' mean, on every rank of its dp pair (0 with 2, 1 with 3)
            mate = (r + 2) % 4
            want = (np.array(dp[0].before[r]["slice"]) + np.array(dp[0].before[mate]["slice"])) / 2
            np.testing.assert_allclose(dp[0].after[r]["slice"], want, rtol=1e-6, atol=1e-9)
        ref = TransformerRun(tiny)
        assert next(e for e in events if e.stage == "loss").values.loss == pytest.approx(ref.step(stats=False).loss,
                                                                                          rel=1e-5)
