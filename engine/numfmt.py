"""Numbers as the formulas show them: about three significant digits and a real minus sign."""
from __future__ import annotations

import math

MINUS = "\u2212"


def num(v: float) -> str:
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return ("" if v > 0 else MINUS) + "∞"
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    if mag >= 5 or mag <= -5:
        text = f"{v:.3g}"  # 1.23e+06: scientific only where decimals would mislead
    else:
        text = f"{v:.{min(6, max(2, 2 - mag))}f}"
    return text.replace("-", MINUS)


def apart(before: float, after: float) -> tuple[str, str]:
    """Two ends of an update, written with enough digits to differ when they do: 0.166 → 0.166 hides
    a step of 7e−5; 0.16600 → 0.16593 shows it (up to 10 significant digits)."""
    b, a = num(before), num(after)
    digits = 4
    while b == a and float(before) != float(after) and digits <= 10:
        b, a = (f"{float(v):#.{digits}g}".replace("-", MINUS) for v in (before, after))
        digits += 1
    return b, a


def stepped(before: float, term: str, after: float) -> str:
    """"before − term = after", the two ends written apart (see `apart`)."""
    b, a = apart(before, after)
    return f"{b} − {term} = {a}"


def par(v: float) -> str:
    """A number that follows an operator: negatives in brackets, 0.8·(−1.5)."""
    text = num(v)
    return f"({text})" if text.startswith(MINUS) else text


def label(v: float) -> str:
    """A class label or other whole number, without decimals."""
    return num(v) if float(v) != int(v) else str(int(v))


SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(i: int) -> str:
    return str(i).translate(SUB)
