"""Numbers in the formulas the page shows: about three significant digits with a unit prefix."""
from __future__ import annotations

import math

_COUNT = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))  # parameters, tokens: 1.34 B
_BYTES = ((1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))  # decimal, like the cards' "80 GB"


def _sig(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def whole(v: float) -> str:
    """A config value: 4,096."""
    return f"{int(v):,}" if float(v) == int(v) else _sig(v)


def count(v: float) -> str:
    for scale, unit in _COUNT:
        if abs(v) >= scale:
            return f"{_sig(v / scale)} {unit}"
    return whole(v) if float(v) == int(v) else _sig(v)


def nbytes(v: float) -> str:
    for scale, unit in _BYTES:
        if abs(v) >= scale:
            return f"{_sig(v / scale)} {unit}"
    return f"{_sig(v)} B"


def sci(v: float) -> str:
    """FLOPs: 3.14e23."""
    if v == 0:
        return "0"
    exp = math.floor(math.log10(abs(v)))
    if -3 <= exp < 4:
        return _sig(v)
    return f"{v / 10**exp:.3g}e{exp}"


def num(v: float) -> str:
    return _sig(v)


def gib(v: float) -> str:
    """Binary gibibytes, as nvidia-smi and PyTorch count: 2³⁰ bytes."""
    return f"{_sig(v / 2**30)} GiB"


def pct(v: float) -> str:
    """A utilization: 48.1%."""
    return f"{_sig(v * 100)}%"
