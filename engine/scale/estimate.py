"""The calculator: a request → every figure the Scale page shows, each with its formula written out
with the numbers filled in. It only assembles; the formulas live in params, memory and compute."""
from __future__ import annotations

from . import compute as c
from . import fmt
from .hardware import GPUS
from .memory import CONVENTION, activation_terms, activations, bytes_per_param, model_states
from .params import Shape, count
from .resolve import resolve
from .small import estimate_small

KORTHIKANTI = "Korthikanti et al. 2022, arXiv 2205.05198, §4"
ZERO = "ZeRO, arXiv 1910.02054, §5"
MAX_DP = 1 << 20


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
    return {**head, **transformer(r)}


def _none_for_small() -> dict:
    keys = ("fits", "min_gpus", "tokens", "chinchilla_tokens", "flops_dense", "flops_attention", "gpu_hours", "days",
            "seconds", "energy_kwh", "cost_usd", "comm_bytes_per_step", "comm_seconds_per_step", "tokens_per_step",
            "steps")
    return dict.fromkeys(keys)


def memory_per_gpu(shape: Shape, n_params: int, training: dict, par: dict) -> dict:
    states = model_states(n_params, training["precision"], training["optimizer"], par["dp"], par["tp"], par["pp"],
                          par["zero"])
    act = activations(shape, training["micro_batch"], training["recompute"], training["precision"], par["tp"],
                      par["pp"], par["sp"] and par["tp"] > 1)
    mem = {**states, "activations": act}
    return {**mem, "total": sum(mem.values())}


def min_gpus(shape: Shape, n_params: int, training: dict, par: dict, capacity: float) -> int | None:
    """The fewest GPUs that fit, keeping tp, pp and the ZeRO stage and growing dp. Memory only falls
    with dp when ZeRO shards something (stage ≥ 1), so the search is a bisection; null when no dp fits."""
    def fits(dp):
        return memory_per_gpu(shape, n_params, training, {**par, "dp": dp})["total"] <= capacity

    if fits(1):
        return par["tp"] * par["pp"]
    if not fits(MAX_DP):
        return None
    lo, hi = 1, MAX_DP  # fits(lo) is false, fits(hi) true
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi * par["tp"] * par["pp"]


def transformer(r: dict) -> dict:
    shape, tr, par, hw, gpu = r["shape"], r["training"], r["parallel"], r["hardware"], r["gpu"]
    params = count(shape)
    n = params["total"]
    mem = memory_per_gpu(shape, n, tr, par)
    capacity = gpu["memory_bytes"]
    needed = min_gpus(shape, n, tr, par, capacity)
    tokens = tr["tokens"]
    dense, attn = c.flops_dense(n, tokens), c.flops_attention(shape, tokens)
    flops = dense + attn
    peak = gpu["peak_tflops_bf16"] * 1e12
    seconds = c.train_seconds(flops, hw["n_gpus"], peak, hw["mfu"])
    hours = c.gpu_hours(seconds, hw["n_gpus"])
    energy = c.energy_kwh(hw["n_gpus"], gpu["watts"], seconds / 3600, hw["pue"])
    cost = c.cost_usd(hours, hw["usd_per_gpu_hour"])
    bpp = bytes_per_param(tr["precision"], tr["optimizer"])
    grad_bytes = n / (par["tp"] * par["pp"]) * bpp["gradients"]
    comm = c.allreduce_bytes(grad_bytes, par["dp"], par["zero"])
    comm_s = c.transfer_seconds(comm, hw["interconnect_gbps"])
    tokens_per_step = tr["micro_batch"] * shape.seq_len * par["dp"]
    out = {
        "model": r["model"], "training": tr, "parallel": par, "hardware": {**hw, **gpu},
        "params": params, "memory_per_gpu": mem, "fits": mem["total"] <= capacity, "min_gpus": needed,
        "tokens": tokens, "chinchilla_tokens": c.chinchilla_tokens(n),
        "flops": flops, "flops_dense": dense, "flops_attention": attn, "seconds": seconds, "gpu_hours": hours,
        "days": seconds / c.SECONDS_PER_DAY, "energy_kwh": energy, "cost_usd": cost,
        "comm_bytes_per_step": comm, "comm_seconds_per_step": comm_s, "tokens_per_step": tokens_per_step,
        "steps": tokens / tokens_per_step, "bytes_per_param": {**bpp, "convention": CONVENTION},
        "activation_terms": activation_terms(shape, tr["micro_batch"], tr["recompute"], tr["precision"]),
    }
    out["published"] = published(r["published"], out, gpu)
    out["claims"] = claims(out, gpu) if r["preset"] == "120b" else None
    out["figures"] = figures(shape, out, gpu)
    return out


