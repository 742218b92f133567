"""TransformerRun: learning, fine-tuning, the schedule and clipping in use, devices, probes."""
import collections
import math
import os

import pytest
import torch

from flowscope.engine.flow import Divergence
from flowscope.engine.transformer.run import TransformerRun, auto_threads, resolve_device


def unigram_entropy(ids: torch.Tensor) -> float:
    counts = torch.bincount(ids).float()
    p = counts[counts > 0] / counts.sum()
    return float(-(p * p.log()).sum())


def test_a_few_hundred_steps_bring_the_loss_far_below_the_unigram_entropy(tiny):
    run = TransformerRun({**tiny, "lr": 6e-3, "batch_size": 16, "decay_steps": 400})
    h = unigram_entropy(run.data.splits["pretrain"].train)  # the best a model that ignores context can do
    start = run.evaluate()["val"]
    assert start == pytest.approx(math.log(len(run.tok)), abs=0.2)
    for _ in range(400):
        run.step(stats=False)
    ev = run.evaluate()
    assert ev["train"] < h - 0.8, (ev, h)
    assert ev["val"] < h - 0.5, (ev, h)


def test_finetuning_continues_from_the_pretrained_weights_and_learns_the_task(tiny):
    run = TransformerRun(tiny)
    for _ in range(60):
        run.step(stats=False)
    weights = {n: p for n, p in run.model.named_parameters()}
    values = {n: p.detach().clone() for n, p in weights.items()}
    old_optimizer = run.optimizer
    event = run.switch_phase("finetune")
    for n, p in run.model.named_parameters():  # the very same tensors, untouched by the switch
        assert p is weights[n] and torch.equal(p, values[n])
    assert run.optimizer is not old_optimizer and not run.optimizer.state  # a fresh Adam state
    assert run.schedule.start == 60 and run.lr_at() < run.config.finetune_lr  # its own warmup
    assert set(event["samples"]) == {"text", "task"} and event["eval"]["task_val"] > 1.0
    before = event["eval"]
    for _ in range(150):
        run.step(stats=False)
    after = run.evaluate()
    assert after["task_val"] < before["task_val"] - 1.0  # the task is learned …
    assert after["val"] > before["val"]  # … and the corpus is partly forgotten
    phases = collections.Counter(h["phase"] for h in run.history)
    assert phases == {"pretrain": 60, "finetune": 150}
    assert run.task_accuracy(5)["examples"][0]["question"].startswith("Q: ")


def test_the_steps_use_the_schedule_and_report_it(tiny):
    run = TransformerRun(tiny)
    lrs = [run.step(stats=False).lr for _ in range(12)]
    assert lrs == pytest.approx([run.schedule.lr_at(i) for i in range(12)])
    assert lrs[0] == pytest.approx(run.config.lr / 10) and lrs[9] == pytest.approx(run.config.lr)
    view = run.schedule_view(points=50)
    assert view["now"] == 12 and view["lr"] == run.lr_at(12)
    assert view["curve"][0] == [0, run.schedule.lr_at(0)]  # [step, η] pairs, as frontend/gpt/optim.js draws them


@pytest.mark.parametrize("clip", [0.05, 1000.0])
def test_clipping_brings_the_gradient_norm_to_the_threshold(tiny, clip):
    run = TransformerRun({**tiny, "grad_clip": clip})
    stats = run.step()
    after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in run.params])).item()
    if clip < stats.grad_norm:
        assert stats.clipped and after == pytest.approx(clip, rel=1e-4)
    else:
        assert not stats.clipped and after == pytest.approx(stats.grad_norm, rel=1e-5)


def test_step_reports_per_layer_gradient_norms_and_update_ratios(tiny):
    run = TransformerRun(tiny)
    s = run.step()
    assert list(s.layer_grad_norms) == ["embedding", "block 1", "block 2", "head"] == list(s.update_ratios)
    assert math.sqrt(sum(v * v for v in s.layer_grad_norms.values())) == pytest.approx(s.grad_norm, rel=1e-4)
    assert all(0 < r < 1 for r in s.update_ratios.values())
    assert s.tokens == 8 * 32 and s.seconds > 0 and run.tokens_per_s > 0 and s.step == run.steps == 1


def test_next_token_distribution_sums_to_one_and_top_k_zeroes_the_rest(tiny):
    run = TransformerRun(tiny)
    for _ in range(20):
        run.step(stats=False)
    full = run.next_token_probs("The with statement")
    p = torch.tensor(full["probs"])
    assert len(p) == len(run.tok) and p.sum().item() == pytest.approx(1.0, abs=1e-5)
    top = torch.tensor(run.next_token_probs("The with statement", top_k=5)["probs"])
    assert (top > 0).sum() == 5 and top.sum().item() == pytest.approx(1.0, abs=1e-5)
    kept = torch.topk(p, 5).indices
    assert torch.allclose(top[kept], p[kept] / p[kept].sum(), atol=1e-6)
    greedy = torch.tensor(run.next_token_probs("The with", temperature=0)["probs"])
    assert greedy.max() == 1.0 and greedy.sum() == 1.0
    mid = run.next_token_probs("The with statement", position=3)
    assert mid["context"] == "The "
    with pytest.raises(ValueError):
        run.next_token_probs("abc", position=7)


