"""What each stage of a transformer step shows: values, the formula with numbers, a caption.

The same seven words as every other model. `layer` counts sublayers, two per block, from 0:
layer 2b is block b+1's attention, layer 2b+1 its MLP. Going forward each sublayer has a `linear`
stage (attention: the QKV projection and the scores QKᵀ/√d; MLP: the up-projection) and an
`activation` stage (the causal softmax; GELU). Gradients run back the same sublayers, last first;
the top one also shows the output head, the bottom one the embeddings. Numbers follow the first
window of the batch, its position i = the 16th character (or the last, if shorter), head 1.
"""
from __future__ import annotations

import math
from functools import lru_cache

from .. import stagevalues as sv
from ..flow import PlanEntry
from ..numfmt import apart, num, par, stepped, sub
from .model import GPTConfig
from .record import StepRecord


# The update's words per optimizer (the rule itself is the `update` stage's formula).
_UPDATE_WORDS = {"sgd": "clip → SGD", "adam": "clip → Adam", "adamw": "clip → AdamW"}


def _sublayer(stage: str, k: int, words: tuple[str, str], shapes: tuple[str, str] = ("", "")) -> PlanEntry:
    """Sublayer k: 2b is block b+1's attention, 2b+1 its MLP; `words` and `shapes` = (attention's, MLP's)."""
    attention, block = k % 2 == 0, k // 2 + 1
    part = f"attention, block {block}" if attention else f"MLP, block {block}"
    return PlanEntry(stage, k, words[0 if attention else 1], part, f"{'attn' if attention else 'MLP'} {block}",
                     shapes[0 if attention else 1])


def _shape(names: str, *sizes: int) -> str:
    """"(B, T, C) = (12, 24, 48)": a tensor's axes in the letters the formulas use, then this run's sizes."""
    return f"({names}) = ({', '.join(str(n) for n in sizes)})"


def shapes(B: int, T: int, C: int, H: int, V: int) -> dict[str, str | tuple[str, str]]:
    """Each stage's tensor (model.py's shapes, the letters llm-viz uses): B windows of T characters,
    C numbers per character, H heads, V characters in the vocabulary."""
    return {
        "input": "ids " + _shape("B, T", B, T),
        "weights": "x " + _shape("B, T, C", B, T, C),
        "linear": ("scores " + _shape("B, H, T, T", B, H, T, T), "h " + _shape("B, T, 4C", B, T, 4 * C)),
        "activation": ("attention " + _shape("B, H, T, T", B, H, T, T), "GELU(h) " + _shape("B, T, 4C", B, T, 4 * C)),
        "loss": "logits " + _shape("B, T, V", B, T, V) + " → L",
        "gradients": ("∂L/∂W_qkv " + _shape("3C, C", 3 * C, C), "∂L/∂W_fc " + _shape("4C, C", 4 * C, C)),
    }


@lru_cache(maxsize=32)
def plan(n_layer: int, optimizer: str = "adamw", dims: tuple[int, int, int, int, int] | None = None) -> tuple[PlanEntry, ...]:
    """input, weights, per sublayer linear + activation (first first), loss, gradients per sublayer
    (last first), update. `dims` = (B, T, C, H, V) puts each stage's tensor shape in its entry."""
    sh = shapes(*dims) if dims else {}
    pair = lambda k: sh.get(k, ("", ""))  # noqa: E731
    forward = [e for k in range(2 * n_layer) for e in (_sublayer("linear", k, ("q·k/√d", "W·x + b"), pair("linear")),
                                                     _sublayer("activation", k, ("masked softmax", "GELU"), pair("activation")))]
    backward = [_sublayer("gradients", k, ("∂L/∂W", "∂L/∂W"), pair("gradients")) for k in range(2 * n_layer - 1, -1, -1)]
    return (PlanEntry("input", 0, "text → ids", shape=sh.get("input", "")),
            PlanEntry("weights", 0, "wte + wpe", shape=sh.get("weights", "")), *forward,
            PlanEntry("loss", 0, "−ln p(next)", shape=sh.get("loss", "")), *backward,
            PlanEntry("update", 0, _UPDATE_WORDS.get(optimizer, f"clip → {optimizer}")))


def describe(stage: str, layer: int, rec: StepRecord, cfg: GPTConfig) -> tuple[dict, str, str]:
    if stage in ("linear", "activation", "gradients"):
        kind = "attention" if layer % 2 == 0 else "mlp"
        return _STAGES[f"{stage}_{kind}"](layer, rec, cfg)
    return _STAGES[stage](layer, rec, cfg)


