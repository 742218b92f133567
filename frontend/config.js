// Settings: the per-model config schema (from GET /api/schema, with a built-in copy so the page
// still works when that request fails), reading settings from the URL, and coercing form values.
// Pure: no DOM, no network.

export const MODELS = ["neuron", "line"];

export const MODEL_TITLES = { neuron: "Neuron", line: "Line" };

/** How many input features each neuron dataset has; the server checks they agree. */
export const DATASET_FEATURES = { pass_fail: 1, and: 2, or: 2, blobs: 2, xor: 2 };

const COMMON = {
  lr: { type: "number", minimum: 0, maximum: 1000, default: 0.5, title: "learning rate" },
  batch_size: { type: "integer", minimum: 1, maximum: 1000, default: 1, title: "batch size" },
  seed: { type: "integer", minimum: 0, maximum: 1000000, default: 0, title: "seed" },
  noise: { type: "number", minimum: 0, maximum: 10, default: 0.1, title: "noise" },
  speed: { type: "number", minimum: 0.1, maximum: 1000, default: 30, title: "speed (steps/s)" },
};

export const FALLBACK_SCHEMA = {
  neuron: {
    type: "object",
    properties: {
      ...COMMON,
      dataset: { type: "string", enum: ["pass_fail", "and", "or", "blobs"], default: "pass_fail", title: "dataset" },
      features: { type: "integer", minimum: 1, maximum: 2, default: 1 },
      n_samples: { type: "integer", minimum: 2, maximum: 1000, default: 40 },
    },
  },
  line: {
    type: "object",
    properties: {
      ...COMMON,
      lr: { ...COMMON.lr, default: 0.05 },
      dataset: { type: "string", enum: ["linear", "offset"], default: "linear", title: "dataset" },
      bias: { type: "boolean", default: false, title: "bias b" },
      n_samples: { type: "integer", minimum: 2, maximum: 1000, default: 40 },
    },
  },
};

/** The fields the form shows, in this order (others in the schema stay at their defaults). */
export const FORM_FIELDS = ["dataset", "lr", "batch_size", "noise", "seed", "speed", "bias"];

/** Keys that apply to the running session without rebuilding it. */
export const LIVE_KEYS = new Set(["lr", "speed"]);

/**
 * Resolve one property of a JSON Schema: follows a local `$ref`, and folds the `anyOf` pydantic
 * writes for Optional/Literal fields into a single {type, enum, minimum, maximum}.
 */
export function resolveProp(prop, root = {}) {
  if (!prop || typeof prop !== "object") return {};
  let p = prop;
  if (p.$ref && typeof p.$ref === "string" && p.$ref.startsWith("#/")) {
    const target = p.$ref.slice(2).split("/").reduce((o, k) => (o ? o[k] : undefined), root);
    p = { ...target, ...p, $ref: undefined };
  }
  if (Array.isArray(p.allOf) && p.allOf.length === 1) p = { ...resolveProp(p.allOf[0], root), ...p, allOf: undefined };
  const alts = p.anyOf ?? p.oneOf;
  if (Array.isArray(alts)) {
    const parts = alts.map((a) => resolveProp(a, root)).filter((a) => a.type !== "null");
    const enums = parts.flatMap((a) => a.enum ?? (a.const !== undefined ? [a.const] : []));
    const merged = { ...parts[0], ...p, anyOf: undefined, oneOf: undefined };
    if (enums.length) merged.enum = enums;
    p = merged;
  }
  if (p.const !== undefined && !p.enum) p = { ...p, enum: [p.const] };
  if (!p.type && p.enum) p = { ...p, type: typeof p.enum[0] === "number" ? "number" : "string" };
  return p;
}

/** The config schema for one model out of a /api/schema reply, or the built-in one. */
export function modelSchema(schemaReply, model) {
  const fromServer = schemaReply?.models?.[model];
  const schema = fromServer?.properties ? fromServer : FALLBACK_SCHEMA[model] ?? FALLBACK_SCHEMA.neuron;
  const props = {};
  for (const [k, v] of Object.entries(schema.properties ?? {})) props[k] = resolveProp(v, schema);
  return { properties: props };
}

/** Turn a string (from the URL or a form) into the type the schema asks for; undefined if invalid. */
export function coerce(prop, raw) {
  const type = prop?.type;
  if (typeof raw !== "string") return raw;
  const s = raw.trim();
  if (type === "boolean") {
    if (/^(1|true|yes|on)$/i.test(s)) return true;
    if (/^(0|false|no|off)$/i.test(s)) return false;
    return undefined;
  }
  if (type === "integer") {
    const n = Number(s);
    return Number.isInteger(n) ? n : undefined;
  }
  if (type === "number") {
    const n = Number(s);
    return s !== "" && Number.isFinite(n) ? n : undefined;
  }
  if (type === "string") return s;
  // Unknown type: numbers look like numbers, booleans like booleans.
  if (s !== "" && Number.isFinite(Number(s))) return Number(s);
  if (s === "true" || s === "false") return s === "true";
  return s;
}

/**
 * Read `?model=line&lr=0.05&seed=3` (or a room in `/room/CODE` / `?room=CODE`).
 * Returns {model, config, room, ignored}: unknown or unreadable keys land in `ignored`, so a typo
 * in the URL is reported instead of making the server refuse the whole session.
 */
export function readLocation(pathname, search, schemaReply) {
  const q = new URLSearchParams(search);
  const roomMatch = /^\/room\/([A-Za-z0-9]+)\/?$/.exec(pathname ?? "");
  const room = roomMatch ? roomMatch[1].toUpperCase() : (q.get("room") || "").toUpperCase() || null;
  const model = MODELS.includes(q.get("model")) ? q.get("model") : "neuron";
  const { properties } = modelSchema(schemaReply, model);
  const config = {};
  const ignored = [];
  for (const [key, raw] of q.entries()) {
    if (key === "model" || key === "room") continue;
    const prop = properties[key];
    const value = prop ? coerce(prop, raw) : undefined;
    if (value === undefined) ignored.push(key);
    else config[key] = value;
  }
  return { model, config: withFeatures(model, config), room, ignored };
}

/** For the neuron, `features` follows the dataset (pass_fail has one, the others two). */
export function withFeatures(model, config) {
  if (model !== "neuron" || config.dataset === undefined) return config;
  const f = DATASET_FEATURES[config.dataset];
  return f && config.features === undefined ? { ...config, features: f } : config;
}

/** The `configure` message for one changed form field. */
export function configureMessage(model, key, value) {
  const config = { [key]: value };
  if (model === "neuron" && key === "dataset") {
    const f = DATASET_FEATURES[value];
    if (f) config.features = f;
  }
  return { type: "configure", config };
}

/** Human label of a dataset choice. */
export function datasetLabel(name) {
  const labels = {
    pass_fail: "pass / fail (1 feature)",
    and: "AND (2 features)",
    or: "OR (2 features)",
    blobs: "two blobs (2 features)",
    xor: "XOR (2 features)",
    linear: "y = a·x",
    offset: "y = a·x + b",
  };
  return labels[name] ?? String(name).replace(/_/g, " ");
}
