"""llm-viz writes each stage's tensor (B, T, C) beside its formula (issue 22 §5): the data-parallel
plan says them too, from the engine — each worker's step is the one-process step on its B windows,
and the all-reduce carries every gradient, P numbers. B is one worker's shard: the global batch / N."""
from types import SimpleNamespace

from flowscope.engine.distributed import story
from flowscope.engine.distributed.parallel import resolve
from flowscope.engine.distributed.trainer import DistributedTrainer
from flowscope.engine.transformer.config import TransformerConfig
from flowscope.engine.transformer.run import TransformerRun


def test_the_data_parallel_plan_carries_tensor_shapes(tiny):
    cfg = TransformerConfig(**{**tiny, "workers": 2})
    local = TransformerRun(cfg)
    # the trainer's own property, without starting its worker processes
    par = resolve(cfg.parallel, cfg.workers, n_head=cfg.n_head, n_layer=cfg.n_layer, batch_size=cfg.batch_size)
    plan = DistributedTrainer.plan.fget(SimpleNamespace(config=cfg, local=local, par=par, split=False))
    B, T, C = cfg.batch_size // 2, cfg.block_size, cfg.n_embd  # each worker's shard (worker.py)
    by = {e.title: e.shape for e in plan}
    assert by["Weights"] == f"x (B, T, C) = ({B}, {T}, {C})"
    assert by["Input"] == f"ids (B, T) = ({B}, {T})"
    assert all(e.shape for e in plan if e.stage not in ("update",)), [e.title for e in plan if not e.shape]
    one = story.one.plan(cfg.n_layer, cfg.optimizer, (B, T, C, cfg.n_head, local.model_config.vocab_size))
    assert [e for e in plan if e.stage != "allreduce"] == list(one)  # the one-process step on a shard
    ar = next(e for e in plan if e.stage == "allreduce")
    assert ar.shape == f"g (P) = ({local.model.num_params()})"
    assert [e.stage for e in plan][-3:] == ["gradients", "allreduce", "update"]


def test_without_sizes_the_plan_has_no_shapes():
    assert all(e.shape == "" for e in story.plan(1))
