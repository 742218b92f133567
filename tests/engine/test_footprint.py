"""What a run holds, before it is built (engine/footprint.py): the server's budget counts these."""
from __future__ import annotations

from flowscope.engine.footprint import Footprint, footprint
from flowscope.engine.scale.small import estimate_small
from flowscope.engine.transformer.budget import cost
from flowscope.engine.transformer.config import TransformerConfig
from flowscope.server.configs import validate_config


def full(model: str, **config) -> dict:
    return validate_config(model, config)


def test_a_transformer_holds_what_its_budget_prices_and_a_copy_per_worker():
    one = footprint("transformer", full("transformer", n_layer=2, n_embd=32, n_head=2, batch_size=4))
    c = cost(TransformerConfig(**full("transformer", n_layer=2, n_embd=32, n_head=2, batch_size=4)))
    assert (one.params, one.bytes, one.workers) == (c.params, c.train_bytes, 0)
    two = footprint("transformer", full("transformer", n_layer=2, n_embd=32, n_head=2, batch_size=4, workers=2))
    assert two.params == one.params and two.workers == 2
    assert two.bytes == 3 * one.bytes  # each worker's copy and the room's own


def test_small_models_are_their_layers():
    net = footprint("mlp", full("mlp", hidden=[4, 2], features=["x1", "x2", "x1x2"], dataset="three"))
    assert net.params == estimate_small("mlp", [3, 4, 2, 3], 10, "sgd")["params"]["total"] == 3 * 4 + 4 + 4 * 2 + 2 + 2 * 3 + 3
    custom = footprint("mlp", full("mlp", hidden=[4], dataset="custom"))
    assert custom.params == 2 * 4 + 4 + 4 * 10 + 10  # a person's points may have up to 10 classes: the widest head
    assert footprint("neuron", full("neuron")).params == 2 and footprint("line", full("line")).params == 2
    neuron = footprint("neuron", full("neuron"))
    assert neuron + net == Footprint(neuron.params + net.params, neuron.bytes + net.bytes, 0)
