"""Start-up (issue 21, case 1): `flowscope` answers /api/health and serves the page before its room
processes have imported torch; it says "running at" only once the port accepts connections; a port
in use is reported at once; the first room waits for a warm room process only as long as it must."""
from __future__ import annotations

import json
import re
import socket
import time

import httpx

import cliproc
from test_shutdown import _wait_for
from ws_helpers import ws_connect


def test_health_and_the_page_answer_before_the_room_processes_are_warm(tmp_path):
    cli = cliproc.start(tmp_path, "--room-processes", "2")
    try:
        first = cli.health()
        # each room process imports torch before it serves: the web process did not wait for that
        assert first["room_processes"] == 2 and first["warm"] < 2, first
        assert httpx.get(f"{cli.url}/", timeout=5).status_code == 200
        with ws_connect(f"ws://127.0.0.1:{cli.port}/ws", open_timeout=10) as ws:  # the first room waits for one
            ws.send(json.dumps({"type": "create", "model": "neuron"}))
            assert _wait_for(ws, "session", timeout=120)["model"] == "neuron"
            assert _wait_for(ws, "state")["step"] == 0
        cli.wait_warm()
    finally:
        cli.stop()


def test_running_at_is_printed_only_once_the_port_accepts(tmp_path):
    cli = cliproc.start(tmp_path, healthy=False)
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"running at (http://\S+)", cli.output())):
            assert cli.proc.poll() is None and time.monotonic() < deadline, cli.output()
            time.sleep(0.005)
        # the moment the line is there, a connection succeeds (it used to come 3.7–8.6 s before the listen)
        with socket.create_connection(("127.0.0.1", cli.port), timeout=2):
            pass
        assert found.group(1) == f"http://127.0.0.1:{cli.port}"
    finally:
        cli.stop()


def test_a_port_in_use_is_reported_at_once(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cli = cliproc.start(tmp_path, port=port, healthy=False)
        try:
            rc = cli.proc.wait(timeout=30)
        finally:
            cli.kill()
    assert rc == 2
    assert f"cannot listen on 127.0.0.1:{port}" in cli.output() and "--port" in cli.output()
    assert "running at" not in cli.output()