def published(pub: dict | None, out: dict, gpu: dict) -> dict | None:
    """The authors' figures beside the formula's, as ratios formula / published."""
    if not pub:
        return None
    mine = {"params": out["params"]["total"], "tokens": out["tokens"], "flops": out["flops"],
            "gpu_hours": out["gpu_hours"], "n_gpus": out["hardware"]["n_gpus"], "mfu": out["hardware"]["mfu"]}
    ratios = {k: mine[k] / pub[k] for k in mine if pub.get(k)}
    if pub.get("flops"):
        ratios["flops_dense"] = out["flops_dense"] / pub["flops"]
    result = {k: pub.get(k) for k in ("params", "tokens", "flops", "gpu_hours", "n_gpus", "mfu", "gpu")}
    result.update(source=pub["source"], ratios=ratios)
    if pub.get("gpu_hours") and pub.get("gpu") in GPUS:
        # the utilization the published GPU-hours imply on the published GPU, for the published FLOPs
        # (or, where none were published, the formula's for the published tokens)
        flops = pub.get("flops") or c.flops_dense(out["params"]["total"], pub.get("tokens") or out["tokens"])
        result["implied_mfu"] = flops / (pub["gpu_hours"] * 3600 * GPUS[pub["gpu"]]["peak_tflops_bf16"] * 1e12)
    return result


def claims(out: dict, gpu: dict) -> list[dict]:
    """The seed's words about a 120B model, checked against this page's own numbers."""
    hw = out["hardware"]
    peak = gpu["peak_tflops_bf16"] * 1e12
    gpus_90 = out["flops"] / (peak * hw["mfu"] * 90 * c.SECONDS_PER_DAY)
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


def activation_formula(s: Shape, tr: dict, par: dict, total: float) -> str:
    """Korthikanti's s·b·h·(X + Y·a·s/h) per layer with this model's own X and Y (34 and 5 for GPT's
    layout with dropout, 16-bit, no parallelism), times the layers the first pipeline stage holds."""
    tp, sp = par["tp"], par["sp"] and par["tp"] > 1
    sbh, as2b = s.seq_len * tr["micro_batch"] * s.d_model, s.n_head * s.seq_len ** 2 * tr["micro_batch"]
    x = y = 0.0
    for t in activation_terms(s, tr["micro_batch"], tr["recompute"], tr["precision"]):
        nbytes = t["elements"] * t["bytes"] / (tp if t["tp"] or sp else 1)
        if t["what"].endswith("(a·s·s)"):
            y += nbytes / as2b
        else:
            x += nbytes / sbh
    shape = f"s·b·h·({fmt.num(x)} + {fmt.num(y)}·a·s/h)" if y else f"s·b·h·{fmt.num(x)}"
    how = {"none": "nothing recomputed", "selective": "attention matrices recomputed",
           "full": "only each layer's input kept"}[tr["recompute"]]
    where = [how, f"{tr['precision']}"]
    if tp > 1:
        where.append(f"÷ tp {tp} " + ("everywhere (sequence parallel)" if sp else "inside the split layers"))
    if par["pp"] > 1:
        where.append(f"pp {par['pp']}: the first stage holds pp micro-batches of L/pp layers = L layers' worth")
    return (f"L · {shape} = {s.n_layer} · {fmt.whole(s.seq_len)}·{tr['micro_batch']}·{fmt.whole(s.d_model)}·"
            f"({fmt.num(x)}" + (f" + {fmt.num(y)}·{s.n_head}·{fmt.whole(s.seq_len)}/{fmt.whole(s.d_model)}" if y else "")
            + f") B = {fmt.nbytes(total)} ({'; '.join(where)}; GPT's layout gives Korthikanti's 34 + 5·a·s/h)")


