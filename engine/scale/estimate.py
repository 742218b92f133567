"""The calculator: a request → every figure the Scale page shows, each with its formula written out
with the numbers filled in. It only assembles; the formulas live in params, memory and compute."""
from __future__ import annotations

from . import compute as c
from . import fmt
from .advice import advice, min_gpus
from .compute import ATTENTION_FLOPS
from .figures import figures
from .hardware import GPUS
from .holds import holds, live_run
from .memory import CONVENTION, activation_terms, bytes_per_param, held_params, per_gpu
from .params import count
from .resolve import ScaleError, resolve
from .small import estimate_small
from .why import why

# the words the page shows for the conventions every figure follows
CONVENTIONS = {
    "utilization": "MFU (model FLOPs utilization, PaLM arXiv 2204.02311 App. B) counts only the model's FLOPs, "
                   "6·N·D + attention, against the peak; HFU (hardware FLOPs utilization) also counts the forward "
                   "work recomputation repeats. Time = hardware FLOPs / (GPUs · peak · HFU) = model FLOPs / "
                   "(GPUs · peak · MFU).",
    "flops": "One FLOP count for every figure: 6·N·D (a multiply-add is 2 FLOPs; backward is twice forward) plus "
             "the attention's QKᵀ and A·V.",
    "bytes": "GB are decimal, 10⁹ bytes, as GPU data sheets count (an 80 GB card); nvidia-smi and PyTorch show "
             "GiB, 2³⁰ = 1.074·10⁹ bytes, so the same memory reads 7% smaller there.",
}
def estimate(request: dict) -> dict:
    r = resolve(request)
    head = {"preset": r["preset"], "kind": r["kind"], "title": r["title"], "config_source": r["config_source"],
            "run_source": r["run_source"]}
    if r["kind"] in ("neuron", "mlp"):
        small = r["small"]
        out = estimate_small(r["kind"], r["model"]["sizes"], small["batch"], small["optimizer"])
        return {**head, "model": r["model"],
                "training": {"micro_batch": small["batch"], "optimizer": small["optimizer"], "precision": "fp32"},
                "parallel": None, "hardware": None, **_none_for_small(), **out,
                "bytes_per_param": {"weights": 4, "gradients": 4, "optimizer": None,
                                    "convention": "fp32 weights and gradients, 4 bytes per optimizer buffer"},
                "published": None, "claims": None}
    out = transformer(r)
    out["why"] = why(out, r["title"])  # the Scale lesson's sentence and GPUs-vs-days curve
    return {**head, **out}


def _none_for_small() -> dict:
    keys = ("why", "holds", "live_run", "fits", "min_gpus", "tokens", "chinchilla_tokens", "flops_dense", "flops_attention", "gpu_hours", "days",
            "seconds", "energy_kwh", "cost_usd", "comm_bytes_per_step", "comm_seconds_per_step", "tokens_per_step",
            "steps")
    return dict.fromkeys(keys)


def utilization(hw: dict, model_flops: float, hardware_flops: float) -> dict:
    """Both utilizations from the one given: MFU = HFU · model / hardware FLOPs."""
    if "hfu" in hw:
        return {"mfu": hw["hfu"] * model_flops / hardware_flops, "hfu": hw["hfu"], "utilization_given": "hfu"}
    hfu = hw["mfu"] * hardware_flops / model_flops
    if hfu > 1:
        raise ScaleError(("hardware", "mfu"), f"MFU {hw['mfu']} with this recomputation means HFU {hfu:.3g}: more "
                                              "than the GPUs' peak")
    return {"mfu": hw["mfu"], "hfu": hfu, "utilization_given": "mfu"}


