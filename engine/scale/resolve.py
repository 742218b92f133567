"""A calculator request → the full settings it stands for: a preset's, overridden field by field,
checked. Problems raise ScaleError naming the field (the server turns it into a 422)."""
from __future__ import annotations

from .advice import MAX_GPUS
from .compute import ATTENTION_FLOPS
from .hardware import DEFAULT_GPU, GPUS
from .memory import OPTIMIZERS, PRECISIONS, RECOMPUTE
from .params import Shape, problems
from .presets import EXTRA, LADDER, PRESETS, mlp_preset, neuron_preset, transformer_preset

DEFAULT_PRESET = "llama-3.1-8b"
SMALL = ("neuron", "mlp")
# a model described from scratch (no preset): a GPT-2-sized GPT; n_kv_head and d_ff follow n_head and d_model
GENERIC = {"n_layer": 12, "d_model": 768, "n_head": 12, "vocab": 50257, "seq_len": 1024, "mlp": "gelu",
           "tied_embeddings": False, "norm": "layernorm", "bias": True, "position": "learned",
           "embed_norm": False, "dropout": False}
GENERIC_RUN = {"training": {"tokens": 20 * 124e6, "micro_batch": 8, "precision": "bf16_mixed", "optimizer": "adam",
                            "recompute": "selective", "attention_flops": "full"},
               "parallel": {"dp": 1, "tp": 1, "pp": 1, "zero": 0, "sp": False},
               "hardware": {"gpu": DEFAULT_GPU, "n_gpus": 1, "mfu": 0.4, "usd_per_gpu_hour": 2.0, "pue": 1.2,
                            "interconnect_gbps": 400}}


class ScaleError(ValueError):
    """A request the calculator cannot answer; `field` is where, e.g. ("model", "n_head")."""

    def __init__(self, field: tuple[str, ...], message: str):
        super().__init__(message)
        self.field = field


def preset(name: str) -> dict:
    if name == "neuron":
        return neuron_preset()
    if name == "mlp":
        return mlp_preset()
    if name == "transformer":
        return transformer_preset()
    if name in PRESETS:
        return {"kind": "published", **PRESETS[name]}
    raise ScaleError(("preset",), f"unknown preset '{name}'; choose one of {', '.join(LADDER + EXTRA)}")


def _clean(part: dict | None) -> dict:
    """Fields left out (or sent as null) keep the preset's value."""
    return {k: v for k, v in (part or {}).items() if v is not None}


def resolve(request: dict) -> dict:
    """{preset, kind, title, model, training, parallel, hardware, gpu, shape?} with every field filled."""
    name = request.get("preset")
    given = {part: _clean(request.get(part)) for part in ("model", "training", "parallel", "hardware")}
    if name is None and not given["model"]:
        name = DEFAULT_PRESET
    base = preset(name) if name else {"kind": "custom", "title": "Your model", "model": {}, **GENERIC_RUN,
                                      "published": None}
    out = {"preset": name, "kind": base["kind"], "title": base["title"], "published": base.get("published"),
           "config_source": base.get("config_source"), "run_source": base.get("run_source")}
    if base["kind"] in SMALL:
        # of the model's fields only `sizes` applies here; a transformer's fields are ignored
        out["model"] = {**base["model"], **{k: v for k, v in given["model"].items() if k == "sizes"}}
        out["small"] = {**base["small"], **{k: v for k, v in given["training"].items() if k in ("batch", "optimizer")}}
        if "micro_batch" in given["training"]:
            out["small"]["batch"] = given["training"]["micro_batch"]
        _check_small(out)
        return out
    if "sizes" in given["model"]:
        raise ScaleError(("model", "sizes"), "sizes describes the neuron and the MLP; a transformer takes n_layer, "
                                             "d_model, n_head …")
    model = {**(GENERIC if name is None else {}), **base["model"], **given["model"]}
    model.setdefault("n_kv_head", model["n_head"])  # from scratch: multi-head attention …
    model.setdefault("d_ff", 4 * model["d_model"])  # … and GPT's 4·d
    shape = Shape(**model)
    for field, why in problems(shape):
        raise ScaleError(("model", field), why)
    out["model"], out["shape"] = shape.to_dict(), shape
    out["training"] = {"attention_flops": "full", **base["training"], **given["training"]}
    _check_choices(out["training"])
    out["parallel"], out["hardware"] = _parallel(base, given, shape)
    gpu = out["hardware"]["gpu"]
    if gpu not in GPUS:
        raise ScaleError(("hardware", "gpu"), f"unknown GPU '{gpu}'; choose one of {', '.join(GPUS)}")
    out["gpu"] = GPUS[gpu]
    out["sources"] = setting_sources(base, given, out)
    return out


ASSUMED = "assumed"


