"""Every stage's values are typed by the engine's dataclasses (engine/stagevalues.py) on the wire:
what a client receives validates against the type for that model and stage, and nothing else."""
import json
import typing

import pytest
from pydantic import TypeAdapter, ValidationError

from flowscope.engine import stagevalues as sv
from flowscope.engine.trainers import make_trainer
from flowscope.server import messages as m
from flowscope.server.replies import SERVER
from flowscope.server.wire import encode

TINY_GPT = {"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1}
CASES = [("neuron", {}), ("line", {}), ("line", {"bias": True}), ("mlp", {"hidden": [3, 2]}),
         ("mlp", {"hidden": [], "dataset": "three"}), ("transformer", TINY_GPT)]


@pytest.mark.parametrize("model,config", CASES)
def test_each_stage_sends_its_own_type_and_the_json_reads_back_as_it(model, config):
    t = make_trainer(model, config)
    seen = set()
    for _ in range(2 * len(t.plan)):
        ev = t.next_stage()
        cls = type(ev.values)
        assert cls in typing.get_args(sv.StageValues), cls
        wire = json.loads(encode(m.stage_msg(ev)))["values"]
        back = TypeAdapter(cls).validate_python(wire)  # strict enough: every required field is there
        assert back.as_json() == wire
        assert all(v is not None for v in wire.values())  # absent, never null
        seen.add((ev.stage, cls.__name__))
    assert len({stage for stage, _ in seen}) == len({e.stage for e in t.plan})


def test_a_bias_free_line_has_no_b_at_all():
    t = make_trainer("line", {})
    stages = {ev.stage: json.loads(encode(m.stage_msg(ev)))["values"] for ev in (t.next_stage() for _ in t.plan)}
    assert "b" not in stages["weights"] and "grad_b" not in stages["gradients"] and "b" not in stages["update"]


def test_the_schema_names_every_stage_type():
    text = json.dumps(SERVER.json_schema())
    for cls in typing.get_args(sv.StageValues):
        assert cls.__name__ in text, cls


def test_a_missing_field_is_refused():
    with pytest.raises(ValidationError):
        TypeAdapter(sv.UnitGradients).validate_python({"grad_w": [0.1]})  # no dz
