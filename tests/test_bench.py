"""`make bench` runs bench/run_all.py, which finds every benchmark (bench/*.py with a main())."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_bench_calls_a_script_that_exists():
    recipe = re.search(r"^bench:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    script = next(w for w in recipe.split() if w.endswith(".py"))
    assert (ROOT / script).is_file(), recipe


def test_every_benchmark_has_a_main_and_unknown_names_are_refused():
    sys.path.insert(0, str(ROOT / "bench"))
    import run_all

    names = run_all.benchmarks()
    assert {"engines", "stream", "transformer"} <= set(names)
    for name in names:
        assert re.search(r"^def main\(", (ROOT / "bench" / f"{name}.py").read_text(), re.M), name
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run_all.py"), "no_such_bench"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "engines" in out.stdout
