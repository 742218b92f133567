"""Model configs as pydantic models, derived from the engine's dataclasses (engine/config.py) so each
bound is written once: what `create`, `switch` and `configure` validate against, and the schema the page
builds its settings from. Part of the client's contract (protocol.py, which imports these)."""
from __future__ import annotations

import functools
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from flowscope.engine.config import field_specs
from flowscope.engine.models import MODELS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _not_bool(value):
    """Literal[1, 2] takes `true` (True == 1 in Python): where the schema says a number, a bool is refused."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


def _annotation(spec: dict[str, Any]):
    """The pydantic type of one engine setting, with its bounds."""
    def scalar(typ, choices, lo, hi):
        if choices:
            if typ in (int, float):
                return Annotated[Literal[tuple(choices)], BeforeValidator(_not_bool)]
            return Literal[tuple(choices)]
        bounds = {k: v for k, v in (("ge", lo), ("le", hi)) if v is not None}
        return Annotated[typ, Field(**bounds)] if bounds else typ

    default = spec["default"]
    if isinstance(default, tuple):  # a list setting
        items = spec["items"] or {}
        item_type = type(default[0]) if default else str
        inner = scalar(item_type, items.get("choices"), items.get("lo"), items.get("hi"))
        return Annotated[list[inner], Field(min_length=spec["min_len"], max_length=spec["max_len"])]
    one = scalar(spec["type"], spec["choices"], spec["lo"], spec["hi"])
    if spec["type"] is str and spec["max_len"] and not spec["or_list"]:  # free text, bounded
        return Annotated[str, Field(max_length=spec["max_len"])]
    if spec["or_list"]:
        return Union[one, Annotated[list[one], Field(max_length=spec["max_len"])]]
    return one


def _extra(spec: dict[str, Any]) -> dict[str, Any]:
    """The engine's words for a setting's choices (`x-titles`), what the page needs to know about them
    (`x-facts`) and whether a change applies live (`x-live`): the browser keeps no copy of its own."""
    items = spec["items"] or {}
    extra = {"x-titles": spec["titles"], "x-item-titles": items.get("titles"), "x-facts": spec["facts"],
             "x-live": spec["live"] or None}
    return {k: v for k, v in extra.items() if v}


def _config_model(name: str, cls, max_width: int | None = None) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in field_specs(cls):
        if max_width and spec["name"] == "hidden":  # a teacher's --max-width widens the engine's cap
            spec = {**spec, "items": {**spec["items"], "hi": max_width}}
        default = list(spec["default"]) if isinstance(spec["default"], tuple) else spec["default"]
        fields[spec["name"]] = (_annotation(spec), Field(default, description=spec["doc"],
                                                         json_schema_extra=_extra(spec) or None))
    return create_model(f"{name.title()}Config", __base__=Strict, **fields)


@functools.lru_cache(maxsize=8)
def config_models(max_width: int | None = None) -> dict[str, type[BaseModel]]:
    """Each model's config schema; `max_width` raises the cap on units per hidden layer."""
    return {name: _config_model(name, spec.config, max_width) for name, spec in MODELS.items()}


def validate_config(model: str, config: dict[str, Any], max_width: int | None = None,
                    max_workers: int | None = None) -> dict[str, Any]:
    """The full config (defaults filled in) or a pydantic ValidationError; a ValueError when it asks
    for more data-parallel workers than the server allows (--max-workers)."""
    full = config_models(max_width)[model].model_validate(config).model_dump()
    if max_workers and full.get("workers", 1) > max_workers:
        raise ValueError(f"config workers: {full['workers']} workers asked for; this server allows at most "
                         f"{max_workers} (its --max-workers)")
    return full
