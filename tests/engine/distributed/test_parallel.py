"""Tensor, pipeline and sharded parallelism train exactly like one process: every strategy (and dp×tp,
dp×pp on 4 workers) gives the `workers: 1` losses for 20 steps, and what each rank measured — its
collectives, its timeline, what it holds — matches the formulas.

Why equal: every rank draws the same global batch; dp shards it, tp splits each matmul by heads or hidden
units and sums the partial products (Shoeybi et al. 2019), pp cuts the blocks and feeds equal
micro-batches whose mean gradient is the batch's (GPipe), ZeRO only changes where the same numbers live.
"""
import numpy as np
import pytest

from flowscope.engine.distributed.launch import train
from flowscope.engine.distributed.observe import idle_share
from flowscope.engine.distributed.parallel import Parallel, comm_plan
from flowscope.engine.transformer.run import TransformerRun

from .conftest import TEXT

CFG = dict(text=TEXT, n_layer=2, n_head=2, n_embd=16, block_size=8, batch_size=8, seed=3, threads=1,
           eval_iters=1, warmup=2, decay_steps=100, dropout=0.0)
STEPS = 20
TWO = [{"dp": 2}, {"tp": 2}, {"pp": 2, "micro_batches": 4, "schedule": "gpipe"}, {"pp": 2, "micro_batches": 4},
       {"dp": 2, "zero": 1}, {"dp": 2, "zero": 2}, {"dp": 2, "zero": 3}]
FOUR = [{"dp": 2, "tp": 2}, {"dp": 2, "pp": 2, "micro_batches": 2}, {"dp": 2, "tp": 2, "zero": 2},
        {"dp": 2, "tp": 2, "zero": 3}, {"tp": 2, "pp": 2, "micro_batches": 2}]


@pytest.fixture(scope="module")
def one():
    run = TransformerRun(CFG)
    return [run.step(stats=False).loss for _ in range(STEPS)], {n: tuple(p.shape) for n, p in run.model.named_parameters()}


@pytest.fixture(scope="module")
def runs():
    """Per world size, per rank, per job: what the rank measured (two spawns: starting processes is the cost)."""
    return {2: train(2, [{"config": CFG, "parallel": p, "steps": STEPS} for p in TWO], timeout=240),
            4: train(4, [{"config": CFG, "parallel": p, "steps": STEPS} for p in FOUR], timeout=240)}


def jobs(runs):
    for world, pars in ((2, TWO), (4, FOUR)):
        for j, par in enumerate(pars):
            yield par, [rank[j] for rank in runs[world]]


def test_every_strategy_trains_like_one_process(runs, one):
    losses, _ = one
    names = []
    for par, ranks in jobs(runs):
        names.append(ranks[0]["name"])
        for r in ranks:  # every rank reports the same global loss
            np.testing.assert_allclose(r["losses"], losses, rtol=1e-5, err_msg=r["name"])
    assert names == ["dp2", "tp2", "pp2·gpipe×4", "pp2·1f1b×4", "dp2·zero1", "dp2·zero2", "dp2·zero3",
                     "dp2·tp2", "dp2·pp2·1f1b×2", "dp2·tp2·zero2", "dp2·tp2·zero3", "tp2·pp2·1f1b×2"]


def test_measured_payloads_equal_the_plans_formulas(runs, one):
    _, shapes = one
    for par, ranks in jobs(runs):
        for r in ranks:
            measured: dict[str, int] = {}
            for c in r["comm"]:
                if c["bytes"] > 8:  # the gradient norm's and the loss's scalars are bookkeeping, not the plan's
                    measured[c["op"]] = measured.get(c["op"], 0) + c["bytes"]
            p = Parallel(**r["parallel"])
            plan = comm_plan(p, shapes, CFG["batch_size"], CFG["block_size"], CFG["n_embd"], CFG["n_layer"], r["rank"])
            expected: dict[str, int] = {}
            for stage in plan:
                expected[stage["stage"]] = expected.get(stage["stage"], 0) + stage["bytes"]
            assert measured == expected, (r["name"], r["rank"])
            assert all(c["group"] in (2, 4) for c in r["comm"]), (r["name"], [(c["op"], c["group"]) for c in r["comm"]])


