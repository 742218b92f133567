"""Shared bench helpers: a timer that repeats until it has a stable figure; a bounded wait for a frame."""
from __future__ import annotations

import json
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


def wait(ws, pred, timeout: float = 300) -> dict:
    """The first text frame on `ws` (a websockets sync client) whose JSON passes `pred`, within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        raw = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(raw, str) and pred(msg := json.loads(raw)):
            return msg
