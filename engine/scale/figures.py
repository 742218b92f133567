"""The figures the Scale page lists, in page order, each with its formula written out with this
request's numbers in it."""
from __future__ import annotations

from . import fmt
from .compute import ATTENTION_FLOPS
from .memory import activation_terms, held_params
from .params import Shape

KORTHIKANTI = "Korthikanti et al. 2022, arXiv 2205.05198, §4"
ZERO = "ZeRO, arXiv 1910.02054, §5"


def _per_layer(s: Shape, tr: dict, tp: int, sp: bool) -> tuple[float, float]:
    """This model's own X and Y in s·b·h·(X + Y·a·s/h) bytes per layer."""
    sbh, as2b = s.seq_len * tr["micro_batch"] * s.d_model, s.n_head * s.seq_len ** 2 * tr["micro_batch"]
    x = y = 0.0
    for t in activation_terms(s, tr["micro_batch"], tr["recompute"], tr["precision"]):
        nbytes = t["elements"] * t["bytes"] / (tp if t["tp"] or sp else 1)
        if t["what"].endswith("(a·s·s)"):
            y += nbytes / as2b
        else:
            x += nbytes / sbh
    return x, y


def _against_paper(s: Shape, tr: dict) -> str:
    """How these settings stand to Korthikanti's 34 + 5·a·s/h (a GPT block: dropout, GELU MLP of 4·d,
    multi-head attention, 16-bit, nothing recomputed, no parallelism)."""
    differ = [w for w, yes in (("no dropout", not s.dropout), ("SwiGLU", s.mlp == "swiglu"),
                               (f"d_ff {fmt.num(s.d_ff / s.d_model)}·d", s.mlp == "gelu" and s.d_ff != 4 * s.d_model),
                               (f"{s.n_kv_head} key/value heads", s.n_kv_head != s.n_head),
                               (f"{tr['recompute']} recomputation", tr["recompute"] != "none"),
                               ("fp32", tr["precision"] == "fp32")) if yes]
    if not differ:
        return "Korthikanti's 34 + 5·a·s/h, GPT's layout with dropout"
    x, y = _per_layer(s, tr, 1, False)
    mine = f"{fmt.num(x)} + {fmt.num(y)}·a·s/h" if y else fmt.num(x)
    return f"these settings ({', '.join(differ)}) give {mine} without parallelism; Korthikanti's 34 + 5·a·s/h is GPT's layout with dropout"