def test_sampling_is_seeded_and_probes_leave_the_model_in_training_mode(tiny):
    run = TransformerRun(tiny)
    a, b = run.sample(40, seed=1), run.sample(40, seed=1)
    assert a == b and len(a) == 40 and set(a) <= set(run.tok.vocab)
    assert run.sample(40, seed=2) != a
    att = run.attention("def f(x):\n    return x")
    assert len(att["layers"]) == 2 and len(att["layers"][0]) == 2 and len(att["tokens"]) == 22
    row = att["layers"][1][0][5]
    assert sum(row) == pytest.approx(1.0, abs=1e-5) and row[6:] == [0.0] * 16
    assert run.model.training


def test_per_char_loss_matches_the_models_loss(tiny):
    run = TransformerRun(tiny)
    snippet = "The return statement"
    out = run.per_char_loss(snippet)
    assert out["loss"][0] is None and len(out["loss"]) == len(snippet)
    ids = torch.tensor([run.tok.encode(snippet)])
    run.model.eval()
    with torch.no_grad():
        loss = run.model(ids[:, :-1], ids[:, 1:])[1].item()
    assert out["mean"] == pytest.approx(loss, abs=1e-5)
    long = run.per_char_loss(snippet * 5)  # longer than block_size: read in windows
    assert len(long["loss"]) == len(snippet) * 5 and None not in long["loss"][1:]


def test_optimizer_state_shows_adams_moments_for_one_weight(tiny):
    run = TransformerRun(tiny)
    empty = run.optimizer_state("lm_head.weight", (3, 4))
    assert empty["step"] == 0 and "exp_avg" not in empty
    for _ in range(3):
        run.step(stats=False)
    s = run.optimizer_state("lm_head.weight", (3, 4))
    state = run.optimizer.state[run.model.lm_head.weight]
    assert s["step"] == 3 and s["exp_avg"] == state["exp_avg"][3, 4].item()
    assert s["exp_avg_sq"] == state["exp_avg_sq"][3, 4].item() and s["value"] == run.model.lm_head.weight[3, 4].item()
    with pytest.raises(ValueError, match="shape"):
        run.optimizer_state("lm_head.weight", (0, 999))
    with pytest.raises(ValueError, match="no parameter"):
        run.optimizer_state("nope", (0,))


def test_evaluate_is_repeatable_and_restores_training_mode(tiny):
    run = TransformerRun(tiny)
    a, b = run.evaluate(), run.evaluate()
    assert a == b and set(a) == {"train", "val", "task_train", "task_val"} and run.model.training


def test_same_seed_same_run(tiny):
    a, b = TransformerRun(tiny), TransformerRun(tiny)
    assert [a.step(stats=False).loss for _ in range(5)] == [b.step(stats=False).loss for _ in range(5)]
    c = TransformerRun({**tiny, "seed": 1})
    assert c.step(stats=False).loss != TransformerRun(tiny).step(stats=False).loss


def test_devices_on_a_machine_without_a_gpu(tiny):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert resolve_device("auto") == resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        TransformerRun({**tiny, "device": "cuda"})
    run = TransformerRun({**tiny, "bf16": True})
    assert not run.bf16 and "ignored" in run.notes[0] and run.view()["precision"] == "float32"
    assert run.step(stats=False).loss > 0 and run.view()["device"] == "cpu"


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_other_optimizers(tiny, optimizer):
    run = TransformerRun({**tiny, "optimizer": optimizer, "lr": 0.5 if optimizer == "sgd" else 3e-3, "warmup": 0})
    first = run.step(stats=False).loss
    losses = [run.step(stats=False).loss for _ in range(40)]
    assert sum(losses[-5:]) / 5 < first - 0.5
    assert run.optimizer.param_groups[0]["weight_decay"] == 0.0


def test_a_runaway_learning_rate_is_reported_as_divergence(tiny):
    run = TransformerRun({**tiny, "optimizer": "sgd", "lr": 10.0, "warmup": 0, "grad_clip": 0.0})
    with pytest.raises(Divergence, match="diverged"):
        for _ in range(200):
            run.step(stats=False)
    run.set_live(lr=1e-3)
    assert run.diverged is None


def test_threads_auto_leaves_a_core_free(tiny):
    before = torch.get_num_threads()
    try:
        TransformerRun({**tiny, "threads": 0})
        assert torch.get_num_threads() == auto_threads() == max(1, min(4, os.cpu_count() - 1))
        TransformerRun({**tiny, "threads": 2})
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="multiple of n_head"):
        TransformerRun({"n_embd": 30, "n_head": 4})
