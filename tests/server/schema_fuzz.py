"""A seeded generator of client messages from the published JSON Schema (GET /api/schema), and the
oracle that says which are valid: the same schema, checked by an independent validator (jsonschema_rs),
never the server's own pydantic models.

`Fuzzer(schema, seed).message(type_)` → (message, valid_by_schema). About half are valid messages
(cheap ones: counts and sizes near their minimum, so thousands run in seconds); the rest are one
mutation away from valid — a wrong type, a value past a bound, a string outside its pattern, an unknown
or missing key, a bad config value — and the oracle confirms each is invalid.
"""
from __future__ import annotations

import random
import re
import string

import jsonschema_rs

# strings tried for a `pattern`, the first that matches wins (the schema's patterns are simple classes)
SAFE_CHARS = string.ascii_letters + string.digits
ODD_STRINGS = ["é", "\u0000", "tök én", "\ud7ff", "☃", "a\u0007", "  ", "../x", "\u202e", "'; drop table runs"]
EXPENSIVE = {"transformer"}  # valid creates of these take seconds each: the fuzz makes cheap rooms


class Fuzzer:
    def __init__(self, schema: dict, seed: int, model: str = "neuron"):
        self.client = schema["client"]
        self.defs = self.client["$defs"]
        self.models = schema["models"]
        self.model = model  # the room's model, for configure's config
        self.rng = random.Random(seed)
        self.types = sorted(self.client["discriminator"]["mapping"])
        self.by_type = {t: self._deref({"$ref": ref}) for t, ref in self.client["discriminator"]["mapping"].items()}
        self.check_client = jsonschema_rs.validator_for(self.client)
        self.check_model = {name: jsonschema_rs.validator_for(s) for name, s in self.models.items()}

    # ----- the oracle ------------------------------------------------------------------------------
    def valid(self, msg) -> bool:
        """Valid by /api/schema: the client message, and its config against its model's config schema."""
        if not self.check_client.is_valid(msg):
            return False
        if msg.get("type") == "create":
            return self.check_model[msg.get("model", "neuron")].is_valid(msg.get("config", {}))
        if msg.get("type") == "configure":
            return self.check_model[self.model].is_valid(msg["config"])
        return True

    # ----- generation ------------------------------------------------------------------------------
    def message(self, type_: str | None = None) -> tuple[dict, bool]:
        type_ = type_ or self.rng.choice(self.types)
        msg = self._valid_message(type_)
        if self.rng.random() < 0.5:
            msg = self._mutate(msg, self.by_type[type_])
        return msg, self.valid(msg)

    def _deref(self, s: dict) -> dict:
        while "$ref" in s:
            s = self.defs[s["$ref"].rsplit("/", 1)[-1]]
        return s

    def _valid_message(self, type_: str) -> dict:
        schema = self.by_type[type_]
        msg = self.value(schema)
        msg["type"] = type_
        if type_ == "create":
            model = self.rng.choice([m for m in self.models if m not in EXPENSIVE])
            msg.update(model=model, config=self.config(model))
        elif type_ == "configure":
            msg["config"] = self.config(self.model)
        return msg

    def config(self, model: str) -> dict:
        props = self.models[model]["properties"]
        keys = self.rng.sample(sorted(props), k=min(len(props), self.rng.choice([0, 1, 1, 2])))
        return {k: self.value(props[k]) for k in keys}

    def value(self, s: dict):
        """A cheap valid instance of schema `s`."""
        s = self._deref(s)
        rng = self.rng
        if "const" in s:
            return s["const"]
        if "enum" in s:
            return rng.choice(s["enum"])
        if "anyOf" in s:
            options = [o for o in s["anyOf"] if self._deref(o).get("type") != "null"]
            return None if (not options or rng.random() < 0.2) and any(
                self._deref(o).get("type") == "null" for o in s["anyOf"]) else self.value(rng.choice(options))
        t = s.get("type")
        if t == "object":
            out = {}
            for k, sub in s.get("properties", {}).items():
                if k in s.get("required", []) or rng.random() < 0.5:
                    out[k] = self.value(sub)
            return out
        if t == "array":
            if "prefixItems" in s:
                return [self.value(p) for p in s["prefixItems"]]
            lo, hi = s.get("minItems", 0), min(s.get("maxItems", 4), s.get("minItems", 0) + 3)
            return [self.value(s.get("items", {})) for _ in range(rng.randint(lo, hi))]
        if t == "integer":
            lo = s.get("minimum", 0)
            return rng.randint(lo, min(s.get("maximum", lo + 3), lo + 3))  # near the minimum: cheap to run
        if t == "number":
            lo = s.get("minimum", s.get("exclusiveMinimum", 0.0))
            hi = min(s.get("maximum", lo + 1.0), lo + 1.0)
            v = rng.uniform(lo, hi)
            return v if v > s.get("exclusiveMinimum", float("-inf")) else hi
        if t == "boolean":
            return rng.random() < 0.5
        if t == "string":
            lo, hi = s.get("minLength", 0), min(s.get("maxLength", 12), max(s.get("minLength", 0), 12))
            for _ in range(50):
                text = "".join(rng.choice(SAFE_CHARS) for _ in range(rng.randint(max(lo, 1), max(hi, 1))))
                if "pattern" not in s or re.search(s["pattern"], text):
                    return text
            return "a" * max(lo, 1)
        return None  # an unconstrained value

    # ----- one mutation away from valid -------------------------------------------------------------
    def _mutate(self, msg: dict, schema: dict) -> dict:
        rng = self.rng
        msg = dict(msg)
        fields = [k for k in schema.get("properties", {}) if k != "type"]
        kind = rng.choice(["extra", "missing", "field", "field", "field", "config"])
        if kind == "extra" or not fields:
            msg[rng.choice(["zz", "speed", "token", "__proto__", "é"])] = rng.choice([1, "x", None, [], {}])
        elif kind == "missing" and len(schema.get("required", [])) > 1:
            msg.pop(rng.choice([k for k in schema["required"] if k != "type"]), None)
        elif kind == "config" and msg["type"] in ("create", "configure"):
            model = msg.get("model", "neuron") if msg["type"] == "create" else self.model
            props = self.models[model]["properties"]
            key = rng.choice(sorted(props) + ["wings"])
            msg["config"] = {**msg.get("config", {}), key: self.wrong(props.get(key, {"type": "null"}))}
        else:
            key = rng.choice(fields)
            msg[key] = self.wrong(schema["properties"][key])
        return msg

    def wrong(self, s: dict):
        """A value that `s` (probably) refuses: the oracle decides for sure."""
        s = self._deref(s)
        rng = self.rng
        if "anyOf" in s:
            s = self._deref(rng.choice([o for o in s["anyOf"] if self._deref(o).get("type") != "null"] or s["anyOf"]))
        t = s.get("type")
        choices = [rng.choice([True, False]), "1", 1.5, [], {}, "zz-not-a-choice", 10**30, -1, None]
        if t in ("integer", "number"):
            if "maximum" in s:
                choices.append(s["maximum"] + (1 if t == "integer" else 1.0))
            if "minimum" in s:
                choices.append(s["minimum"] - 1)
            choices += [True, "3", float("nan") if t == "number" else 2.5]
        if t == "string":
            choices += ODD_STRINGS + ["x" * (s.get("maxLength", 64) + 1), 7, ""]
        if t == "array":
            choices += [[None] * (s.get("maxItems", 4) + 1), "[]", [[1, 2]], [["a", "b", "c"]]]
        if "enum" in s:
            choices += [str(s["enum"][0]).upper() + "!", True]
        return rng.choice(choices)
