"""The settings a page starts from are the engine's and served (GET /api/schema `starts`): the
Transformer page's small CPU model is one place (engine/transformer/config.py PAGE_START), and it is a
config the server accepts."""
from flowscope.engine.transformer.config import PAGE_START
from flowscope.server.configs import validate_config
from flowscope.server.protocol import json_schema


def test_the_transformer_page_starts_from_the_engine_small_model():
    starts = json_schema()["starts"]
    assert starts["transformer"] == PAGE_START
    full = validate_config("transformer", starts["transformer"])
    assert full["n_layer"] < validate_config("transformer", {})["n_layer"], "smaller than the GPU defaults"
    assert all(starts[m] == {} for m in ("neuron", "line", "mlp"))
