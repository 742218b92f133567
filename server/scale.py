"""The Scale calculator over HTTP: POST /api/scale and GET /api/scale/presets (docs/protocol.md).

Only validation and plumbing: the arithmetic is engine/scale's. Types and bounds are checked here
(pydantic answers 422 naming the field); the engine checks what needs several fields at once (heads
that don't divide d_model, dp·tp·pp ≠ n_gpus) and raises ScaleError, answered the same way.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from flowscope.engine.scale import EXTRA, GPUS, LADDER, OPTIMIZERS, PRECISIONS, RECOMPUTE, ScaleError, estimate, ladder

router = APIRouter(tags=["scale"])

Count = Annotated[int, Field(ge=1, le=10**8)]
Positive = Annotated[float, Field(gt=0)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    position: Optional[Literal["learned", "rope", "alibi"]] = None
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


class ParallelIn(In):
    dp: Optional[Count] = None
    tp: Optional[Count] = None
    pp: Optional[Count] = None
    zero: Optional[Literal[0, 1, 2, 3]] = Field(None, description="ZeRO stage over dp (3 = FSDP)")
    sp: Optional[bool] = Field(None, description="sequence parallelism beside tp (activations all ÷ tp)")


class HardwareIn(In):
    gpu: Optional[Literal[tuple(GPUS)]] = None
    n_gpus: Optional[Count] = None
    mfu: Optional[Annotated[float, Field(gt=0, le=1)]] = None
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
    unit: Literal["params", "bytes", "flops", "hours", "days", "kwh", "usd", "tokens", "seconds", "gpus"]
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


def answer(request: ScaleRequest | None) -> tuple[dict | None, list[dict] | None]:
    """(the engine's estimate, None), or (None, a 422-shaped detail naming the field): shared by POST
    /api/scale and the socket's `scale` query."""
    body = request.model_dump(exclude_none=True) if request else {}
    try:
        return ScaleReply.model_validate(estimate(body)).model_dump(), None
    except ScaleError as exc:
        return None, [{"loc": ["body", *exc.field], "msg": str(exc), "type": "value_error"}]


@router.post("/api/scale", response_model=ScaleReply, responses={422: {"description": "a field is out of range"}})
def scale(request: ScaleRequest | None = None):
    """Parameters, memory per GPU, FLOPs, time, energy, cost and communication of a training run."""
    result, detail = answer(request)
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
