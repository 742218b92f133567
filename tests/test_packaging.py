"""The wheel carries the whole frontend under one import name, so `pip install .` then `flowscope`
works from any folder and installs nothing called `engine`, `server` or `frontend`."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {".js", ".css", ".html", ".svg", ".png", ".py", ".json"}


def test_wheel_ships_every_module_under_flowscope(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT),
                    "-w", str(tmp_path)], check=True, cwd=tmp_path, timeout=120)
    (wheel,) = tmp_path.glob("flowscope-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {"flowscope/" + p.relative_to(ROOT).as_posix()
              for top in ("engine", "server", "frontend") for p in (ROOT / top).rglob("*")
              if p.is_file() and p.suffix in SHIPPED and "__pycache__" not in p.parts}
    assert wanted and wanted <= names, sorted(wanted - names)
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"flowscope"}, tops
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "flowscope = flowscope.server.cli:main" in entry
