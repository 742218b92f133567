"""Start-up: from starting `flowscope` to its first /api/health answer, against the time of a bare
`python -c "import torch"` measured in the same run (issue 21: health must not wait for torch).

    .venv/bin/python bench/startup.py [repeats]
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def import_torch() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True, timeout=120)
    return time.perf_counter() - start


def to_health(room_processes: int) -> tuple[float, float]:
    """(seconds to the first health answer, seconds until every room process is warm)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "flowscope.server.cli", "--port", str(port), "--no-browser",
                                 "--data-dir", data, "--room-processes", str(room_processes)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        health = warm = None
        try:
            deadline = start + 120
            while warm is None and time.perf_counter() < deadline:
                try:
                    got = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).json()
                except httpx.HTTPError:
                    time.sleep(0.01)
                    continue
                health = health or time.perf_counter() - start
                if not room_processes or got["warm"] == room_processes:
                    warm = time.perf_counter() - start
                time.sleep(0.01)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    return health, warm


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} cores, load average {os.getloadavg()[0]:.1f}; best of {repeats}")
    bare = min(import_torch() for _ in range(repeats))
    print(f"python -c 'import torch': {bare:.2f} s")
    for rp in (0, min(8, cores)):
        runs = [to_health(rp) for _ in range(repeats)]
        health, warm = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"--room-processes {rp}: start → health {health:.2f} s ({health / bare:.2f}× import torch; "
              f"target ≤ 0.5×), every room process warm after {warm:.2f} s")


if __name__ == "__main__":
    main()
