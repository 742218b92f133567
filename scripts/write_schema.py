"""Write frontend/schema.js: the part of GET /api/schema the browser reads (each model's settings
with bounds, choices and their titles, the live keys, the models' names), for when that request
fails. Run it after changing a setting, a choice or a model in the engine; tests/server/
test_schema_snapshot.py fails until you do.

    .venv/bin/python scripts/write_schema.py
"""
from __future__ import annotations

import json
from pathlib import Path

from flowscope.server.protocol import json_schema

KEYS = ("protocol", "models", "live", "titles", "scale")  # what the page uses; the message schemas stay server-side
TARGET = Path(__file__).resolve().parents[1] / "frontend" / "schema.js"
HEADER = ("// Written by scripts/write_schema.py from the server's GET /api/schema (the engine's settings,\n"
          "// choices and names): the page's copy for when that request fails. Don't edit: rerun the script.\n")


def snapshot() -> dict:
    full = json_schema()
    return {k: full[k] for k in KEYS}


def render() -> str:
    return HEADER + "export const SCHEMA = " + json.dumps(snapshot(), indent=1, ensure_ascii=False) + ";\n"


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET} ({TARGET.stat().st_size:,} bytes)")