def test_each_rank_holds_its_part(runs, one):
    _, shapes = one
    total = sum(int(np.prod(s)) for s in shapes.values()) * 4
    by = {ranks[0]["name"]: ranks for _, ranks in jobs(runs)}
    for r in by["dp2"]:  # replicas: everything, whole
        assert all(h["shape"] == h["full_shape"] for h in r["holds"]) and len(r["holds"]) == len(shapes)
        assert r["memory"]["params"] == total and r["memory"]["optimizer"] == 2 * total  # Adam's m and v
    for r in by["tp2"]:  # heads and hidden units split: qkv (3C/2, C), attn.proj (C, C/2)
        h = {x["param"]: x for x in r["holds"]}
        assert h["blocks.0.attn.qkv.weight"]["shape"] == [24, 16] and h["blocks.0.attn.proj.weight"]["shape"] == [16, 8]
        assert h["wte.weight"]["shape"] == h["wte.weight"]["full_shape"]
    for name in ("pp2·gpipe×4", "pp2·1f1b×4"):  # stage 0 holds block 0 and the embeddings, stage 1 the rest
        first, last = ({x["param"].split(".")[0] + "." + x["param"].split(".")[1] if x["param"].startswith("blocks")
                        else x["param"].split(".")[0] for x in r["holds"]} for r in by[name])
        assert first == {"wte", "wpe", "blocks.0"} and last == {"blocks.1", "ln_f", "lm_head"}
    for z in (1, 2, 3):  # ZeRO: the optimizer state halves; from 2 on the gradients and parameters too
        r = by[f"dp2·zero{z}"]
        opt = sum(x["memory"]["optimizer"] for x in r)
        assert opt == pytest.approx(2 * total, rel=0.02) and max(x["memory"]["optimizer"] for x in r) < 1.1 * total
        held = r[0]["memory"]["params"]
        assert held == total if z == 1 else held == pytest.approx(total / 2, rel=0.02)
    # 1F1B keeps fewer micro-batches' activations alive than GPipe (all m before any backward)
    assert max(r["memory"]["activations"] for r in by["pp2·1f1b×4"]) < max(r["memory"]["activations"]
                                                                             for r in by["pp2·gpipe×4"])


def test_the_pipeline_timeline_shows_each_micro_batch_and_the_bubble(runs):
    by = {ranks[0]["name"]: ranks for _, ranks in jobs(runs)}
    for name in ("pp2·gpipe×4", "pp2·1f1b×4"):
        for r in by[name]:
            segs = r["segments"]
            assert {s["kind"] for s in segs} <= {"compute", "comm", "idle"}
            assert all(0 <= s["t0"] <= s["t1"] for s in segs)
            assert all(a["t1"] <= b["t0"] + 1e-9 for a, b in zip(segs, segs[1:]))  # in order, not overlapping
            chunks = {(s["op"], s["micro_batch"]) for s in segs if s["kind"] == "compute" and s["op"]}
            assert chunks == {(op, m) for op in ("forward", "backward") for m in range(4)}
        segs = by[name][1]["segments"]  # stage 1 waits for stage 0's first activations before its first forward
        first = next(i for i, s in enumerate(segs) if s["op"] == "forward")
        assert any(s["kind"] == "idle" for s in segs[:first])
        share = idle_share(by[name][1]["segments"])
        assert 0 < share < 1


def test_the_tensor_parallel_allreduce_adds_the_ranks_partial_outputs(runs, one):
    """Megatron's row-parallel layer: each rank's output is a partial sum over its heads; the forward
    all-reduce adds them — the first entries after equal the sum of the pieces before, on both ranks."""
    from flowscope.engine.distributed.observe import parallel_view

    _, shapes = one
    by = {ranks[0]["name"]: ranks for _, ranks in jobs(runs)}
    for name in ("tp2", "dp2"):
        ranks = by[name]
        p = Parallel(**ranks[0]["parallel"])
        view = parallel_view(p, ranks, shapes, CFG["batch_size"], CFG["block_size"], CFG["n_embd"], CFG["n_layer"])
        stage = view["plan"][0]
        assert (stage["stage"], stage["direction"]) == ("allreduce", "forward" if name == "tp2" else "backward")
        pieces = stage["ranks"]
        before = np.array([r["before"] for r in pieces])
        assert np.abs(before[0] - before[1]).max() > 1e-4  # the ranks' pieces differ …
        for r in pieces:  # … and their sum is what every rank holds after
            np.testing.assert_allclose(r["after"], before.sum(0), rtol=1e-5, atol=1e-7)
        if name == "tp2":
            assert pieces[0]["shape"] == [CFG["batch_size"], CFG["block_size"], CFG["n_embd"]]


def test_who_holds_what_per_block_adds_up_to_the_model(runs, one):
    """observe.holdings, the page's blocks × ranks picture: per block, the shares the ranks keep add up to the
    whole model once (sharded: ZeRO, pipeline stages) or once per copy (replicated)."""
    from flowscope.engine.distributed.observe import holdings

    _, shapes = one
    by = {ranks[0]["name"]: ranks for _, ranks in jobs(runs)}
    pic = {name: holdings(ranks, shapes) for name, ranks in by.items()}
    assert pic["dp2"]["blocks"] == ["wte", "wpe", "block 0", "block 1", "ln_f", "lm_head"]
    total = lambda name, key, col: sum(r["cells"][col][key] for r in pic[name]["ranks"])  # noqa: E731
    for col in range(6):
        assert total("dp2", "params", col) == total("dp2", "optimizer", col) == 2  # two whole copies
        assert total("pp2·1f1b×4", "params", col) == 1  # each block on one stage
        assert total("dp2·zero1", "params", col) == 2 and total("dp2·zero1", "optimizer", col) == pytest.approx(1)
        for z in ("dp2·zero2", "dp2·zero3"):
            assert total(z, "params", col) == total(z, "grads", col) == pytest.approx(1)
    tp = pic["tp2"]["ranks"][0]["cells"]
    assert tp[0]["params"] == 1 and 0.5 <= tp[2]["params"] < 0.6  # a block's matrices halved, its LayerNorms whole