def setting_sources(base: dict, given: dict, out: dict) -> list[dict]:
    """Every run setting, its value and where it comes from: the preset's source for it, "assumed"
    where the source says nothing (or there is none), "set here" where the request changed it."""
    said = base.get("sources") or {}
    rows = []
    for part in ("training", "parallel", "hardware"):
        for field, value in out[part].items():
            key = f"{part}.{field}"
            source = "set here" if field in given[part] else said.get(key, ASSUMED)
            rows.append({"setting": key, "value": value, "source": source})
    return rows


def _check_choices(training: dict) -> None:
    for field, allowed in (("precision", PRECISIONS), ("optimizer", OPTIMIZERS), ("recompute", RECOMPUTE),
                           ("attention_flops", ATTENTION_FLOPS)):
        if training[field] not in allowed:
            raise ScaleError(("training", field), f"{field} must be one of {', '.join(allowed)}")
    for field in ("tokens", "micro_batch"):
        if training[field] <= 0:
            raise ScaleError(("training", field), f"{field} must be positive")


def _parallel(base: dict, given: dict, shape: Shape) -> tuple[dict, dict]:
    """dp·tp·pp must be the number of GPUs. Give dp and n_gpus and they must agree; give n_gpus
    without dp and dp follows (tp and pp kept); give degrees without n_gpus and n_gpus follows."""
    par = {**base["parallel"], **given["parallel"]}
    if "mfu" in given["hardware"] and "hfu" in given["hardware"]:
        raise ScaleError(("hardware", "hfu"), "give the utilization once: mfu (model FLOPs) or hfu (hardware FLOPs, "
                                              "recomputation counted), not both")
    base_hw = {k: v for k, v in base["hardware"].items() if k not in ("mfu", "hfu") or not
               ({"mfu", "hfu"} & set(given["hardware"]))}  # a utilization given replaces the preset's, of either kind
    hw = {**base_hw, **given["hardware"]}
    for field in ("dp", "tp", "pp"):
        if par[field] < 1:
            raise ScaleError(("parallel", field), f"{field} must be at least 1")
    if par["zero"] not in (0, 1, 2, 3):
        raise ScaleError(("parallel", "zero"), "zero must be 0, 1, 2 or 3")
    if hw["n_gpus"] < 1:
        raise ScaleError(("hardware", "n_gpus"), "n_gpus must be at least 1")
    span = par["tp"] * par["pp"]  # the GPUs one copy of the model spans
    if "n_gpus" in given["hardware"] and "dp" not in given["parallel"]:
        if hw["n_gpus"] % span:
            raise ScaleError(("hardware", "n_gpus"), f"n_gpus {hw['n_gpus']} must be a multiple of tp·pp = {span} "
                                                     "(the GPUs one model copy spans)")
        par["dp"] = hw["n_gpus"] // span
    elif "n_gpus" in given["hardware"] and par["dp"] * span != hw["n_gpus"]:
        raise ScaleError(("parallel", "dp"), f"dp·tp·pp = {par['dp']}·{par['tp']}·{par['pp']} = {par['dp'] * span} "
                                             f"must equal n_gpus {hw['n_gpus']}")
    else:
        hw["n_gpus"] = par["dp"] * span
    if hw["n_gpus"] > MAX_GPUS:
        raise ScaleError(("hardware", "n_gpus"), f"{hw['n_gpus']:,} GPUs: more than the {MAX_GPUS:,} this calculator "
                                                 "takes (no training run has used more than a few hundred thousand)")
    if shape.n_head % par["tp"]:
        raise ScaleError(("parallel", "tp"), f"tp {par['tp']} must divide n_head {shape.n_head} "
                                             "(tensor parallelism gives each GPU whole heads)")
    if shape.n_kv_head % par["tp"]:
        raise ScaleError(("parallel", "tp"), f"tp {par['tp']} must divide n_kv_head {shape.n_kv_head}: each GPU takes "
                                             "whole key/value heads (Megatron-LM requires the query groups to split "
                                             "evenly over tensor-parallel ranks; replicating key/value heads instead "
                                             "would change the memory this page counts)")
    if par["pp"] > shape.n_layer:
        raise ScaleError(("parallel", "pp"), f"pp {par['pp']} cannot exceed n_layer {shape.n_layer} "
                                             "(each pipeline stage holds at least one layer)")
    for field in ("mfu", "hfu"):
        if field in hw and not 0 < hw[field] <= 1:
            raise ScaleError(("hardware", field), f"{field} must be in (0, 1]")
    for field in ("usd_per_gpu_hour", "pue", "interconnect_gbps"):
        if hw[field] <= 0:
            raise ScaleError(("hardware", field), f"{field} must be positive")
    return par, hw


def _check_small(out: dict) -> None:
    sizes = out["model"]["sizes"]
    if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
        raise ScaleError(("model", "sizes"), "sizes lists at least an input and an output width, each ≥ 1")
    if out["small"]["batch"] < 1:
        raise ScaleError(("training", "micro_batch"), "micro_batch must be at least 1")