def _vec(xs, n: int = 3) -> str:
    return "(" + ", ".join(num(v) for v in xs[:n]) + (", …)" if len(xs) > n else ")")


def _where(rec: StepRecord) -> str:
    c = rec.cap
    return f"window 1 of {rec.batch[0]}, position {c['query'] + 1} ('{c['chars'][c['query']]}')"


def _block(k: int) -> int:
    return k // 2 + 1


def _input(k, rec, cfg):
    c, (B, T) = rec.cap, rec.batch
    W = c["window"]
    pairs = ",  ".join(f"'{ch}' → {i}" for ch, i in zip(c["chars"][:6], c["ids"][:6]))
    values = sv.GPTInput(text=c["chars"][:W], ids=c["ids"][:W], targets=c["targets"][:W], next=c["next_chars"][:W],
                         shape=[B, T], vocab_size=c["vocab_size"])
    formula = (f"{pairs}, …  (x: {B}×{T} ids)\n"
               f"targets: the same windows moved one character on: '{c['chars'][0]}' → '{c['next_chars'][0]}', "
               f"'{c['chars'][1]}' → '{c['next_chars'][1]}', …")
    caption = (f"A batch of {B} windows of {T} characters; each character becomes its number in a vocabulary "
               f"of {c['vocab_size']}, and the target at every position is the character that comes next.")
    return values, formula, caption


def _weights(k, rec, cfg):
    c = rec.cap
    values = sv.GPTWeights(**{f: c[f] for f in ("wte_shape", "wpe_shape", "wte_norm", "wpe_norm", "n_params", "tok",
                                                "pos", "x0")})
    V, C = c["wte_shape"]
    formula = (f"x₀ = wte['{c['chars'][0]}'] + wpe[1] = {_vec(c['tok'])} + {_vec(c['pos'])} = {_vec(c['x0'])}\n"
               f"wte {V}×{C}, wpe {c['wpe_shape'][0]}×{C}; {c['n_params']:,} parameters in all")
    caption = (f"The embedding tables: a learned vector of {C} numbers for each character and for each position. "
               "Their sum starts the residual stream that every block reads and adds to.")
    return values, formula, caption


def _linear_attention(k, rec, cfg):
    c, s = rec.cap, rec.cap["sublayers"][k]
    i, d = c["query"], s["head_dim"]
    dot = sum(a * b for a, b in zip(s["q"], s["k"][0]))
    terms = " + ".join(f"{num(w) if n == 0 else par(w)}·{par(x)}" for n, (w, x) in enumerate(zip(s["w_row"], s["ln"])))
    formula = (f"block {_block(k)}, {_where(rec)}: q = LN(x)·W_qᵀ + b,  q{sub(1)} = {terms} + … + {par(s['b0'])} "
               f"= {num(s['q00'])}  ({cfg.n_embd} terms)\n"
               f"head 1: s{sub(i + 1)},{sub(1)} = q{sub(i + 1)}·k{sub(1)}/√d = ({num(dot)})/√{d} = {num(s['scores'][0])}")
    values = sv.GPTScores(block=_block(k), head=0, query=i, qkv_shape=s["qkv_shape"], scores_shape=s["scores_shape"],
                          q=s["q"][:8], k=[row[:8] for row in s["k"]], scores=s["scores"], d=d, dot=dot)
    caption = (f"Block {_block(k)} attention: one matmul turns every position into a query, a key and a value; "
               "query·key/√d scores how much position i should look at position j.")
    return values, formula, caption


def _activation_attention(k, rec, cfg):
    c, s = rec.cap, rec.cap["sublayers"][k]
    i, row = c["query"], s["row"]
    total = sum(row)
    e = [math.exp(v) for v in s["scores"][:i + 1]]
    future = f";  j > {i + 1}, the future: e^−∞ = 0" if i + 1 < len(row) else ""
    a, s_ = f"a{sub(i + 1)}ⱼ", f"s{sub(i + 1)}ⱼ"
    formula = (f"block {_block(k)}, head 1, {_where(rec)}: {a} = e^{s_} / Σ_(j≤{i + 1}) e^{s_}\n"
               f"a{sub(i + 1)},{sub(1)} = e^{par(s['scores'][0])} / {num(sum(e))} = {num(row[0])}{future};  "
               f"the row sums to {total:.4f}")
    values = sv.GPTAttention(block=_block(k), head=0, query=i, row=row, sum=total, map=s["map"],
                             att_shape=s["att_shape"])
    caption = ("Causal softmax: each row of scores becomes weights that sum to 1, and the future gets exactly 0. "
               "Each position then takes the weighted average of the values; a projection adds it to the stream.")
    return values, formula, caption


