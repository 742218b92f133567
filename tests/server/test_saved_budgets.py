"""One address can't fill the saved-runs store for good (issue 20, case 6). Before: 10 rooms × 100 saves
from one address (each room its own owner token, so the per-owner bound never bit) made 1,000 runs in
11 s, and from then on everyone's save was `busy`, across restarts. Now each address and each owner has
a budget of runs and bytes (past it: `busy`, saying how to make room), and at the server's own bounds the
oldest runs of the largest holder make way instead of anyone being refused."""
from __future__ import annotations

import contextlib

import httpx
import pytest

from flowscope.engine.export import PackedRun
from flowscope.server import store as S
from flowscope.server.store import RunStore, StoreFull
from ws_helpers import create, recv_until, send

# a scaled-down store: 6 runs on the server, 4 per address, 2 per owner (room token)
SMALL = dict(max_saved_runs=6, max_saved_runs_per_address=4, max_saved_runs_per_owner=2, forwarded_allow_ips="127.0.0.1")


def run(size: int) -> PackedRun:
    return PackedRun(model="neuron", steps=1, config="{}", custom="null", metrics="[]", weights=b"x" * size, state=None)


def save(ws, name: str) -> dict:
    """`saved` or `error`, whichever answers the save (a first save imports torch: seconds under load)."""
    send(ws, {"type": "save", "name": name})
    return recv_until(ws, lambda m: m["type"] in ("saved", "error"), timeout=30)


def listed(srv, token: str) -> list[str]:
    return [r["name"] for r in httpx.get(srv.http_url + "/api/runs", headers={"X-Flowscope-Token": token},
                                         timeout=10).json()]


@contextlib.contextmanager
def rooms_from(srv, address: str, n: int):
    """`n` rooms created from one client address (a trusted proxy's X-Forwarded-For): [(socket, token)]."""
    with contextlib.ExitStack() as stack:
        out = []
        for _ in range(n):
            ws = stack.enter_context(srv.connect(additional_headers={"X-Forwarded-For": address}))
            out.append((ws, create(ws, "neuron")[0]["token"]))
        yield out


def test_one_address_with_many_rooms_fills_only_its_own_budget(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path, **SMALL)
    with rooms_from(srv, "10.0.0.1", 3) as flood:
        replies = [save(ws, f"flood {i} {k}") for i, (ws, _) in enumerate(flood) for k in range(2)]
        assert [r["type"] for r in replies] == ["saved"] * 4 + ["error"] * 2  # 4 per address, whatever the rooms
        assert replies[-1]["code"] == "busy" and "max_saved_runs_per_address" in replies[-1]["message"]
        assert "delete" in replies[-1]["message"]  # it says how to make room
    with rooms_from(srv, "10.0.0.2", 1) as [(ws, token)]:
        assert save(ws, "someone else's")["type"] == "saved"  # before: busy for everyone from here on
        assert listed(srv, token) == ["someone else's"]


def test_the_full_store_makes_way_with_the_largest_holders_oldest_run_also_after_a_restart(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path, **SMALL)
    with rooms_from(srv, "10.0.0.1", 2) as flood, rooms_from(srv, "10.0.0.2", 1) as [(b, b_token)]:
        for i, (ws, _) in enumerate(flood):
            assert [save(ws, f"a{i}{k}")["type"] for k in range(2)] == ["saved", "saved"]
        assert [save(b, f"b{k}")["type"] for k in range(2)] == ["saved", "saved"]  # the store is full: 6 runs
        a_tokens = [t for _, t in flood]
    srv.stop()
    srv = server_factory(data_dir=tmp_path, **SMALL)  # the same data directory: the budgets hold across restarts
    with rooms_from(srv, "10.0.0.3", 1) as [(c, c_token)]:
        assert save(c, "c0")["type"] == "saved"  # before: busy, for good
        assert listed(srv, c_token) == ["c0"]
        assert sorted(listed(srv, a_tokens[0]) + listed(srv, a_tokens[1])) == ["a01", "a10", "a11"]  # a00 went
        assert sorted(listed(srv, b_token)) == ["b0", "b1"]  # the smaller holder keeps all of its runs
    with rooms_from(srv, "10.0.0.1", 1) as [(a, a_token)]:
        assert save(a, "a2")["type"] == "saved"  # the largest holder saving again makes way with its own oldest
        assert sorted(listed(srv, a_tokens[0]) + listed(srv, a_tokens[1]) + listed(srv, a_token)) == ["a10", "a11", "a2"]
        assert sorted(listed(srv, b_token)) == ["b0", "b1"] and listed(srv, c_token) == ["c0"]


def test_budgets_of_bytes_per_owner_and_per_address_refuse_with_the_figures(tmp_path):
    store = RunStore(tmp_path, S.Budget(max_runs=100, max_bytes=100_000, max_per_owner=100, max_bytes_per_owner=3_000,
                                      max_per_address=100, max_bytes_per_address=5_000))
    store.save("a", run(2_000), owner="o1" * 8, address="10.0.0.1")
    with pytest.raises(StoreFull, match="max_saved_mb_per_owner"):
        store.save("b", run(2_000), owner="o1" * 8, address="10.0.0.1")
    store.save("c", run(2_000), owner="o2" * 8, address="10.0.0.1")
    with pytest.raises(StoreFull, match="max_saved_mb_per_address"):
        store.save("d", run(2_000), owner="o3" * 8, address="10.0.0.1")
    store.save("e", run(2_000), owner="o3" * 8, address="10.0.0.2")  # another address: its own budget
    assert [len(store.list(o * 8)) for o in ("o1", "o2", "o3")] == [1, 1, 1]
    store.close()


def test_the_server_bound_on_bytes_evicts_from_the_holder_of_the_most_bytes(tmp_path):
    store = RunStore(tmp_path, S.Budget(max_runs=100, max_bytes=10_000, max_per_owner=100, max_bytes_per_owner=10_000,
                                      max_per_address=100, max_bytes_per_address=10_000))
    store.save("small-1", run(1_000), owner="s" * 16, address="10.0.0.1")
    store.save("small-2", run(1_000), owner="s" * 16, address="10.0.0.1")
    store.save("big-1", run(3_000), owner="b" * 16, address="10.0.0.2")
    store.save("big-2", run(3_000), owner="b" * 16, address="10.0.0.2")  # 8,000 of 10,000 bytes
    store.save("new", run(2_500), owner="n" * 16, address="10.0.0.3")  # 10.0.0.2 holds the most bytes
    assert [r["name"] for r in store.list("b" * 16)] == ["big-2"]
    assert sorted(r["name"] for r in store.list("s" * 16)) == ["small-1", "small-2"]
    with pytest.raises(StoreFull, match="max_saved_mb"):  # one run larger than the whole store: refused
        store.save("huge", run(20_000), owner="n" * 16, address="10.0.0.3")
    assert len(store.list("n" * 16)) == 1
    store.close()
