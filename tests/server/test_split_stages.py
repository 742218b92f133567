"""A tensor-parallel (tp 2) transformer room stepped stage by stage over the wire: the plan's communication
stages with their `comm` and direction, and each `allreduce` stage's values = the ranks' pieces and the sum."""

import numpy as np
from test_distributed import TINY, gone, ready, until
from ws_helpers import send


def test_a_tp2_room_steps_stage_by_stage(server_factory):
    srv = server_factory(max_workers=2)
    with srv.connect() as ws:
        send(ws, {"type": "create", "model": "transformer", "config": {**TINY, "parallel": {"tp": 2}}})
        session = until(ws, lambda m: m["type"] == "session")
        plan = session["plan"]
        comm = [e for e in plan if e.get("comm")]
        assert [(e["stage"], e["direction"], e["comm"]["group"]) for e in comm] == [
            ("allreduce", "forward", "tp"), ("allreduce", "forward", "tp"),
            ("allreduce", "backward", "tp"), ("allreduce", "backward", "tp")]
        assert all(e["comm"] == {"op": "allreduce", "group": "tp", "bytes": 4 * 16 * 32 * 4} for e in comm)
        stages = [e["stage"] for e in plan]
        assert stages.index("allreduce") < stages.index("loss")  # tp's all-reduce runs in the forward
        assert plan[stages.index("allreduce")]["title"] == "All-reduce · attention output, block 1"
        state = until(ws, ready, timeout=180)
        pids = [w["pid"] for w in state["gpt"]["workers"]]

        got = []
        for _ in plan:
            send(ws, {"type": "step", "unit": "stage"})
            msg = until(ws, lambda m: m["type"] in ("stage", "error"))
            assert msg["type"] == "stage", msg
            got.append(msg)
        assert [m["stage"] for m in got] == stages and [m["direction"] for m in got] == [e["direction"] for e in plan]
        fwd = got[stages.index("allreduce")]["values"]
        assert fwd["op"] == "allreduce" and fwd["group"] == "tp" and fwd["shape"] == [4, 16, 32]
        parts = np.array([b["slice"] for b in fwd["before"]])
        assert [b["rank"] for b in fwd["before"]] == [0, 1]
        for a in fwd["after"]:
            np.testing.assert_allclose(a["slice"], parts.sum(0), rtol=1e-6, atol=1e-7)
        assert got[-1]["stage"] == "update" and got[-1]["values"]["param"] == "blocks.0.attn.qkv.weight"
        after = until(ws, lambda m: m["type"] == "state" and m["step"] == 1)
        assert after["gpt"]["timeline"] and after["gpt"]["parallel"]["name"] == "tp2"
        send(ws, {"type": "step", "unit": "step", "count": 2})  # whole steps after the stepped one
        assert until(ws, lambda m: m["type"] == "metrics" and m["step"] == 3)["step"] == 3
        room = srv.rooms.by_code[session["id"]]
        room.link.stop()
        assert room.link.join(20)
    assert all(gone(p) for p in pids)
