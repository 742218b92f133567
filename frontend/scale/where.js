// The Scale page's address and its request: every setting on screen is in the query string
// (`/scale?preset=llama-3.1-405b&dp=64&zero=1&gpu=h100&precision=bf16_mixed&recompute=selective`),
// read at load, written back on every change, and turned into the POST /api/scale body. Only what
// the address (or a control) sets is sent: everything left out is the engine's default, and the page
// reads the resolved value back from the reply — it never guesses an engine number itself. Pure.

import { SCHEMA } from "../schema.js";

// Choices the API accepts, and the engine's words for them (engine/scale, served in /api/schema's
// `scale`; frontend/schema.js is its copy). Every figure comes from the engine too.
export const CHOICES = SCHEMA.scale;
export const PRECISIONS = Object.keys(CHOICES.precision);
export const OPTIMIZERS = Object.keys(CHOICES.optimizer);
export const RECOMPUTES = Object.keys(CHOICES.recompute);
export const ZERO_STAGES = Object.keys(CHOICES.zero).map(Number);
export const GPUS = Object.keys(CHOICES.gpu);
export const MLPS = Object.keys(CHOICES.mlp);
export const NORMS = Object.keys(CHOICES.norm);
export const ATTENTION_FLOPS = Object.keys(CHOICES.attention_flops);
// The utilization is given once, as MFU (model FLOPs) or as HFU (recomputation counted).
export const UTILIZATIONS = Object.keys(CHOICES.utilization);
export const LIVE_RUNGS = ["neuron", "mlp", "transformer"];

// The model fields one can edit (request `model`), and the Transformer page's own names for the
// transformer rung's config (the link from that page carries them; GET /api/scale/presets takes them).
export const MODEL_INTS = ["n_layer", "d_model", "n_head", "n_kv_head", "d_ff", "vocab", "seq_len"];
export const TRANSFORMER_KEYS = ["n_layer", "n_embd", "n_head", "block_size", "vocab"];
// …and its batch, which is the transformer rung's micro-batch (and no other rung's).
const TF_KEYS = [...TRANSFORMER_KEYS, "batch_size"];
// Address key → [request group, field, kind]. Short keys where the page has them on a control.
const FIELDS = {
  tokens: ["training", "tokens", "pos"],
  mb: ["training", "micro_batch", "int"],
  precision: ["training", "precision", PRECISIONS],
  optimizer: ["training", "optimizer", OPTIMIZERS],
  recompute: ["training", "recompute", RECOMPUTES],
  attn: ["training", "attention_flops", ATTENTION_FLOPS],
  dp: ["parallel", "dp", "int"],
  tp: ["parallel", "tp", "int"],
  pp: ["parallel", "pp", "int"],
  zero: ["parallel", "zero", ZERO_STAGES],
  sp: ["parallel", "sp", "bool"],
  gpu: ["hardware", "gpu", GPUS],
  mfu: ["hardware", "mfu", "fraction"],
  hfu: ["hardware", "hfu", "fraction"],
  usd: ["hardware", "usd_per_gpu_hour", "nonneg"],
  pue: ["hardware", "pue", "pos"],
  gbps: ["hardware", "interconnect_gbps", "pos"],
};
export const GROUPS = ["training", "parallel", "hardware"];

const NAME = /^[a-z0-9][a-z0-9.\-_]{0,40}$/;

/** A query value as the kind says, or undefined when it is missing or not valid. */
function parseValue(raw, kind) {
  if (raw === null || raw === "") return undefined;
  if (kind === "bool") return parseBool(raw);
  if (Array.isArray(kind)) {
    const hit = kind.find((c) => String(c) === raw);
    return hit === undefined ? undefined : hit;
  }
  const v = Number(raw);
  if (!Number.isFinite(v)) return undefined;
  if (kind === "int") return Number.isInteger(v) && v >= 1 ? v : undefined;
  if (kind === "fraction") return v > 0 && v <= 1 ? v : undefined;
  if (kind === "nonneg") return v >= 0 ? v : undefined;
  return v > 0 ? v : undefined; // "pos"
}

