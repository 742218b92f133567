"""One weight's last update in a TransformerRun, written out with every term — what torch.optim did
to it, recomputed from torch's own state so a page only formats it (tests compare it with the
before/after values of torch's real update).

The run keeps, on every step taken with stats, θ_before − θ_after and the gradients used (after
clipping) in reused buffers, and the step's η, clip factor and norms in `run.last_update`.
"""
from __future__ import annotations

from ..numfmt import num, par
from ..optim import adam_lines, adam_terms
from ..updatetable import table


def explain(run, param_name: str, index) -> dict | None:
    """The last update of one weight with every term filled in, as optim.py's explain gives it:
    {"rule", "lines", "values"}. values: g (the gradient used, after clipping), grad (before
    clipping), clip_scale (torch's factor, 1 when it did not clip), grad_norm, max_norm, lr (η of
    that step from the schedule), before, after, step (what the rule subtracted) and for Adam/AdamW
    m, v, t, beta1, beta2, eps, c1, c2, m_hat, v_hat, denom, direction, and AdamW's decoupled
    decay (η·λ·w) with weight_decay: after = before − decay − step."""
    lu = run.last_update
    p, index = run._param(param_name, index)
    if lu is None or run._old is None:
        return None
    i = run.names.index(param_name)
    after = float(p.detach()[index])
    before = after + float(run._old[i][index])  # the buffer holds θ_before − θ_after
    g = float(run._used[i][index])
    values = {"g": g, "grad": g / lu["clip_scale"], "clip_scale": lu["clip_scale"], "grad_norm": lu["grad_norm"],
              "max_norm": lu["max_norm"], "lr": lu["lr"], "before": before, "after": after}
    opt = run.config.optimizer
    if opt == "sgd":
        values["step"] = lu["lr"] * g
        rule, body = "w ← w − η·g", [f"w ← w − η·g = {num(before)} − {num(lu['lr'])}·{par(g)} = {num(after)}"]
    else:
        state = run.optimizer.state.get(p, {})
        if "exp_avg" not in state:
            return None
        group = next(gr for gr in run.optimizer.param_groups if any(q is p for q in gr["params"]))
        b1, b2 = group["betas"]
        decay = float(group["weight_decay"]) if opt == "adamw" else 0.0  # Adam's groups have none here
        if decay:
            values["weight_decay"] = decay
        values.update(adam_terms(before, float(state["exp_avg"][index]), float(state["exp_avg_sq"][index]),
                                 int(state["step"]), float(b1), float(b2), float(group["eps"]), lu["lr"], decay))
        rule = ("w ← w − η·λ·w, then Adam: w ← w − η·m̂/(√v̂ + ε)" if opt == "adamw"
                else "m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← w − η·m̂/(√v̂ + ε)")
        body = adam_lines(values)
    if lu["max_norm"] <= 0:
        clip = f"clipping off: ‖g‖ = {num(lu['grad_norm'])}"
    elif lu["clipped"]:
        clip = (f"clip: ‖g‖ = {num(lu['grad_norm'])} > {num(lu['max_norm'])}, so every gradient × "
                f"{num(lu['clip_scale'])}: g = {num(values['grad'])} × {num(lu['clip_scale'])} = {num(g)}")
    else:
        clip = f"clip: ‖g‖ = {num(lu['grad_norm'])} ≤ {num(lu['max_norm'])}, left as it is"
    return {"rule": rule, "lines": [f"step {lu['t']}, η = {num(lu['lr'])} (the schedule's)", clip, *body],
            "values": values, **table(opt, values)}
