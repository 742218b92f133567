"""X-Forwarded-For is believed only from the proxies `forwarded_allow_ips` names (issue 20, case 11;
issue 21, case 4). uvicorn's default trusted it from 127.0.0.1, so any local client could claim
another address per socket and hold more rooms than one computer may."""
from __future__ import annotations

import pytest

from ws_helpers import recv_until, send


def two_creates(srv) -> list[str]:
    """Two sockets from this machine, each claiming another address, create a room each."""
    got = []
    with srv.connect(additional_headers={"X-Forwarded-For": "10.9.8.1"}) as a, \
            srv.connect(additional_headers={"X-Forwarded-For": "10.9.8.2"}) as b:
        for ws in (a, b):
            send(ws, {"type": "create", "model": "neuron"})
            got.append(recv_until(ws, lambda m: m["type"] in ("session", "error"), timeout=20)["type"])
    return got


@pytest.mark.parametrize("trusted,expected", [(None, ["session", "error"]), ("127.0.0.1", ["session", "session"])],
                         ids=["nobody-trusted", "proxy-named"])
def test_forwarded_for_counts_only_from_a_named_proxy(server_factory, trusted, expected):
    srv = server_factory(max_sessions_per_client=1, forwarded_allow_ips=trusted)
    assert two_creates(srv) == expected