def activation_formula(s: Shape, tr: dict, par: dict, total: float) -> str:
    """Korthikanti's s·b·h·(X + Y·a·s/h) per layer with this model's own X and Y, times the layers the
    first pipeline stage holds."""
    tp, sp = par["tp"], par["sp"] and par["tp"] > 1
    x, y = _per_layer(s, tr, tp, sp)
    shape = f"s·b·h·({fmt.num(x)} + {fmt.num(y)}·a·s/h)" if y else f"s·b·h·{fmt.num(x)}"
    how = {"none": "nothing recomputed", "selective": "attention matrices recomputed",
           "full": "only each layer's input kept"}[tr["recompute"]]
    where = [how, f"{tr['precision']}"]
    if tp > 1 and tr["recompute"] == "full" and not sp:
        where.append(f"tp {tp} does not divide the kept layer input without sequence parallelism")
    elif tp > 1:
        where.append(f"÷ tp {tp} " + ("everywhere (sequence parallel)" if sp else "inside the split layers"))
    if tr["recompute"] == "full" and sp:
        where.append("the kept layer input is ÷ tp too: between layers the sequence-parallel activations are split "
                     "along the sequence (Korthikanti §4.2.2), and Megatron-LM checkpoints that shard; the paper's "
                     "Table 2 lists full recomputation as 2·s·b·h without this split")
    if par["pp"] > 1:
        where.append(f"pp {par['pp']}: the first stage holds pp micro-batches of L/pp layers = L layers' worth")
    where.append(_against_paper(s, tr))
    return (f"L · {shape} = {s.n_layer} · {fmt.whole(s.seq_len)}·{tr['micro_batch']}·{fmt.whole(s.d_model)}·"
            f"({fmt.num(x)}" + (f" + {fmt.num(y)}·{s.n_head}·{fmt.whole(s.seq_len)}/{fmt.whole(s.d_model)}" if y else "")
            + f") B = {fmt.nbytes(total)} ({'; '.join(where)})")


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
    # as the live run splits it (memory.held_params): tp divides the blocks' matrices, not the norms, output
    # biases, embeddings or head; the first pipeline stage holds the embeddings beside its L/pp blocks
    local = (f"{fmt.count(held_params(s, par['tp'], par['pp']))} held (blocks' matrices / tp {par['tp']}, the rest "
             f"whole; L/pp {par['pp']} blocks + the embeddings on the first stage)" if shard > 1 else fmt.count(n))

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
             f" = {B(m['total'])} ({fmt.gib(m['total'])}) of {B(gpu['memory_bytes'])} ({fmt.gib(gpu['memory_bytes'])}, "
             f"{gpu['name']}); GB = 10⁹ bytes, GiB = 2³⁰", bpp["convention"]),
        _fig("min_gpus", "GPUs needed to fit", o["min_gpus"], "gpus",
             (f"the fewest tp·pp·dp = {par['tp']}·{par['pp']}·dp GPUs whose share fits (ZeRO-{par['zero']}): "
              f"{fmt.whole(o['min_gpus'])}") if o["min_gpus"] else
             f"no number of data-parallel copies fits: {o['advice']['text']}"),
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
             f"{'6' if tr['attention_flops'] == 'causal' else '12'}·L·s·d·D = "
             f"{'6' if tr['attention_flops'] == 'causal' else '12'}·{L}·{fmt.whole(s.seq_len)}·{d}·"
             f"{fmt.count(o['tokens'])} = {fmt.sci(o['flops_attention'])} ({ATTENTION_FLOPS[tr['attention_flops']]})",
             "Megatron, arXiv 2104.04473, eq. 3; Chinchilla, arXiv 2203.15556, App. F"),
        _fig("flops", "Model FLOPs", o["flops"], "flops",
             f"{fmt.sci(o['flops_dense'])} + {fmt.sci(o['flops_attention'])} = {fmt.sci(o['flops'])} "
             "(what MFU counts)"),
        _fig("flops_recomputed", "FLOPs, recomputed", o["flops_recomputed"], "flops",
             {"none": "nothing recomputed: 0",
              "selective": f"the attention scores' forward again: attention / 3 = {fmt.sci(o['flops_recomputed'])}",
              "full": f"each layer's forward again: (6·N·D − 6·V·d·D (the output layer, not recomputed) + attention) / 3"
                     f" = {fmt.sci(o['flops_recomputed'])}"}
             [tr["recompute"]], "Korthikanti et al. 2022, arXiv 2205.05198, §5; Megatron, arXiv 2104.04473, §5.1"),
        _fig("flops_hardware", "Hardware FLOPs", o["flops_hardware"], "flops",
             f"{fmt.sci(o['flops'])} + {fmt.sci(o['flops_recomputed'])} = {fmt.sci(o['flops_hardware'])} "
             "(what HFU counts)"),
        _fig("utilization", "MFU and HFU", hw["mfu"], "fraction",
             (f"HFU {fmt.pct(hw['hfu'])} given; MFU = HFU × model / hardware FLOPs = {fmt.pct(hw['hfu'])} × "
              f"{fmt.sci(o['flops'])} / {fmt.sci(o['flops_hardware'])} = {fmt.pct(hw['mfu'])}")
             if hw["utilization_given"] == "hfu" else
             (f"MFU {fmt.pct(hw['mfu'])} given; HFU = MFU × hardware / model FLOPs = {fmt.pct(hw['mfu'])} × "
              f"{fmt.sci(o['flops_hardware'])} / {fmt.sci(o['flops'])} = {fmt.pct(hw['hfu'])}"),
             "PaLM, arXiv 2204.02311, App. B"),
        _fig("gpu_hours", "GPU-hours", o["gpu_hours"], "hours",
             f"hardware FLOPs / (peak {peak} TFLOP/s × HFU {fmt.pct(hw['hfu'])}) / 3600 = {fmt.sci(o['flops_hardware'])}"
             f" / ({peak}e12 × {fmt.num(hw['hfu'])}) / 3600 = {fmt.count(o['gpu_hours'])}", gpu["source"]),
        _fig("days", "Days", o["days"], "days",
             f"{fmt.count(o['gpu_hours'])} GPU-hours / {fmt.whole(hw['n_gpus'])} GPUs / 24 = {fmt.num(o['days'])}"),
        _fig("energy_kwh", "Energy", o["energy_kwh"], "kwh",
             f"{fmt.whole(hw['n_gpus'])} GPUs × {gpu['watts']} W × {fmt.num(o['gpu_hours'] / hw['n_gpus'])} h × "
             f"PUE {hw['pue']} / 1000 = {fmt.count(o['energy_kwh'])} kWh"),
        _fig("cost_usd", "Cost", o["cost_usd"], "usd",
             f"{fmt.count(o['gpu_hours'])} GPU-hours × ${fmt.num(hw['usd_per_gpu_hour'])} = ${fmt.count(o['cost_usd'])}"),
    ]
    return out
