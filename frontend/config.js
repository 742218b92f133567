// Settings: the per-model config schema (from GET /api/schema, with a built-in copy so the page
// still works when that request fails), reading settings from the URL, and coercing form values.
// Pure: no DOM, no network.

import { GPT_FALLBACK_SCHEMA } from "./gpt/schema.js";

export const MODELS = ["neuron", "line", "mlp", "transformer"];

export const MODEL_TITLES = { neuron: "Neuron", line: "Line", mlp: "Network", transformer: "Transformer" };

/** How many input features each neuron dataset has; the server checks they agree. */
export const DATASET_FEATURES = { pass_fail: 1, and: 2, or: 2, blobs: 2, xor: 2 };

const COMMON = {
  lr: { type: "number", minimum: 0.000001, maximum: 1000, default: 0.5, title: "learning rate" },
  batch_size: { type: "integer", minimum: 1, maximum: 1000, default: 1, title: "batch size" },
  seed: { type: "integer", minimum: 0, maximum: 2147483647, default: 0, title: "seed" },
  noise: { type: "number", minimum: 0, maximum: 1, default: 0.1, title: "noise" },
  speed: { type: "number", minimum: 1, maximum: 100000, default: 30, title: "speed (steps/s)" },
  optimizer: { type: "string", enum: ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"], default: "sgd" },
  momentum: { type: "number", minimum: 0, maximum: 0.999, default: 0.9 },
  weight_decay: { type: "number", minimum: 0, maximum: 1, default: 0 },
  clip: { type: "number", minimum: 0, maximum: 1000, default: 0 },
  schedule: { type: "string", enum: ["constant", "step", "warmup", "cosine"], default: "constant" },
  warmup_steps: { type: "integer", minimum: 0, maximum: 100000, default: 0 },
  schedule_steps: { type: "integer", minimum: 1, maximum: 1000000, default: 1000 },
};

export const FALLBACK_SCHEMA = {
  neuron: {
    type: "object",
    properties: {
      ...COMMON,
      dataset: { type: "string", enum: ["pass_fail", "and", "or", "blobs"], default: "pass_fail", title: "dataset" },
      features: { type: "integer", enum: [1, 2], default: 1 },
      n_samples: { type: "integer", minimum: 4, maximum: 1000, default: 40 },
    },
  },
  line: {
    type: "object",
    properties: {
      ...COMMON,
      lr: { ...COMMON.lr, default: 0.02 },
      batch_size: { ...COMMON.batch_size, default: 4 },
      noise: { ...COMMON.noise, default: 0.2 },
      dataset: { type: "string", enum: ["linear", "offset"], default: "linear", title: "dataset" },
      bias: { type: "boolean", default: false, title: "bias b" },
      n_samples: { type: "integer", minimum: 4, maximum: 1000, default: 20 },
    },
  },
  mlp: {
    type: "object",
    properties: {
      ...COMMON,
      lr: { ...COMMON.lr, default: 0.03 },
      batch_size: { ...COMMON.batch_size, default: 10 },
      speed: { ...COMMON.speed, default: 300 },
      n_samples: { type: "integer", minimum: 10, maximum: 2000, default: 300 },
      dataset: { type: "string", enum: ["circle", "xor", "gauss", "spiral", "moons", "three", "plane", "bumps", "custom"], default: "circle" },
      test_fraction: { type: "number", minimum: 0.1, maximum: 0.9, default: 0.5 },
      hidden: { type: "array", items: { type: "integer", minimum: 1, maximum: 8 }, minItems: 0, maxItems: 6, default: [4, 2] },
      activation: { type: "string", enum: ["relu", "tanh", "sigmoid", "linear", "gelu"], orList: true, default: "tanh" },
      features: { type: "array", items: { type: "string", enum: ["x1", "x2", "x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2"] }, minItems: 1, maxItems: 7, default: ["x1", "x2"] },
      init: { type: "string", enum: ["zeros", "uniform", "xavier", "he", "large"], default: "uniform" },
      l1: { type: "number", minimum: 0, maximum: 1, default: 0 },
      l2: { type: "number", minimum: 0, maximum: 1, default: 0 },
    },
  },
  transformer: GPT_FALLBACK_SCHEMA,
};

/** The fields the bottom form shows, in this order (others in the schema stay at their defaults). */
export const FORM_FIELDS = ["dataset", "lr", "batch_size", "noise", "seed", "speed", "bias"];

/** A network's data and architecture have their own panels; the bottom form keeps the rest. */
const MODEL_FORM_FIELDS = {
  mlp: ["lr", "batch_size", "speed", "l1", "l2"],
  transformer: ["grad_clip", "n_layer", "n_head", "n_embd", "task", "speed"], // η and the rest: the page's own panels
};

export function formFields(model) {
  return MODEL_FORM_FIELDS[model] ?? FORM_FIELDS;
}

/** Keys that apply to the running session without rebuilding it. */
export const LIVE_KEYS = new Set(["lr", "speed", "l1", "l2", "grad_clip", "weight_decay"]);

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
    // "one name, or a list of them" (a network's activation): keep the single form, remember the list
    const list = parts.find((a) => a.type === "array");
    const single = parts.filter((a) => a.type !== "array");
    const base = single.length ? single : parts;
    const enums = base.flatMap((a) => a.enum ?? (a.const !== undefined ? [a.const] : []));
    const merged = { ...base[0], ...p, anyOf: undefined, oneOf: undefined };
    if (enums.length) merged.enum = enums;
    if (list && single.length) merged.orList = true;
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
  // Lists travel in URLs as comma lists: hidden=4,2 · activation=relu,tanh · features=x1,x2,x1sq
  if (type === "array" || (prop.orList && s.includes(","))) {
    const itemProp = type === "array" ? resolveProp(prop.items ?? {}) : { ...prop, orList: false };
    const items = s === "" ? [] : s.split(",").map((part) => coerce(itemProp, part));
    if (items.some((v) => v === undefined)) return undefined;
    if (itemProp.enum && items.some((v) => !itemProp.enum.includes(v))) return undefined;
    const out = (v) => (typeof itemProp.minimum === "number" && v < itemProp.minimum) || (typeof itemProp.maximum === "number" && v > itemProp.maximum);
    if (items.some(out)) return undefined;
    if ((typeof prop.maxItems === "number" && items.length > prop.maxItems) || items.length < (prop.minItems ?? 0)) return undefined;
    return items;
  }
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
  if (type === "string") return prop.orList && prop.enum && !prop.enum.includes(s) ? undefined : s;
  // Unknown type: numbers look like numbers, booleans like booleans.
  if (s !== "" && Number.isFinite(Number(s))) return Number(s);
  if (s === "true" || s === "false") return s === "true";
  return s;
}

