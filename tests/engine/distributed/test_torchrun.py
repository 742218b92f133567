"""The torchrun entry point: `--parallel` splits the model, `--steps` is the step to reach (a resumed job
trains what is left), a checkpoint of another config is refused clearly, and the printed loss is the
global batch's (the mean of the shards'), as `workers: 1` computes it."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from flowscope.engine.transformer.run import TransformerRun

from .conftest import TINY


def torchrun(tmp_path, *args, timeout=120):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "flowscope.engine.distributed.worker", "--dir", str(tmp_path), "--timeout", "30", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, "OMP_NUM_THREADS": "1"})
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    return p, lines


def one_process(cfg, steps):
    run = TransformerRun(cfg)
    return [run.step(stats=False).loss for _ in range(steps)]


def test_steps_are_absolute_the_loss_is_global_and_another_config_is_refused(tmp_path):
    cfg = {**TINY, "batch_size": 4}
    p, first = torchrun(tmp_path, "--steps", "3", "--checkpoint-every", "1", "--config", json.dumps(cfg))
    assert p.returncode == 0, p.stderr[-2000:]
    assert [x["step"] for x in first] == [1, 2, 3]
    p, more = torchrun(tmp_path, "--steps", "5", "--checkpoint-every", "1", "--config", json.dumps(cfg))
    assert [x["step"] for x in more] == [4, 5]  # resumed at 3: two more steps, not five
    np.testing.assert_allclose([x["loss"] for x in first + more], one_process(cfg, 5), rtol=1e-5)
    p, none = torchrun(tmp_path, "--steps", "8", "--config", json.dumps({**cfg, "n_embd": 16}))
    assert p.returncode != 0 and not none
    assert "n_embd is 32 there, 16 here" in p.stderr and "fresh --dir" in p.stderr


@pytest.mark.parametrize("parallel", [{"tp": 2}, {"pp": 2, "micro_batches": 2}])
def test_parallel_splits_the_model_and_trains_like_one_process(tmp_path, parallel):
    cfg = {**TINY, "n_layer": 2, "batch_size": 4}
    p, lines = torchrun(tmp_path, "--steps", "4", "--config", json.dumps(cfg), "--parallel", json.dumps(parallel))
    assert p.returncode == 0, p.stderr[-2000:]
    np.testing.assert_allclose([x["loss"] for x in lines], one_process(cfg, 4), rtol=1e-5)
    assert lines[0]["parallel"] in ("tp2", "pp2·1f1b×2")
