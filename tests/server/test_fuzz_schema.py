"""Fuzz over every client message type, derived from GET /api/schema (issue 12, "In CI"): seeded,
a few thousand cases, bounded in time. Every reply is a documented server message; no socket is lost;
every message the schema calls invalid is answered with an `error`.

Each case is one message, then a barrier the room's runner answers in order (`explain` of a parameter
named Zq<n>, whose error names it): everything before the barrier's answer is the reply to the case.
A `pause` after it brings the room's `state`: a case answered with an error must leave it as it was.
Run with -s to see the figures.
"""
from __future__ import annotations

import collections
import json
import math
import time

from websockets.exceptions import ConnectionClosed

from flowscope.server.replies import SERVER
from schema_fuzz import Fuzzer
from ws_helpers import create

CASES = 3000  # in all, over the three cheap models
BUDGET_S = 40.0  # stop early on a slow machine; at least MIN_CASES must have run
MIN_CASES = 600
SEED = 12


def _finite(value):
    """NaN and ∞ are not JSON: they travel as strings (the oracle judges the message as sent)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _read(ws, deadline: float):
    """The next text frame, checked against the documented server messages; binary frames pass by."""
    while True:
        raw = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(raw, bytes):
            assert raw[:4] == b"FSB1", raw[:16]
            continue
        msg = json.loads(raw)
        SERVER.validate_python(msg)  # one of the documented server messages, field for field
        return msg


def _exchange(ws, text: str, n: int) -> tuple[list[dict], dict | None]:
    """Send one case, its barrier and a `pause` (which answers with the room's `state`). Returns the
    replies that came before the barrier's answer, and the state after the case (None without a room)."""
    ws.send(text)
    ws.send(json.dumps({"type": "explain", "name": f"Zq{n}", "index": [0]}))
    ws.send(json.dumps({"type": "pause"}))
    got, deadline = [], time.monotonic() + 20
    while True:
        msg = _read(ws, deadline)
        if msg["type"] == "error" and msg["message"].startswith("No session yet"):
            _read(ws, deadline)  # the pause's own no_session
            return got, None
        if msg["type"] == "error" and f"'Zq{n}'" in msg["message"]:
            break
        got.append(msg)
    moved = [i for i, m in enumerate(got) if m["type"] == "session"]
    if moved and any(m["type"] == "state" for m in got[moved[-1]:]):
        # the case moved the client to another room (create, fork, load) and that room's greeting came
        # before the barrier: the pause went to the room it left, whose state no longer reaches it
        return got, [m for m in got[moved[-1]:] if m["type"] == "state"][-1]
    while (msg := _read(ws, deadline))["type"] != "state":
        pass
    return got, msg


def test_fuzz_every_message_type_from_the_schema(live_server):
    schema = live_server.get("/api/schema").json()
    stats = collections.Counter()
    invalid_accepted: list[dict] = []
    refused_by_type = collections.Counter()  # valid by the schema, refused by a rule it can't say
    changed: list[tuple] = []  # (the case before, the case, its error, what changed)
    start = time.monotonic()
    per_model = CASES // 3
    n = 0
    for k, model in enumerate(("neuron", "line", "mlp")):
        fuzzer = Fuzzer(schema, SEED + k, model)
        ws = live_server.connect().__enter__()  # closed in `finally` (it may be replaced on the way)
        create(ws, model)
        _, state = _exchange(ws, json.dumps({"type": "dataset"}), 0)
        previous = None
        try:
            for _ in range(per_model):
                if time.monotonic() - start > BUDGET_S:
                    break
                msg, _ = fuzzer.message()
                msg = _finite(msg)
                valid = fuzzer.valid(msg)
                n += 1
                try:
                    replies, after = _exchange(ws, json.dumps(msg), n)
                except (ConnectionClosed, TimeoutError) as exc:
                    stats["sockets lost"] += 1
                    invalid_accepted.append({"lost": repr(exc), "msg": msg})
                    ws.close()
                    ws = live_server.connect().__enter__()
                    create(ws, model)
                    _, state = _exchange(ws, json.dumps({"type": "dataset"}), 0)
                    fuzzer.model = model
                    continue
                stats["cases"] += 1
                errors = [r for r in replies if r["type"] == "error"]
                stats["error replies"] += len(errors)
                stats["internal errors"] += sum(e["code"] == "internal" for e in errors)
                # refused means unchanged: an error (other than a divergence, which is news of steps that
                # ran) leaves the room's state exactly as it was
                checked = errors and state is not None and after is not None
                checked = checked and not any(e["code"] == "diverged" for e in errors)
                stats["refusals checked for change"] += bool(checked)
                if checked and state != after:
                    stats["state changed after error"] += 1
                    changed.append((previous, msg, errors[0]["message"],
                                    {key: (state[key], after[key]) for key in state if state[key] != after.get(key)}))
                # the state read after a change may be one frame old (a `state` waits in its one-slot mailbox
                # behind ordered frames): only a refused case's reading is sure to be the room's state now
                state = after if errors else None
                previous = msg
                if valid:
                    stats["valid"] += 1
                    stats["valid but refused"] += bool(errors)
                    refused_by_type[msg["type"]] += bool(errors)
                else:
                    stats["invalid"] += 1
                    if not errors:
                        invalid_accepted.append(msg)
                for r in replies:  # a new room (create, fork) may run another model: configure follows it
                    if r["type"] == "session" and r["role"] == "owner":
                        fuzzer.model = r["model"]
        finally:
            ws.close()
    stats["invalid accepted"] = sum("lost" not in m for m in invalid_accepted)
    stats.setdefault("state changed after error", 0)
    took = time.monotonic() - start
    print(f"\nfuzz: {dict(stats)} in {took:.1f} s\nvalid but refused, by type: {dict(refused_by_type)}")
    assert stats["cases"] >= MIN_CASES, stats
    assert stats["sockets lost"] == 0, invalid_accepted[:3]
    assert stats["internal errors"] == 0, stats  # a fault of the server's, found by the fuzz
    assert stats["state changed after error"] == 0, changed[:5]
    assert stats["invalid accepted"] == 0, invalid_accepted[:5]
    assert stats["invalid"] > stats["cases"] // 4 and stats["valid"] > stats["cases"] // 4, stats
