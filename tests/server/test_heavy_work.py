"""Heavy work stays off the event loop and within a budget (issue 12, item 7)."""
from __future__ import annotations

import threading

from ws_helpers import command, recv_type, send

HUGE = {"n_layer": 8, "n_embd": 512, "n_head": 8, "batch_size": 512, "block_size": 256}


def test_a_model_past_the_budget_is_refused_before_it_is_built(live_server):
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": "transformer", "config": HUGE})
        err = recv_type(ws, "error", timeout=10)
        assert "MB to train" in err["message"] and "25,4" in err["message"]  # the parameter count, said
        send(ws, {"type": "create", "model": "transformer", "config": {**HUGE, "batch_size": 8, "eval_iters": 200}})
        err = recv_type(ws, "error", timeout=10)
        assert "GFLOP" in err["message"] and "eval_iters" in err["message"]


def test_growing_a_model_past_the_budget_is_refused_and_changes_nothing(live_server):
    tiny = {"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1}
    with live_server.connect() as ws:
        send(ws, {"type": "create", "model": "transformer", "config": tiny})
        before = recv_type(ws, "state", timeout=30)
        replies = command(ws, {"type": "configure", "config": {"n_embd": 512, "n_head": 8, "batch_size": 512,
                                                                "block_size": 256}}, until="state")
        assert replies[0]["type"] == "error" and "MB" in replies[0]["message"]
        assert replies[-1]["config"] == before["config"]


def test_the_server_answers_while_a_model_is_built(live_server):
    """A GPT that takes seconds to build and evaluate: health and other rooms answer meanwhile."""
    slow = {"n_layer": 2, "n_embd": 64, "n_head": 2, "batch_size": 16, "eval_iters": 60}
    order: list[str] = []
    with live_server.connect() as builder, live_server.connect() as other:
        send(other, {"type": "create", "model": "neuron"})
        recv_type(other, "state")
        send(builder, {"type": "create", "model": "transformer", "config": slow})

        def built():
            recv_type(builder, "session", timeout=120)
            order.append("built")

        waiter = threading.Thread(target=built)
        waiter.start()
        assert live_server.get("/api/health").status_code == 200
        order.append("health")
        command(other, {"type": "step", "unit": "step", "count": 3})
        order.append("other room stepped")
        waiter.join(timeout=120)
    assert order == ["health", "other room stepped", "built"], order


def test_the_budget_is_set_from_the_command_line(monkeypatch):
    import flowscope.server.cli as cli

    seen = {}
    monkeypatch.setattr(cli, "serve", lambda settings: seen.setdefault("settings", settings))
    cli.main(["--no-browser", "--max-model-mb", "100", "--max-step-gflop", "5"])
    assert seen["settings"].budget == (100 * 2**20, 5e9)