def _linear_mlp(k, rec, cfg):
    s = rec.cap["sublayers"][k]
    terms = " + ".join(f"{num(w) if n == 0 else par(w)}·{par(x)}" for n, (w, x) in enumerate(zip(s["w_row"], s["ln"])))
    formula = (f"block {_block(k)} MLP, {_where(rec)}, unit 1: h{sub(1)} = w·LN(x) + b = {terms} + … + {par(s['b0'])} "
               f"= {num(s['h00'])}  ({cfg.n_embd} terms)")
    values = sv.GPTMLPLinear(block=_block(k), fc_shape=s["fc_shape"], x=s["ln"], h=s["h"])
    caption = (f"Block {_block(k)} MLP: each position on its own is widened from {cfg.n_embd} to {4 * cfg.n_embd} "
               "numbers by a linear layer.")
    return values, formula, caption


def _activation_mlp(k, rec, cfg):
    s = rec.cap["sublayers"][k]
    z = s["h00"]
    phi = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
    formula = (f"block {_block(k)} MLP, unit 1: GELU(z) = z·Φ(z) = z·½(1 + erf(z/√2)) = {num(z)}·{num(phi)} "
               f"= {num(s['g00'])}\n"
               f"{s['negative']:.0%} of the batch's z are negative (squashed towards 0)")
    values = sv.GPTMLPActivation(block=_block(k), h=s["h"], g=s["g"], negative=s["negative"], small=s["small"])
    caption = (f"GELU bends each of the {4 * cfg.n_embd} numbers, a smooth ReLU; a second linear layer projects back to "
               f"{cfg.n_embd} and adds the result to the residual stream.")
    return values, formula, caption


def _loss(k, rec, cfg):
    c = rec.cap
    V = c["vocab_size"]
    formula = (f"{_where(rec)}: the next character is '{c['true']}'; p('{c['true']}') = e^z / Σ e^z = "
               f"e^{par(c['logit_true'])} / e^{par(c['lse'])} = {num(c['p_true'])},  −ln p = {num(c['pos_loss'])}\n"
               f"L = mean over {c['n_positions']} positions = {num(rec.loss)}  "
               f"(guessing uniformly: ln {V} = {num(math.log(V))})")
    values = sv.GPTLoss(loss=rec.loss, p_true=c["p_true"], true=c["true"], pos_loss=c["pos_loss"], top=c["top"],
                        uniform=math.log(V), logits_shape=c["logits_shape"])
    caption = ("Cross-entropy: −ln of the probability the model gave the character that really came next, "
               "averaged over every position of every window.")
    return values, formula, caption


def _gradients(k, rec, cfg, what: str, names: dict[str, str], elem: tuple[str, float]):
    c, s = rec.cap, rec.cap["sublayers"][k]
    top, bottom = k == 2 * cfg.n_layer - 1, k == 0
    lines, extra = [], {}
    if top:
        lines.append(f"output: ∂L/∂z('{c['true']}') = (p − 1)/N = ({num(c['p_true'])} − 1)/{c['n_positions']} "
                     f"= {num(c['dlogit_true'])};  ‖∂L/∂W_head‖ = {num(c['head_grad'])}")
        extra.update(dlogit_true=c["dlogit_true"], p_true=c["p_true"], n_positions=c["n_positions"],
                     head_grad=c["head_grad"])
    lines.append(f"block {_block(k)} {what}: ‖∂L/∂x‖ above = {num(s['dout_norm'])} → below = {num(s['dx_norm'])}  "
                 "(x + f(x): the gradient passes straight through, plus f's share)")
    lines.append(",  ".join(f"‖∂L/∂{label}‖ = {num(s['grads'][key])}" for key, label in names.items())
                 + f";  ∂L/∂{elem[0]} = {num(elem[1])}")
    if bottom:
        lines.append(f"embeddings: ‖∂L/∂wte‖ = {num(c['wte_grad'])},  ‖∂L/∂wpe‖ = {num(c['wpe_grad'])}")
        extra.update(wte_grad=c["wte_grad"], wpe_grad=c["wpe_grad"])
    values = sv.GPTGradients(block=_block(k), grads=s["grads"], dout_norm=s["dout_norm"], dx_norm=s["dx_norm"],
                             element={"name": elem[0], "grad": elem[1]}, **extra)
    caption = (f"Back-propagation through block {_block(k)}'s {what}: the chain rule carries ∂L/∂x down from the "
               "layer above, last layer first; the residual connection hands it through unchanged as well.")
    return values, "\n".join(lines), caption


def _gradients_attention(k, rec, cfg):
    s = rec.cap["sublayers"][k]
    return _gradients(k, rec, cfg, "attention", {"W_qkv": "W_qkv", "W_proj": "W_proj", "ln1": "γ₁"},
                      ("W_qkv[1,1]", s["g00"]))


