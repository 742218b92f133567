"""One weight's update laid out as a table: each term's symbol, what it is, and its number.

`explain` (optim.py, for the NumPy rules) and `lastupdate.py` (torch.optim's, for the transformer)
compute the numbers; this module says how a page writes them — in the order a student reads an
update — so the pages draw cells and know no rule. A new rule adds its terms here.
"""
from __future__ import annotations

from .numfmt import num

# (key in the explain values, symbol, what it is); a term whose key is missing is left out
HEAD = (
    ("g", "g", "the gradient of this weight, as the update used it (λ·w included when the decay goes through it)"),
    ("lr", "η", "the learning rate of this step (the schedule's, when there is one)"),
    ("clip_scale", "clip ×", "the step's gradients were clipped to the threshold: every one was scaled by this"),
)
ADAM = (
    ("t", "t", "steps taken"),
    ("m", "m", "running mean of g: m ← β₁m + (1−β₁)g"),
    ("v", "v", "running mean of g²: v ← β₂v + (1−β₂)g²"),
    ("c1", "1−β₁ᵗ", "m is divided by this (bias correction)"),
    ("c2", "1−β₂ᵗ", "v is divided by this (bias correction)"),
    ("m_hat", "m̂", "m/(1−β₁ᵗ)"),
    ("v_hat", "v̂", "v/(1−β₂ᵗ)"),
    ("step", "η·m̂/(√v̂+ε)", "the step: about η in size whatever the gradient's scale"),
)
RULES = {
    "sgd": (("step", "η·g", "the step: the gradient times the learning rate"),),
    "momentum": (("mu", "μ", "how much of the old velocity is kept"), ("v", "v", "the velocity: v ← μ·v + g"),
                 ("step", "η·v", "the step")),
    "nesterov": (("mu", "μ", "how much of the old velocity is kept"), ("v", "v", "the velocity: v ← μ·v + g"),
                 ("step", "η·(g+μv)", "the step: it looks ahead along the velocity")),
    "rmsprop": (("alpha", "α", "how much of the old s is kept"), ("s", "s", "running mean of g²: s ← α·s + (1−α)·g²"),
                ("sqrt_s", "√s", "the gradient's typical size lately"), ("step", "η·g/(√s+ε)", "the step")),
    "adam": ADAM,
    "adamw": ADAM,
}
DECAY = {
    True: ("weight_decay", "λ", "weight decay, through the gradient: g includes λ·w"),
    False: ("weight_decay", "λ", "decoupled weight decay: w ← w − η·λ·w first"),
}
TAIL = (("decay", "η·λ·w", "AdamW's decay, taken before the step"),)
# Adam's two memories side by side: each running mean, what it is divided by, the corrected one
ROWS = {"adam": [["m", "c1", "m_hat"], ["v", "c2", "v_hat"]], "adamw": [["m", "c1", "m_hat"], ["v", "c2", "v_hat"]]}


def table(rule: str, values: dict) -> dict:
    """{"cells": [{key, sym, title, value}], "rows": Adam's table by keys or None, "note": str or None}."""
    if not values:
        return {"cells": [], "rows": None, "note": None}
    terms = [*HEAD, *RULES.get(rule, ())]
    if values.get("weight_decay"):
        terms.append(DECAY[rule != "adamw"])
    terms += TAIL
    shown = {k: v for k, v in values.items() if not (k == "clip_scale" and v >= 1)}  # 1: it did not clip
    cells = [{"key": k, "sym": sym, "title": title, "value": shown[k]} for k, sym, title in terms if k in shown]
    if "before" in values and "after" in values:
        cells.append({"key": "before_after", "sym": "before → after", "title": "the weight before and after this step",
                      "value": [values["before"], values["after"]]})
    return {"cells": cells, "rows": ROWS.get(rule), "note": bias_note(values) if rule in ROWS else None}


def _times(x: float) -> str:
    return num(x) if x < 10 else str(round(x))  # a factor as people say it: 1.6×, 10×, 1000×


def bias_note(values: dict) -> str | None:
    """Adam's bias correction in words while it matters (m and v start at 0, so early on they are
    too small; dividing by 1 − βᵗ scales them up)."""
    t, c1, c2 = values.get("t"), values.get("c1"), values.get("c2")
    if t is None or not c1 or not c2 or c1 <= 0 or c2 <= 0:
        return None
    if 1 / c2 < 1.05:
        return f"t = {t}: 1−β₂ᵗ ≈ 1, the bias correction has worn off (v̂ ≈ v, m̂ ≈ m)."
    m = f" (m̂ is {_times(1 / c1)}× m)" if 1 / c1 >= 1.05 else ""
    return (f"1−β₂ᵗ = {num(c2)}: v is divided by it, so v̂ is {_times(1 / c2)}× v{m}. "
            "m and v start at 0: early on they are too small.")