def _fig(key, title, value, unit, formula, source=None):
    return {"key": key, "title": title, "value": value, "unit": unit, "formula": formula, "source": source}


def figures(s: Shape, o: dict, gpu: dict) -> list[dict]:
    """Every figure in page order, its formula with this request's numbers in it."""
    p, m, tr, par, hw = o["params"], o["memory_per_gpu"], o["training"], o["parallel"], o["hardware"]
    bpp = o["bytes_per_param"]
    d, L, V = fmt.whole(s.d_model), s.n_layer, fmt.whole(s.vocab)
    dkv, dff = fmt.whole(s.d_kv), fmt.whole(s.d_ff)
    n = p["total"]
    B = fmt.nbytes
    learned, norm_e = s.position == "learned", " + embedding norm" if s.embed_norm else ""
    emb = (f"V·d + s·d = {V}·{d} + {fmt.whole(s.seq_len)}·{d}" if learned else f"V·d = {V}·{d}") + norm_e
    kv = f"d_kv = {s.n_kv_head}·{s.d_head} = {fmt.whole(s.d_kv)}"
    mats = 3 if s.mlp == "swiglu" else 2
    shard = par["tp"] * par["pp"]
    local = f"{fmt.count(n)} / (tp·pp = {shard})" if shard > 1 else fmt.count(n)

    def state(key, title, zero_stage, per):
        split = f" / dp {par['dp']} (ZeRO-{par['zero']})" if par["zero"] >= zero_stage else ""
        return _fig(f"memory.{key}", title, m[key], "bytes", f"{local} × {per} B{split} = {B(m[key])}", ZERO)

    act_formula = activation_formula(s, tr, par, m["activations"])
    peak = gpu["peak_tflops_bf16"]
    out = [
        _fig("params.embedding", "Embeddings", p["embedding"], "params", f"{emb} = {fmt.count(p['embedding'])}"),
        _fig("params.attention", "Attention", p["attention"], "params",
             f"L·(2·d² + 2·d·d_kv{' + 2·d + 2·d_kv' if s.bias else ''}), {kv}: {L}·(2·{d}² + 2·{d}·{dkv}"
             f"{f' + 2·{d} + 2·{dkv}' if s.bias else ''}) = {fmt.count(p['attention'])}"),
        _fig("params.mlp", "MLP", p["mlp"], "params",
             f"L·({mats}·d·d_ff{f' + {mats - 1}·d_ff + d' if s.bias else ''}) ({s.mlp}) = {L}·({mats}·{d}·{dff}"
             f"{f' + {mats - 1}·{dff} + {d}' if s.bias else ''}) = {fmt.count(p['mlp'])}"),
        _fig("params.norms", "Norms", p["norms"], "params",
             f"(2·L + 1)·{'2·d' if s.norm == 'layernorm' and s.bias else 'd'} ({s.norm}) = {2 * L + 1}·"
             f"{'2·' if s.norm == 'layernorm' and s.bias else ''}{d} = {fmt.whole(p['norms'])}"),
        _fig("params.head", "Output head", p["head"], "params",
             "tied to the token embedding: 0" if s.tied_embeddings else f"d·V = {d}·{V} = {fmt.count(p['head'])}"),
        _fig("params.total", "Parameters", n, "params",
             " + ".join(fmt.count(p[k]) for k in ("embedding", "attention", "mlp", "norms", "head")) + f" = {fmt.whole(n)}"),
        state("weights", "Weights", 3, bpp["weights"]),
        state("gradients", "Gradients", 2, bpp["gradients"]),
        state("optimizer", "Optimizer state", 1, bpp["optimizer"]),
        _fig("memory.activations", "Activations", m["activations"], "bytes", act_formula, KORTHIKANTI),
        _fig("memory.total", "Memory per GPU", m["total"], "bytes",
             " + ".join(B(m[k]) for k in ("weights", "gradients", "optimizer", "activations")) +
             f" = {B(m['total'])} of {B(gpu['memory_bytes'])} ({gpu['name']})", bpp["convention"]),
        _fig("min_gpus", "GPUs needed to fit", o["min_gpus"], "gpus",
             (f"the fewest tp·pp·dp = {par['tp']}·{par['pp']}·dp GPUs whose share fits (ZeRO-{par['zero']}): "
              f"{fmt.whole(o['min_gpus'])}") if o["min_gpus"] else
             f"no dp fits: ZeRO-{par['zero']} does not shard enough over data-parallel copies — raise the ZeRO "
             "stage, tp or pp, or recompute activations"),
        _fig("comm.bytes", "Sent per GPU per step", o["comm_bytes_per_step"], "bytes",
             f"2·(N−1)/N × gradients, N = dp {par['dp']}: 2·{par['dp'] - 1}/{par['dp']} × {local} × {bpp['gradients']} B"
             + (" × 1.5 (ZeRO-3 gathers weights too)" if par["zero"] >= 3 else "") + f" = {B(o['comm_bytes_per_step'])}",
             "ring all-reduce; ZeRO, arXiv 1910.02054, §7"),
        _fig("comm.seconds", "Its time", o["comm_seconds_per_step"], "seconds",
             f"{B(o['comm_bytes_per_step'])} × 8 / {hw['interconnect_gbps']} Gbit/s = "
             f"{fmt.num(o['comm_seconds_per_step'])} s"),
        _fig("tokens", "Training tokens", o["tokens"], "tokens", f"D = {fmt.count(o['tokens'])}"),
        _fig("chinchilla_tokens", "Chinchilla-optimal tokens", o["chinchilla_tokens"], "tokens",
             f"20 · N = 20 · {fmt.count(n)} = {fmt.count(o['chinchilla_tokens'])}", "Chinchilla, arXiv 2203.15556"),
        _fig("flops_dense", "FLOPs, 6·N·D", o["flops_dense"], "flops",
             f"6 · {fmt.count(n)} · {fmt.count(o['tokens'])} = {fmt.sci(o['flops_dense'])}",
             "Kaplan et al., arXiv 2001.08361"),
        _fig("flops_attention", "FLOPs, attention", o["flops_attention"], "flops",
             f"6·L·s·d·D = 6·{L}·{fmt.whole(s.seq_len)}·{d}·{fmt.count(o['tokens'])} = "
             f"{fmt.sci(o['flops_attention'])}",
             "Kaplan et al., arXiv 2001.08361, Table 1"),
        _fig("flops", "Training FLOPs", o["flops"], "flops",
             f"{fmt.sci(o['flops_dense'])} + {fmt.sci(o['flops_attention'])} = {fmt.sci(o['flops'])}"),
        _fig("gpu_hours", "GPU-hours", o["gpu_hours"], "hours",
             f"FLOPs / (peak {peak} TFLOP/s × MFU {hw['mfu']}) / 3600 = {fmt.count(o['gpu_hours'])}", gpu["source"]),
        _fig("days", "Days", o["days"], "days",
             f"{fmt.count(o['gpu_hours'])} GPU-hours / {fmt.whole(hw['n_gpus'])} GPUs / 24 = {fmt.num(o['days'])}"),
        _fig("energy_kwh", "Energy", o["energy_kwh"], "kwh",
             f"{fmt.whole(hw['n_gpus'])} GPUs × {gpu['watts']} W × {fmt.num(o['gpu_hours'] / hw['n_gpus'])} h × "
             f"PUE {hw['pue']} / 1000 = {fmt.count(o['energy_kwh'])} kWh"),
        _fig("cost_usd", "Cost", o["cost_usd"], "usd",
             f"{fmt.count(o['gpu_hours'])} GPU-hours × ${fmt.num(hw['usd_per_gpu_hour'])} = ${fmt.count(o['cost_usd'])}"),
    ]
    return out
