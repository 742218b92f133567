"""A data-parallel transformer over the wire: the `allreduce` stage, kill_worker, bad input, and no
worker process left behind when a session or the server ends. Few, small runs: each start costs
the workers' torch import (seconds on 2 cores)."""
import os
import time

from ws_helpers import recv, send

TEXT = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. " * 30
TINY = {"text": TEXT, "n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16, "batch_size": 4,
        "eval_iters": 1, "workers": 2, "checkpoint_every": 2}


def gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}")


def until(ws, test, timeout=120.0) -> dict:
    """The first message for which test(msg) is true (errors included), within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        msg = recv(ws, timeout=max(0.1, deadline - time.monotonic()))
        if test(msg):
            return msg


def ready(msg) -> bool:
    return msg["type"] == "state" and msg["gpt"]["ddp"]["ready"]


def test_workers_stages_kill_and_bad_input(server_factory):
    srv = server_factory(max_workers=2)
    with srv.connect() as ws, srv.connect() as viewer, srv.connect() as other:
        send(ws, {"type": "create", "model": "transformer", "config": {**TINY, "workers": 3}})
        err = until(ws, lambda m: m["type"] == "error")
        assert "at most 2" in err["message"] and "--max-workers" in err["message"]

        send(ws, {"type": "create", "model": "transformer", "config": TINY})
        session = until(ws, lambda m: m["type"] == "session")
        stages = [e["stage"] for e in session["plan"]]
        assert stages[-3:] == ["gradients", "allreduce", "update"]
        assert session["plan"][-2]["stage_title"] == "All-reduce" and session["plan"][-2]["direction"] == "backward"
        first = until(ws, lambda m: m["type"] == "state")
        assert [w["rank"] for w in first["gpt"]["workers"]] == [0, 1]
        seen = {w["stage"] for w in first["gpt"]["workers"]}
        state = first if ready(first) else until(ws, lambda m: (seen.update(w["stage"] for w in m["gpt"]["workers"])
                                                               if m["type"] == "state" else None) or ready(m))
        assert len(seen) > 1  # the page saw the workers on their way (spawned, torch imported, joined, ready)
        pids = [w["pid"] for w in state["gpt"]["workers"]]

        send(viewer, {"type": "join", "session": session["id"]})
        until(viewer, lambda m: m["type"] == "session")
        send(viewer, {"type": "kill_worker", "rank": 0})
        assert until(viewer, lambda m: m["type"] == "error")["code"] == "not_owner"
        send(ws, {"type": "kill_worker", "rank": 2})
        assert "no worker 2" in until(ws, lambda m: m["type"] == "error")["message"]
        send(ws, {"type": "configure", "config": {"workers": 3}})
        assert "at most 2" in until(ws, lambda m: m["type"] == "error")["message"]

        values = {}
        for _ in stages:
            send(ws, {"type": "step", "unit": "stage"})
            msg = until(ws, lambda m: m["type"] in ("stage", "error"))
            assert msg["type"] == "stage", msg
            values[msg["stage"]] = msg["values"]
        ar = values["allreduce"]
        assert [r["rank"] for r in ar["before"]] == [0, 1] and ar["before"][0]["grad_slice"] != ar["before"][1]["grad_slice"]
        assert ar["after"][0]["grad_slice"] == ar["after"][1]["grad_slice"]
        assert ar["bytes_per_worker"] > 0 and ar["seconds"] > 0
        assert [w["rank"] for w in values["loss"]["workers"]] == [0, 1]
        assert {"rank", "loss", "grad_norm", "grad_slice"} <= set(values["gradients"]["workers"][0])

        send(other, {"type": "create", "model": "neuron"})  # another room keeps stepping during the recovery
        until(other, lambda m: m["type"] == "session")
        send(ws, {"type": "step", "unit": "step", "count": 3})
        until(ws, lambda m: m["type"] == "state" and m["step"] == 4)
        send(ws, {"type": "kill_worker", "rank": 1})
        t0 = time.monotonic()
        send(other, {"type": "step", "unit": "step", "count": 1})
        assert until(other, lambda m: m["type"] == "metrics", timeout=10)["step"] == 1
        lost = until(ws, lambda m: m["type"] == "error", timeout=60)
        assert lost["code"] == "worker_lost" and "worker 1" in lost["message"]
        assert "checkpoint at step 4" in lost["message"]
        after = until(ws, lambda m: m["type"] == "state")
        assert after["step"] == 4 and after["gpt"]["ddp"]["lost"][0]["ranks"] == [1]
        assert all(gone(p) for p in pids)
        state = after if ready(after) else until(ws, ready)
        pids = [w["pid"] for w in state["gpt"]["workers"]]
        send(ws, {"type": "step", "unit": "step", "count": 1})
        assert until(ws, lambda m: m["type"] == "metrics")["step"] == 5
        assert time.monotonic() - t0 < 120

        session_obj = srv.rooms.by_code[session["id"]]
        session_obj.link.stop()  # the session ends (as when its grace period expires)
        assert session_obj.link.join(20)
    assert all(gone(p) for p in pids)


def workers_of(state) -> list[int]:
    return [w["pid"] for w in state["gpt"].get("workers") or []]


def test_configure_switches_workers_and_shutdown_leaves_none(server_factory):
    srv = server_factory(room_processes=1)  # the workers are the room process's children, the server's grandchildren
    with srv.connect() as ws:
        send(ws, {"type": "create", "model": "transformer", "config": {**TINY, "workers": 1}})
        session = until(ws, lambda m: m["type"] == "session")
        assert "allreduce" not in [e["stage"] for e in session["plan"]]
        send(ws, {"type": "configure", "config": {"workers": 2}})  # the settings form's way
        plan = until(ws, lambda m: m["type"] == "plan")
        assert [e["stage"] for e in plan["plan"]][-2] == "allreduce"
        pids = workers_of(until(ws, lambda m: m["type"] == "state" and workers_of(m)))
        assert len(pids) == 2
        send(ws, {"type": "configure", "config": {"workers": 1}})  # back to one process: the workers end
        state = until(ws, lambda m: m["type"] == "state" and not workers_of(m))
        assert state["config"]["workers"] == 1 and all(gone(p) for p in pids)
        send(ws, {"type": "configure", "config": {"workers": 2}})
        pids = workers_of(until(ws, lambda m: m["type"] == "state" and workers_of(m)))
        send(ws, {"type": "step", "unit": "stage"})  # the room's thread waits for the workers to start …
    srv.stop()  # … and the shutdown ends that wait: the workers may still be starting
    deadline = time.monotonic() + 10
    while not all(gone(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(gone(p) for p in pids)
