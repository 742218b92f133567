"""`make bench`: every benchmark in bench/, one after another, each in its own process, with its
figures printed as it goes. A benchmark file is any bench/*.py with a `main()`; ARGS gives the
arguments that keep the slow ones to a few minutes (run a file alone for its full options).

    .venv/bin/python bench/run_all.py [name ...]     # e.g. run_all.py engines stream
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"__init__", "common", "run_all"}
# file → argument lists, one run each (a file not named here runs once with no arguments)
ARGS = {
    "stream": [["neuron"], ["mlp"]],
    "transformer": [["overhead"], ["defaults", "--seconds", "30"]],
}


def benchmarks() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS)


def main(names: list[str]) -> int:
    unknown = set(names) - set(benchmarks())
    if unknown:
        print(f"no benchmark named {', '.join(sorted(unknown))}; there are: {', '.join(benchmarks())}")
        return 2
    failed = []
    for name in names or benchmarks():
        for args in ARGS.get(name, [[]]):
            label = " ".join([name, *args])
            print(f"\n=== bench/{name}.py {' '.join(args)}".rstrip(), flush=True)
            start = time.perf_counter()
            code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *args], cwd=HERE.parent)
            print(f"=== {label}: {'ok' if code == 0 else f'exit {code}'} in {time.perf_counter() - start:.0f} s",
                  flush=True)
            if code:
                failed.append(label)
    if failed:
        print("\nfailed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
