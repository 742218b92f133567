"""Steps/s of one training step of the neuron: our NumPy engine vs a bare torch.nn + torch.optim
loop, and the Trainer (batching, history, metrics) vs the bare NumPy unit, in the same process.

    .venv/bin/python bench/engines.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.common import rate  # noqa: E402
from flowscope.engine.trainer import Trainer  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)
    trainer = Trainer("neuron", {"batch_size": 1})
    x, y = trainer.data.x, trainer.data.y
    unit = trainer.model
    i = [0]

    def bare_numpy():
        k = i[0] = (i[0] + 1) % len(y)
        unit.apply(unit.compute(x[k:k + 1], y[k:k + 1]), 0.1)

    lin = torch.nn.Linear(1, 1).double()
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    xt, yt = torch.tensor(x), torch.tensor(y)
    lossf = torch.nn.BCEWithLogitsLoss()

    def bare_torch():
        k = i[0] = (i[0] + 1) % len(y)
        opt.zero_grad()
        lossf(lin(xt[k:k + 1]).squeeze(1), yt[k:k + 1]).backward()
        opt.step()

    trainer_rate = rate(lambda: trainer.run(1))
    numpy_rate = rate(bare_numpy)
    torch_rate = rate(bare_torch)
    print(f"neuron, batch 1, {len(y)} samples")
    print(f"  bare torch.nn + torch.optim : {torch_rate:9,.0f} steps/s")
    print(f"  bare NumPy unit             : {numpy_rate:9,.0f} steps/s   ({numpy_rate / torch_rate:.1f}× torch)")
    print(f"  Trainer.run (whole loop)    : {trainer_rate:9,.0f} steps/s   "
          f"(ratio to bare NumPy {trainer_rate / numpy_rate:.2f}; includes the whole-set loss each step)")
    assert np.isfinite(trainer.train_loss())


if __name__ == "__main__":
    main()
