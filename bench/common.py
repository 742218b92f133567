"""Shared bench helpers: a timer that repeats until it has a stable figure."""
from __future__ import annotations

import time


def rate(fn, *, seconds: float = 1.5, chunk: int = 100) -> float:
    """Calls of fn per second, measured over at least `seconds` after a short warm-up."""
    for _ in range(chunk):
        fn()
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(chunk):
            fn()
        n += chunk
    return n / elapsed