/**
 * Query keys that describe the page, not the run (presenter mode, locked or hidden controls, an
 * open lesson, the viewer's name): readLocation leaves them to locks.js instead of the config.
 */
export const PAGE_KEYS = new Set(["model", "room", "presenter", "lock", "hide", "lesson", "lstep", "name"]);

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
    if (PAGE_KEYS.has(key)) continue;
    const prop = properties[key];
    const value = prop ? coerce(prop, raw) : undefined;
    if (value === undefined) ignored.push(key);
    else config[key] = value;
  }
  return { model, config: fitActivations(model, withFeatures(model, config)), room, ignored };
}

/** The query string that recreates `config` for `model` (lists as comma lists), for the URL bar. */
export function locationSearch(model, config) {
  const q = new URLSearchParams();
  if (model !== "neuron") q.set("model", model);
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || v === null || (k === "dataset" && v === "custom")) continue;
    if (k === "text") continue; // a transformer's pasted text can be a book: it stays out of the URL
    q.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const text = q.toString().replace(/%2C/g, ",");
  return text ? `?${text}` : "";
}

/**
 * A network's activation list must name one function per hidden layer: pad it with its last name
 * (or cut it) when the URL's `hidden` says otherwise, rather than have the server refuse the run.
 */
export function fitActivations(model, config) {
  if (model !== "mlp" || !Array.isArray(config.activation)) return config;
  const n = (config.hidden ?? [4, 2]).length;
  const acts = config.activation.slice(0, n);
  while (acts.length < n) acts.push(acts[acts.length - 1] ?? "tanh");
  return { ...config, activation: acts };
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
    circle: "circle",
    gauss: "two gaussians",
    spiral: "spiral",
    moons: "two moons",
    three: "three blobs (3 classes)",
    plane: "plane (regression)",
    bumps: "bumps (regression)",
    custom: "your own points",
  };
  return labels[name] ?? String(name).replace(/_/g, " ");
}
