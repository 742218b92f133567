"""The Scale calculator over HTTP: POST /api/scale and GET /api/scale/presets (docs/protocol.md).

Only validation and plumbing: the arithmetic is engine/scale's. Types and bounds are checked here by
one model, ScaleRequest, for both ways in: POST /api/scale parses its body with it (`parse`) and the
socket's `scale` query nests it, both with pydantic's JSON parser. It is strict: `true` or "12" is not
an integer, 12.0 is not one either, and NaN, Infinity or an overflowing 1e400 is not a number (422
naming the field, never the value, which JSON could not carry back). The engine checks what needs
several fields at once (heads that don't divide d_model, dp·tp·pp ≠ n_gpus, tp beyond the key/value
heads) and raises ScaleError, answered the same way.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flowscope.engine.scale import (ATTENTION_FLOPS, EXTRA, GPUS, LADDER, MAX_GPUS, OPTIMIZERS, POSITIONS, PRECISIONS,
                                    RECOMPUTE, ScaleError, estimate, ladder)

router = APIRouter(tags=["scale"])

Count = Annotated[int, Field(ge=1, le=10**8)]
GpuCount = Annotated[int, Field(ge=1, le=MAX_GPUS)]
Fraction = Annotated[float, Field(gt=0, le=1)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ModelIn(In):
    """A transformer's shape (any field left out keeps the preset's), or `sizes` for the neuron/MLP."""

    n_layer: Optional[Count] = None
    d_model: Optional[Count] = None
    n_head: Optional[Count] = None
    n_kv_head: Optional[Count] = Field(None, description="key/value heads (GQA); = n_head for multi-head attention")
    d_ff: Optional[Count] = None
    vocab: Optional[Count] = None
    seq_len: Optional[Count] = None
    mlp: Optional[Literal["gelu", "swiglu"]] = None
    tied_embeddings: Optional[bool] = None
    norm: Optional[Literal["layernorm", "rmsnorm"]] = None
    bias: Optional[bool] = None
    position: Optional[Literal[POSITIONS]] = None
    embed_norm: Optional[bool] = None
    dropout: Optional[bool] = None
    sizes: Optional[Annotated[list[Annotated[int, Field(ge=1, le=10**6)]], Field(min_length=2, max_length=16)]] = \
        Field(None, description="neuron/mlp only: units per layer, inputs first")


class TrainingIn(In):
    tokens: Optional[Annotated[float, Field(gt=0, le=1e17)]] = None
    micro_batch: Optional[Annotated[int, Field(ge=1, le=100_000)]] = None
    precision: Optional[Literal[tuple(PRECISIONS)]] = None
    optimizer: Optional[Literal[tuple(OPTIMIZERS)]] = None
    recompute: Optional[Literal[tuple(RECOMPUTE)]] = None
    attention_flops: Optional[Literal[tuple(ATTENTION_FLOPS)]] = Field(
        None, description="full: QKᵀ and A·V over s×s (Megatron, Chinchilla); causal: halved")


class ParallelIn(In):
    dp: Optional[GpuCount] = None
    tp: Optional[GpuCount] = None
    pp: Optional[GpuCount] = None
    zero: Optional[Annotated[int, Field(ge=0, le=3)]] = Field(None, description="ZeRO stage over dp (3 = FSDP)")
    sp: Optional[bool] = Field(None, description="sequence parallelism beside tp (activations all ÷ tp)")


class HardwareIn(In):
    gpu: Optional[Literal[tuple(GPUS)]] = None
    n_gpus: Optional[GpuCount] = None
    mfu: Optional[Fraction] = Field(None, description="model FLOPs utilization (6·N·D + attention; recomputation "
                                                      "not counted); give it or hfu")
    hfu: Optional[Fraction] = Field(None, description="hardware FLOPs utilization (recomputation counted)")
    usd_per_gpu_hour: Optional[Annotated[float, Field(ge=0, le=1000)]] = None
    pue: Optional[Annotated[float, Field(ge=1, le=5)]] = None
    interconnect_gbps: Optional[Annotated[float, Field(gt=0, le=100_000)]] = None


class ScaleRequest(In):
    """Every field optional: a preset's settings (Llama 3.1 8B without one), overridden field by field."""

    preset: Optional[Literal[LADDER + EXTRA]] = None
    model: Optional[ModelIn] = None
    training: Optional[TrainingIn] = None
    parallel: Optional[ParallelIn] = None
    hardware: Optional[HardwareIn] = None


class Figure(BaseModel):
    key: str
    title: str
    value: Optional[float]
    unit: Literal["params", "bytes", "flops", "hours", "days", "kwh", "usd", "tokens", "seconds", "gpus", "fraction"]
    formula: str
    source: Optional[str]