def transformer(r: dict) -> dict:
    shape, tr, par, gpu = r["shape"], r["training"], r["parallel"], r["gpu"]
    params = count(shape)
    n = params["total"]
    mem = per_gpu(shape, n, tr, par)
    capacity = gpu["memory_bytes"]
    needed = min_gpus(shape, n, tr, par, capacity)
    tokens = tr["tokens"]
    dense, attn = c.flops_dense(n, tokens), c.flops_attention(shape, tokens, tr["attention_flops"])
    flops = dense + attn
    recomputed = c.recomputed_flops(dense, attn, tr["recompute"], c.head_flops(shape, tokens))
    hw = {**r["hardware"], **utilization(r["hardware"], flops, flops + recomputed)}
    peak = gpu["peak_tflops_bf16"] * 1e12
    seconds = c.train_seconds(flops + recomputed, hw["n_gpus"], peak, hw["hfu"])
    hours = c.gpu_hours(seconds, hw["n_gpus"])
    energy = c.energy_kwh(hw["n_gpus"], gpu["watts"], seconds / 3600, hw["pue"])
    cost = c.cost_usd(hours, hw["usd_per_gpu_hour"])
    bpp = bytes_per_param(tr["precision"], tr["optimizer"])
    grad_bytes = held_params(shape, par["tp"], par["pp"]) * bpp["gradients"]  # the first stage's, as memory
    comm = c.allreduce_bytes(grad_bytes, par["dp"], par["zero"])
    comm_s = c.transfer_seconds(comm, hw["interconnect_gbps"])
    tokens_per_step = tr["micro_batch"] * shape.seq_len * par["dp"]
    out = {
        "model": r["model"], "training": tr, "parallel": par, "hardware": {**hw, **gpu},
        "params": params, "memory_per_gpu": mem, "fits": mem["total"] <= capacity, "min_gpus": needed,
        "advice": advice(shape, n, tr, par, mem, gpu, needed),
        "tokens": tokens, "chinchilla_tokens": c.chinchilla_tokens(n),
        "flops": flops, "flops_dense": dense, "flops_attention": attn, "flops_recomputed": recomputed,
        "flops_hardware": flops + recomputed, "seconds": seconds, "gpu_hours": hours,
        "days": seconds / c.SECONDS_PER_DAY, "energy_kwh": energy, "cost_usd": cost,
        "comm_bytes_per_step": comm, "comm_seconds_per_step": comm_s, "tokens_per_step": tokens_per_step,
        "steps": tokens / tokens_per_step, "bytes_per_param": {**bpp, "convention": CONVENTION},
        "activation_terms": activation_terms(shape, tr["micro_batch"], tr["recompute"], tr["precision"]),
        "sources": r["sources"],
        "conventions": {**CONVENTIONS, "attention": ATTENTION_FLOPS[tr["attention_flops"]]},
    }
    out["published"] = published(r["published"], out)
    out["claims"] = claims(out, gpu) if r["preset"] == "120b" else None
    out["figures"] = figures(shape, out, gpu)
    out["holds"], out["live_run"] = holds(shape.n_layer, par), live_run(par)
    return out


PUBLISHED = ("params", "tokens", "flops", "gpu_hours", "days", "n_gpus", "mfu", "hfu")


def published(pub: dict | None, out: dict) -> dict | None:
    """The authors' figures beside the formula's, as ratios formula / published, and the utilization
    their GPU-hours imply under this page's own FLOP count (so that entering it gives their GPU-hours)."""
    if not pub:
        return None
    hw = out["hardware"]
    mine = {"params": out["params"]["total"], "tokens": out["tokens"], "flops": out["flops"],
            "gpu_hours": out["gpu_hours"], "days": out["days"], "n_gpus": hw["n_gpus"], "mfu": hw["mfu"],
            "hfu": hw["hfu"]}
    ratios = {k: mine[k] / pub[k] for k in PUBLISHED if pub.get(k)}
    if pub.get("flops"):
        ratios["flops_dense"] = out["flops_dense"] / pub["flops"]
    result = {k: pub.get(k) for k in (*PUBLISHED, "gpu", "utilization")}
    result.update(source=pub["source"], ratios=ratios)
    if pub.get("gpu_hours") and pub.get("gpu") in GPUS:
        # this page's model and hardware FLOPs for the published tokens, over the published GPU-hours on
        # the published GPU: the MFU and HFU that reproduce them here
        scale = (pub.get("tokens") or out["tokens"]) / out["tokens"]
        gpu_seconds = pub["gpu_hours"] * 3600 * GPUS[pub["gpu"]]["peak_tflops_bf16"] * 1e12
        result["implied_mfu"] = out["flops"] * scale / gpu_seconds
        result["implied_hfu"] = out["flops_hardware"] * scale / gpu_seconds
    return result


def claims(out: dict, gpu: dict) -> list[dict]:
    """The seed's words about a 120B model, checked against this page's own numbers."""
    hw = out["hardware"]
    peak = gpu["peak_tflops_bf16"] * 1e12
    gpus_90 = out["flops_hardware"] / (peak * hw["hfu"] * 90 * c.SECONDS_PER_DAY)
    megawatts = hw["n_gpus"] * gpu["watts"] * hw["pue"] / 1e6
    return [
        {"claim": "thousands of GPUs", "value": gpus_90, "holds": gpus_90 >= 1000,
         "figure": f"{fmt.sci(out['flops'])} FLOPs in 90 days at {hw['mfu']:.0%} of {gpu['peak_tflops_bf16']} TFLOP/s "
                   f"need {fmt.whole(round(gpus_90))} GPUs"},
        {"claim": "months", "value": out["days"], "holds": out["days"] >= 30,
         "figure": f"{fmt.num(out['days'])} days ≈ {fmt.num(out['days'] / 30.44)} months on "
                   f"{fmt.whole(hw['n_gpus'])} GPUs"},
        {"claim": "$10–100M", "value": out["cost_usd"], "holds": 1e7 <= out["cost_usd"] <= 1e8,
         "figure": f"{fmt.count(out['gpu_hours'])} GPU-hours × ${fmt.num(hw['usd_per_gpu_hour'])} = "
                   f"${fmt.count(out['cost_usd'])}"},
        {"claim": "megawatts", "value": megawatts, "holds": megawatts >= 1,
         "figure": f"{fmt.whole(hw['n_gpus'])} GPUs × {gpu['watts']} W × PUE {hw['pue']} = {fmt.num(megawatts)} MW"},
    ]