def _gradients_mlp(k, rec, cfg):
    s = rec.cap["sublayers"][k]
    return _gradients(k, rec, cfg, "MLP", {"W_fc": "W_fc", "W_proj": "W_proj", "ln2": "γ₂"}, ("W_fc[1,1]", s["gw00"]))


def adam_prediction(u: dict) -> dict:
    """The update of the tracked weight recomputed from the numbers shown (tests compare it with torch)."""
    b = u["before"]
    g, lr, (b1, b2), eps, wd = u["grad_clipped"], u["lr"], u["betas"], u["eps"], u["weight_decay"]
    if u["optimizer"] == "sgd":
        return {"value": b["value"] - lr * g}
    t = b["step"] + 1
    m = b1 * b.get("exp_avg", 0.0) + (1 - b1) * g
    v = b2 * b.get("exp_avg_sq", 0.0) + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    w = b["value"] * (1 - lr * wd) - lr * m_hat / (math.sqrt(v_hat) + eps)
    return {"value": w, "exp_avg": m, "exp_avg_sq": v, "m_hat": m_hat, "v_hat": v_hat, "step": t}


def _update(k, rec, cfg):
    u = rec.update
    if u is None:
        raise ValueError("the update stage of a step is described after the update is applied")
    name = f"{u['param']}[{', '.join(str(i + 1) for i in u['index'])}]"
    if u["max_norm"] <= 0:
        clip = f"clipping off: ‖g‖ = {num(u['grad_norm'])}"
    elif u["clipped"]:
        clip = (f"clip: ‖g‖ = {num(u['grad_norm'])} > {num(u['max_norm'])}, so every gradient × "
                f"{num(u['max_norm'] / u['grad_norm'])}")
    else:
        clip = f"clip: ‖g‖ = {num(u['grad_norm'])} ≤ {num(u['max_norm'])}, left as it is"
    p, b, a, g, lr = adam_prediction(u), u["before"], u["after"], u["grad_clipped"], u["lr"]
    lines = [clip]
    if u["optimizer"] == "sgd":
        lines.append(f"{name}: w ← w − η·g = {stepped(b['value'], f'{num(lr)}·{par(g)}', a['value'])}")
    else:
        b1, b2 = u["betas"]
        decay = wd = ""
        if u["weight_decay"]:
            decay, wd = " − η·λ·w", f" − {num(lr)}·{num(u['weight_decay'])}·{par(b['value'])}"
        lines += [
            f"{name}, t = {p['step']}: m ← β₁·m + (1−β₁)·g = {num(b1)}·{par(b.get('exp_avg', 0.0))} + "
            f"{num(1 - b1)}·{par(g)} = {num(a['exp_avg'])}",
            f"v ← β₂·v + (1−β₂)·g² = {num(b2)}·{par(b.get('exp_avg_sq', 0.0))} + {num(1 - b2)}·{par(g)}² "
            f"= {num(a['exp_avg_sq'])}",
            f"w ← w{decay} − η·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ) = {num(p['m_hat'])},  "
            f"v̂ = v/(1−β₂ᵗ) = {num(p['v_hat'])}:",
            f"{apart(b['value'], a['value'])[0]}{wd} − {num(lr)}·{par(p['m_hat'])}/(√{num(p['v_hat'])} + ε) = "
            f"{apart(b['value'], a['value'])[1]}",
        ]
    values = sv.GPTUpdate(param=u["param"], index=u["index"], before=b, after=a, grad=g, grad_norm=u["grad_norm"],
                          max_norm=u["max_norm"], clipped=u["clipped"], lr=lr, ratios=u["ratios"],
                          optimizer=u["optimizer"])
    caption = {"sgd": "The update: clip the gradient's norm, then every weight steps against its gradient, η·g.",
               "adam": "The update: clip the gradient's norm, then Adam steps each weight by η·m̂/√v̂ — about η, "
                       "whatever the gradient's scale.",
               "adamw": "The update: clip the gradient's norm, then AdamW steps each weight by η·m̂/√v̂ (about η, "
                        "whatever the gradient's scale) and decays the weight matrices a little (λ)."}[u["optimizer"]]
    return values, "\n".join(lines), caption


_STAGES = {"input": _input, "weights": _weights, "linear_attention": _linear_attention,
           "activation_attention": _activation_attention, "linear_mlp": _linear_mlp, "activation_mlp": _activation_mlp,
           "loss": _loss, "gradients_attention": _gradients_attention, "gradients_mlp": _gradients_mlp, "update": _update}