class ScaleReply(BaseModel):
    """Sizes in bytes, FLOPs as floats; null where a figure does not apply (the neuron has no GPUs)."""

    preset: Optional[str]
    kind: str
    title: str
    model: dict[str, Any]
    training: dict[str, Any]
    parallel: Optional[dict[str, Any]]
    holds: Optional[dict[str, Any]] = None  # who holds what under `parallel` (engine/scale/holds.py)
    live_run: Optional[dict[str, Any]] = None  # "Run it here": the small transformer split the same way
    hardware: Optional[dict[str, Any]]
    params: dict[str, Any]
    memory_per_gpu: dict[str, float]
    fits: Optional[bool]
    min_gpus: Optional[int]
    tokens: Optional[float]
    chinchilla_tokens: Optional[float]
    flops: float
    flops_dense: Optional[float]
    flops_attention: Optional[float]
    seconds: Optional[float]
    gpu_hours: Optional[float]
    days: Optional[float]
    energy_kwh: Optional[float]
    cost_usd: Optional[float]
    comm_bytes_per_step: Optional[float]
    comm_seconds_per_step: Optional[float]
    tokens_per_step: Optional[float]
    steps: Optional[float]
    bytes_per_param: dict[str, Any]
    figures: list[Figure]
    published: Optional[dict[str, Any]]
    claims: Optional[list[dict[str, Any]]]
    config_source: Optional[str] = None
    run_source: Optional[str] = None
    activation_terms: Optional[list[dict[str, Any]]] = None
    flops_per_step: Optional[float] = None
    flops_recomputed: Optional[float] = None
    flops_hardware: Optional[float] = None
    advice: Optional[dict[str, Any]] = None
    sources: Optional[list[dict[str, Any]]] = None
    conventions: Optional[dict[str, str]] = None
    why: Optional[dict[str, Any]] = None  # engine/scale/why.py: memory first, then time; the days curve


def refusal(exc: ValidationError, where: str = "body") -> list[dict]:
    """A 422 detail naming each field and why, without the value (NaN cannot be written back as JSON)."""
    return [{"loc": [where, *e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_input=False, include_url=False, include_context=False)]


def parse(raw: bytes) -> tuple[ScaleRequest | None, list[dict] | None]:
    """POST /api/scale's body → (the request, None) or (None, the 422 detail); an empty body asks for
    the defaults. The socket's `scale` query validates the same ScaleRequest the same way."""
    try:
        return ScaleRequest.model_validate_json(raw or b"{}"), None
    except ValidationError as exc:
        return None, refusal(exc)


def answer(request: ScaleRequest | None) -> tuple[dict | None, list[dict] | None]:
    """(the engine's estimate, None), or (None, a 422-shaped detail naming the field): shared by POST
    /api/scale and the socket's `scale` query."""
    body = request.model_dump(exclude_none=True) if request else {}
    try:
        return ScaleReply.model_validate(estimate(body)).model_dump(), None
    except ScaleError as exc:
        return None, [{"loc": ["body", *exc.field], "msg": str(exc), "type": "value_error"}]


def _inline(schema: dict) -> dict:
    """ScaleRequest's JSON schema with its $defs written in place, for the OpenAPI document (the body
    is parsed by `parse`, not by FastAPI, so FastAPI does not register the model)."""
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            return walk(defs[ref.rsplit("/", 1)[-1]]) if ref.startswith("#/$defs/") else {k: walk(v) for k, v in node.items()}
        return [walk(v) for v in node] if isinstance(node, list) else node
    return walk(schema)


BODY = {"requestBody": {"required": False,
                        "content": {"application/json": {"schema": _inline(ScaleRequest.model_json_schema())}}}}


@router.post("/api/scale", response_model=ScaleReply, openapi_extra=BODY,
             responses={422: {"description": "a field is out of range, of the wrong type, or not a finite number"}})
async def scale(request: Request):
    """Parameters, memory per GPU, FLOPs, time, energy, cost and communication of a training run."""
    parsed, detail = parse(await request.body())
    if detail is None:
        result, detail = answer(parsed)
    return result if detail is None else JSONResponse({"detail": detail}, status_code=422)


@router.get("/api/scale/presets")
def presets(n_layer: Annotated[Optional[int], Query(ge=1, le=64)] = None,
            n_embd: Annotated[Optional[int], Query(ge=1, le=8192)] = None,
            n_head: Annotated[Optional[int], Query(ge=1, le=64)] = None,
            block_size: Annotated[Optional[int], Query(ge=1, le=8192)] = None,
            vocab: Annotated[Optional[int], Query(ge=1, le=10**6)] = None):
    """The ladder in order; the transformer rung at the Transformer page's config (or the one given)."""
    if n_embd and n_head and n_embd % n_head:
        return JSONResponse({"detail": [{"loc": ["query", "n_head"], "msg": f"n_head {n_head} must divide n_embd {n_embd}",
                                         "type": "value_error"}]}, status_code=422)
    return ladder(n_layer, n_embd, n_head, block_size, vocab)
