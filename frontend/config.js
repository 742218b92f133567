// Settings: the per-model config schema (GET /api/schema, as schema.js holds it), reading settings
// from the URL, and coercing form values. No DOM.

import { outOfBounds } from "./refusal.js";
import { SCHEMA } from "./schema.js";

// Everything here about the models — their names, settings, bounds, choices and the words for them,
// which settings apply live — is the engine's, as GET /api/schema serves it (schema.js): no copy here.
export const MODELS = Object.keys(SCHEMA.titles);
export const MODEL_TITLES = SCHEMA.titles;

/** How many input features each neuron dataset has (the engine's fact); the server checks they agree. */
export const DATASET_FEATURES = SCHEMA.models.neuron.properties.dataset["x-facts"].features;

/** The engine's words for one choice of a setting (an optimizer, a dataset, an init…), from the schema. */
export function choiceTitle(prop, value) {
  return prop?.["x-titles"]?.[value] ?? prop?.["x-item-titles"]?.[value] ?? String(value);
}

/** The settings of `model` that apply to the running session without rebuilding it. */
export function liveKeys(model) {
  return new Set(SCHEMA.live[model] ?? []);
}

/** The fields the bottom form shows, in this order (others in the schema stay at their defaults). */
export const FORM_FIELDS = ["dataset", "lr", "batch_size", "noise", "seed", "speed", "bias"];

/** A network's data and architecture have their own panels; the bottom form keeps the rest. */
const MODEL_FORM_FIELDS = {
  mlp: ["lr", "batch_size", "speed", "l1", "l2"],
  // η and the rest: the page's own panels; workers: data-parallel processes (the Workers panel appears)
  transformer: ["grad_clip", "n_layer", "n_head", "n_embd", "task", "speed", "workers"],
};

export function formFields(model) {
  return MODEL_FORM_FIELDS[model] ?? FORM_FIELDS;
}

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

/** The config schema of one model, as served, each property resolved. */
export function modelSchema(model) {
  const schema = SCHEMA.models[model] ?? SCHEMA.models.neuron;
  const props = {};
  for (const [k, v] of Object.entries(schema.properties ?? {})) props[k] = resolveProp(v, schema);
  return { properties: props };
}

/** Whether `v` is inside a (resolved) schema property's bounds: the engine's, as served. */
export const inBounds = (prop, v) => !outOfBounds(prop, v);

/** A number input's min and max attributes from a schema property. */
export function boundAttrs(prop) {
  return ["minimum", "maximum"].filter((k) => typeof prop?.[k] === "number").map((k) => `${k.slice(0, 3)}="${prop[k]}"`).join(" ");
}

/** Turn a string (from the URL or a form) into the type the schema asks for; undefined if invalid. */
export function coerce(prop, raw) {
  const type = prop?.type;
  if (typeof raw !== "string") return raw;
  const s = raw.trim();
  // An object (a transformer's `parallel`) travels as name:value pairs: parallel=dp:2,tp:2,schedule:gpipe
  if (type === "object") {
    const pairs = s === "" ? [] : s.split(",").map((part) => /^([A-Za-z_]\w*):(.+)$/.exec(part));
    if (pairs.some((m) => !m)) return undefined;
    return Object.fromEntries(pairs.map(([, k, v]) => [k, coerce({}, v)]));
  }
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
 * open lesson, the viewer's name, a trained-run link's key): readLocation leaves them to locks.js
 * (or to `run`) instead of the config.
 */
export const PAGE_KEYS = new Set(["model", "room", "presenter", "lock", "hide", "lesson", "lstep", "name", "key"]);

/**
 * Read `?model=line&lr=0.05&seed=3` (or a room in `/room/CODE` / `?room=CODE`, or a saved run in
 * `/run/ID?key=SHARE`). Returns {model, config, room, run: {id, key} | null, ignored}: unknown or unreadable keys land in `ignored`, so a typo
 * in the URL is reported instead of making the server refuse the whole session.
 */
export function readLocation(pathname, search) {
  const q = new URLSearchParams(search);
  const roomMatch = /^\/room\/([A-Za-z0-9]+)\/?$/.exec(pathname ?? "");
  const room = roomMatch ? roomMatch[1].toUpperCase() : (q.get("room") || "").toUpperCase() || null;
  // a trained-run link, /run/ID?key=SHARE: the page opens that saved run as a copy of its own
  const runMatch = /^\/run\/([A-Za-z0-9]{1,32})\/?$/.exec(pathname ?? "");
  const key = q.get("key") ?? "";
  const run = runMatch && /^[A-Za-z0-9]{1,64}$/.test(key) ? { id: runMatch[1], key } : null;
  const model = MODELS.includes(q.get("model")) ? q.get("model") : "neuron";
  const { properties } = modelSchema(model);
  const config = {};
  const ignored = [];
  for (const [key, raw] of q.entries()) {
    if (PAGE_KEYS.has(key)) continue;
    const prop = properties[key];
    const value = prop ? coerce(prop, raw) : undefined;
    if (value === undefined) ignored.push(key);
    else config[key] = value;
  }
  return { model, config: fitActivations(model, withFeatures(model, config)), room, run, ignored };
}

/** The query string that recreates `config` for `model` (lists as comma lists), for the URL bar. */
export function locationSearch(model, config) {
  const q = new URLSearchParams();
  if (model !== "neuron") q.set("model", model);
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || v === null || (k === "dataset" && v === "custom")) continue;
    if (k === "text") continue; // a transformer's pasted text can be a book: it stays out of the URL
    if (Array.isArray(v)) q.set(k, v.join(","));
    else if (typeof v === "object") q.set(k, Object.entries(v).map(([name, x]) => `${name}:${x}`).join(","));
    else q.set(k, String(v));
  }
  const text = q.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
  return text ? `?${text}` : "";
}

/**
 * One activation name per hidden layer, whether the config holds one name or a list: a list is
 * padded with its last name (or cut) to the layer count — the one padding rule, for the URL and the
 * network editor alike.
 */
export function activationList(config) {
  const mlp = SCHEMA.models.mlp.properties;
  const n = (config.hidden ?? mlp.hidden.default).length;
  const a = config.activation ?? mlp.activation.default;
  if (!Array.isArray(a)) return Array(n).fill(a);
  const out = a.slice(0, n);
  while (out.length < n) out.push(out[out.length - 1] ?? mlp.activation.default);
  return out;
}

/** A network's activation list from the URL, fitted to its `hidden` rather than refused by the server. */
export function fitActivations(model, config) {
  if (model !== "mlp" || !Array.isArray(config.activation)) return config;
  return { ...config, activation: activationList(config) };
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