const parseBool = (raw) => (raw === null ? undefined : /^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : undefined);

function prune(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

/** The page's settings from a query string; anything unknown or invalid is left to the engine. */
export function readWhere(search) {
  const q = new URLSearchParams(search ?? "");
  const preset = NAME.test(q.get("preset") ?? "") ? q.get("preset") : null;
  const where = { preset, tf: {}, model: {}, training: {}, parallel: {}, hardware: {}, presenter: parseBool(q.get("presenter")) === true };
  if (preset === "transformer") {
    for (const k of TF_KEYS) {
      const v = parseValue(q.get(k), "int");
      if (v !== undefined) where.tf[k] = v;
    }
    const task = q.get("task");
    if (task && /^[a-z]{1,20}$/.test(task)) where.tf.task = task;
  }
  for (const k of MODEL_INTS) {
    if (preset === "transformer" && TRANSFORMER_KEYS.includes(k)) continue; // the rung's own config
    const v = parseValue(q.get(k), "int");
    if (v !== undefined) where.model[k] = v;
  }
  const mlp = parseValue(q.get("mlp"), MLPS);
  if (mlp) where.model.mlp = mlp;
  const norm = parseValue(q.get("norm"), NORMS);
  if (norm) where.model.norm = norm;
  const tied = parseBool(q.get("tied"));
  if (tied !== undefined) where.model.tied_embeddings = tied;
  for (const [key, [group, field, kind]] of Object.entries(FIELDS)) {
    const v = parseValue(q.get(key), kind);
    if (v !== undefined) where[group][field] = v;
  }
  if (where.hardware.mfu !== undefined) delete where.hardware.hfu; // both in an address: MFU is kept
  return where;
}

/** The query string for the settings on screen ("?preset=…&dp=…"); only what is set. */
export function whereSearch(where) {
  const q = new URLSearchParams();
  if (where.preset) q.set("preset", where.preset);
  if (where.preset === "transformer") {
    for (const k of TF_KEYS) if (where.tf?.[k] !== undefined) q.set(k, String(where.tf[k]));
    if (where.tf?.task) q.set("task", where.tf.task);
  }
  for (const k of MODEL_INTS) if (where.model?.[k] !== undefined) q.set(k, String(where.model[k]));
  if (where.model?.mlp) q.set("mlp", where.model.mlp);
  if (where.model?.norm) q.set("norm", where.model.norm);
  if (where.model?.tied_embeddings !== undefined) q.set("tied", where.model.tied_embeddings ? "1" : "0");
  for (const [key, [group, field]] of Object.entries(FIELDS)) {
    const v = where[group]?.[field];
    if (v !== undefined) q.set(key, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
  }
  if (where.presenter) q.set("presenter", "1");
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The transformer rung's config in the engine's names (the Transformer page says n_embd, block_size). */
export function transformerModel(tf) {
  return prune({ n_layer: tf?.n_layer, d_model: tf?.n_embd, n_head: tf?.n_head, seq_len: tf?.block_size, vocab: tf?.vocab });
}

/**
 * The POST /api/scale body for these settings. The engine resolves whatever is left out from the
 * rung (a preset's own parallel layout, its GPU count = dp·tp·pp), so a degree the address does not
 * set is not sent. The transformer rung is the Transformer page's model: `rungModel` is its entry
 * from GET /api/scale/presets (asked with that page's config), sent whole so every field follows it
 * (kv heads, d_ff); without it the config's own fields go.
 */
export function buildRequest(where, rungModel = null) {
  const body = {};
  if (where.preset) body.preset = where.preset;
  const base = where.preset === "transformer" ? (rungModel ? modelFields(rungModel) : transformerModel(where.tf)) : {};
  const model = { ...base, ...prune(where.model ?? {}) };
  if (Object.keys(model).length) body.model = model;
  for (const g of GROUPS) {
    const part = prune(where[g] ?? {});
    if (g === "training" && where.preset === "transformer" && part.micro_batch === undefined && where.tf?.batch_size) part.micro_batch = where.tf.batch_size;
    if (Object.keys(part).length) body[g] = part;
  }
  return body;
}

/** A preset's model as request fields (the ones the API takes; `kind` and `sizes` are the small models'). */
function modelFields(model) {
  const out = {};
  for (const [k, v] of Object.entries(model ?? {})) if (k !== "kind" && k !== "sizes" && v !== null && v !== undefined) out[k] = v;
  return out;
}

/** The GET /api/scale/presets query: the transformer rung follows the Transformer page's config. */
export function presetsQuery(where) {
  const q = new URLSearchParams();
  for (const k of TRANSFORMER_KEYS) if (where.tf?.[k] !== undefined) q.set(k, String(where.tf[k]));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * Settings after choosing another rung: the model's own edits are dropped, everything else stays
 * (the Transformer page's config too: it is the transformer rung whenever one comes back to it).
 */
export function withPreset(where, preset) {
  return { ...where, preset, model: {}, tf: where.tf ?? {} };
}

/** Settings after one control changed (`group`: training | parallel | hardware | model). */
export function withSetting(where, group, field, value) {
  const next = { ...where, [group]: { ...(where[group] ?? {}), [field]: value } };
  if (value === undefined) delete next[group][field];
  // a utilization given replaces the other kind: the engine takes one of them
  if (group === "hardware" && UTILIZATIONS.includes(field)) for (const u of UTILIZATIONS) if (u !== field) delete next.hardware[u];
  return next;
}

/** The rung `delta` steps from `current` along `names` (clamped at the ends); the first one if none. */
export function stepRung(names, current, delta) {
  if (!names.length) return null;
  const i = names.indexOf(current);
  if (i < 0) return names[delta < 0 ? names.length - 1 : 0];
  return names[Math.max(0, Math.min(names.length - 1, i + delta))];
}

/**
 * The link from the Transformer page: its model on the ladder (`config`: the session's settings;
 * `vocab`: how many different characters its data has, when known).
 */
export function scaleHref(config, vocab) {
  const q = new URLSearchParams({ preset: "transformer" });
  for (const k of ["n_layer", "n_embd", "n_head", "block_size"]) if (Number.isInteger(config?.[k])) q.set(k, String(config[k]));
  if (Number.isInteger(vocab) && vocab > 0) q.set("vocab", String(vocab));
  if (typeof config?.task === "string" && /^[a-z]{1,20}$/.test(config.task)) q.set("task", config.task);
  if (Number.isInteger(config?.batch_size)) q.set("batch_size", String(config.batch_size)); // its batch: the rung's micro-batch
  return `/scale?${q}`;
}

/**
 * The settings one click away from these (`reply`: the engine's resolved values, `rungs`: the
 * ladder): the next rung up and down, then every other choice of each select the model uses. The
 * page asks the engine for them ahead, so those clicks draw at once.
 */
export function oneClickAway(where, reply, rungs) {
  const out = [];
  const at = rungs.indexOf(where.preset ?? reply?.preset);
  for (const d of [1, -1]) if (at >= 0 && rungs[at + d]) out.push(withPreset(where, rungs[at + d]));
  const choices = [["training", "optimizer", OPTIMIZERS]];
  if (reply?.hardware) {
    choices.unshift(["training", "precision", PRECISIONS], ["training", "recompute", RECOMPUTES], ["parallel", "zero", ZERO_STAGES]);
    choices.push(["hardware", "gpu", GPUS], ["parallel", "sp", [true, false]]);
  }
  const resolved = { training: reply?.training ?? {}, parallel: reply?.parallel ?? {}, hardware: reply?.hardware ?? {} };
  for (const [group, field, list] of choices) {
    for (const v of list) if (resolved[group][field] !== v) out.push(withSetting(where, group, field, v));
  }
  return out;
}
