"""The browser's fallback schema (frontend/schema.js) is exactly what GET /api/schema serves: a
setting, choice or model changed in the engine and not re-exported fails here."""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import write_schema  # noqa: E402


def test_the_snapshot_equals_the_served_schema(live_server):
    text = (ROOT / "frontend" / "schema.js").read_text(encoding="utf-8")
    body = re.search(r"export const SCHEMA = (\{.*\});\s*$", text, re.S).group(1)
    served = live_server.get("/api/schema").json()
    assert json.loads(body) == {k: served[k] for k in write_schema.KEYS}, \
        "frontend/schema.js is stale: run .venv/bin/python scripts/write_schema.py"


def test_every_choice_has_the_engines_title():
    for name, model in write_schema.snapshot()["models"].items():
        for key, prop in model["properties"].items():
            enum = prop.get("enum") or next((a["enum"] for a in prop.get("anyOf", []) if "enum" in a), None)
            if enum and isinstance(enum[0], str):
                assert set(prop.get("x-titles", {})) == set(enum), (name, key)
