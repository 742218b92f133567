"""Refused means unchanged (issue 12, item 2): a `configure` the server refuses leaves the room's
state — config included — byte for byte what it was, and one the schema and the engine accept is
applied. Property-tested with hypothesis over every setting of every model, on a real Runner."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from flowscope.server.configs import config_models, validate_config

from test_runner_guard import TINY_GPT, Room

WRONG = st.one_of(st.none(), st.booleans(), st.text(max_size=3), st.lists(st.integers(), max_size=2),
                  st.integers(-10**9, 10**9), st.floats(allow_nan=True, allow_infinity=True),
                  st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


def near(prop: dict):
    """Values in and just outside a setting's bounds and choices, from its JSON Schema."""
    choices = prop.get("enum") or [c.get("const") for c in prop.get("anyOf", []) if "const" in c]
    if choices:
        return st.sampled_from(choices)
    lo, hi = prop.get("minimum"), prop.get("maximum")
    if prop.get("type") == "integer":
        lo, hi = (lo if lo is not None else -5), (hi if hi is not None else 5)
        return st.integers(lo - 2, min(hi, lo + 40) + 2) | st.sampled_from([hi, hi + 1])
    if prop.get("type") == "number":
        lo, hi = (lo if lo is not None else -5.0), (hi if hi is not None else 5.0)
        return st.floats(lo - 1, hi + 1, allow_nan=False) | st.sampled_from([lo, hi, hi * 1.5 + 1])
    if prop.get("type") == "array":
        return st.lists(st.integers(0, 9), max_size=7) | st.lists(st.sampled_from(["x1", "x2", "sin_x1", "q"]), max_size=3)
    if prop.get("type") == "string":
        return st.text(max_size=20)
    return WRONG


def configs(model: str, skip=()):
    props = {k: v for k, v in config_models()[model].model_json_schema()["properties"].items() if k not in skip}
    return st.dictionaries(st.sampled_from(sorted(props)), st.none(), min_size=1, max_size=3).flatmap(
        lambda keys: st.fixed_dictionaries({k: near(props[k]) | WRONG for k in keys}))


def check(room: Room, model: str, change: dict) -> None:
    before = room.state()
    try:
        full = validate_config(model, {**before["config"], **change})
        schema_ok = True
    except ValidationError:
        schema_ok = False
    room.send({"type": "configure", "config": change})
    reply = room.wait_for(lambda to, m: m["type"] in ("error", "state"))
    if reply["type"] == "state":
        assert schema_ok, f"accepted although the schema refuses it: {change}"
        assert all(reply["config"][k] == full[k] for k in change)
        return
    assert reply["code"] == "bad_message", reply
    room.wait_for(lambda to, m: m["type"] == "state")
    after = room.state()
    assert after == before, f"refused {change} ({reply['message']}) but the state changed"


def seeded(examples: int):
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None)


@pytest.mark.parametrize("model", ["neuron", "line", "mlp"])
def test_refused_configure_changes_nothing(model):
    room = Room(model)
    try:
        @seeded(120)
        @given(configs(model))
        def prop(change):
            check(room, model, change)

        prop()
    finally:
        room.close()


def test_refused_transformer_configure_changes_nothing():
    """Sizes stay small so each accepted rebuild is quick; text and betas are the cases that broke."""
    room = Room("transformer", TINY_GPT)
    small = {"n_layer": st.integers(0, 2), "n_head": st.integers(0, 5), "n_embd": st.sampled_from([8, 12, 16, 17]),
             "block_size": st.integers(6, 20), "batch_size": st.integers(0, 4), "eval_iters": st.integers(0, 2),
             "text": st.sampled_from(["", "abc", "hello world " * 4]), "beta1": st.sampled_from([0, 0.5, 1, "0.9"]),
             "warmup": st.integers(0, 3000), "decay_steps": st.integers(0, 3000), "lr": st.floats(0, 20)}
    try:
        @seeded(40)
        @given(st.dictionaries(st.sampled_from(sorted(small)), st.none(), min_size=1, max_size=3).flatmap(
            lambda keys: st.fixed_dictionaries({k: small[k] for k in keys})))
        def prop(change):
            check(room, "transformer", {**change, "eval_iters": change.get("eval_iters", 1)})

        prop()
    finally:
        room.close()


def test_the_cases_from_the_report():
    room = Room("transformer", TINY_GPT)
    try:
        before = room.state()
        room.send({"type": "configure", "config": {"text": "too short"}})
        assert "block_size" in room.wait_for(lambda to, m: m["type"] == "error")["message"]
        assert room.state()["config"] == before["config"]
        room.send({"type": "reset"})
        room.wait_for(lambda to, m: m["type"] == "state")
        room.send({"type": "configure", "config": {"beta1": 0}})  # an int where torch wants a float
        assert room.wait_for(lambda to, m: m["type"] in ("error", "state"))["type"] == "state"
        assert room.state()["config"]["beta1"] == 0.0
    finally:
        room.close()
