"""The wheel carries the whole frontend, so `pip install .` then `flowscope` works from any folder."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_every_frontend_file(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT),
                    "-w", str(tmp_path)], check=True, cwd=tmp_path, timeout=120)
    (wheel,) = tmp_path.glob("flowscope-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {p.relative_to(ROOT).as_posix() for p in (ROOT / "frontend").rglob("*")
              if p.is_file() and p.suffix in {".js", ".css", ".html", ".svg", ".png", ".py", ".json"}}
    assert wanted and wanted <= names, sorted(wanted - names)
    assert "server/cli.py" in names and "engine/trainer.py" in names
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "flowscope = server.cli:main" in entry
