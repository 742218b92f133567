// One way to take a refusal, for every message the server may refuse: create, configure, switch,
// load, join and the Scale page's queries. The server answers a refused request with an `error`
// (no request id: docs/protocol.md) whose message names the setting it refused ("config.lr: …" when a
// room is created, "config lr: …" when it is configured, "config workers: …" past --max-workers);
// this module says which request an error answers and which setting it names, so the page can start
// with the last good value, keep the reason beside that setting's control, and correct the address.
// Pure: no DOM, no network.

/** The messages whose refusal the page answers: each kind keeps its last request until answered. */
export const KINDS = Object.freeze(["create", "configure", "switch", "load", "join", "scale"]);

/** Requests the server answers in order, before anything else on the socket (dispatch.py awaits them). */
const INLINE = ["create", "switch", "load", "join"];

/**
 * The setting an error message names ("config.lr: …", "config lr: …", "config workers: …"); else,
 * for a rule between settings ("n_embd 65 must be a multiple of n_head 2"), the first of `keys` (the
 * request's settings) the message names; else null.
 */
export function refusedKey(message, keys = []) {
  const text = String(message ?? "");
  const m = /\bconfig[ .]([A-Za-z_][A-Za-z0-9_]*)\b/.exec(text);
  if (m) return m[1];
  let first = null;
  for (const k of keys) {
    const at = new RegExp(`(^|[^A-Za-z0-9_])${k}([^A-Za-z0-9_]|$)`).exec(text)?.index;
    if (at !== undefined && (first === null || at < first.at)) first = { k, at };
  }
  return first?.k ?? null;
}

/**
 * A Scale query's refusal (the `detail` of a `scale` reply, or of a 422 body: FastAPI's list of
 * {loc, msg}, or a plain string): {kind, key, message}, `key` the field the first error names.
 */
export function scaleRefusal(detail) {
  if (typeof detail === "string") return { kind: "scale", key: null, message: detail };
  const errors = Array.isArray(detail) ? detail : [];
  if (!errors.length) return { kind: "scale", key: null, message: "the server refused these settings" };
  const locs = errors.map((e) => (Array.isArray(e.loc) ? e.loc.filter((p) => p !== "body").map(String) : []));
  const message = errors.map((e, i) => (locs[i].length ? `${locs[i].join(".")}: ${e.msg}` : String(e.msg ?? ""))).join("; ");
  return { kind: "scale", key: locs[0].length ? locs[0][locs[0].length - 1] : null, message };
}

/**
 * Which request a server message answers. `sent(msg, before)` records a request (`before`: the
 * settings in force when a `configure` left, so a refused value can go back to the last good one);
 * `heard(msg)` returns the refusal an `error` is — {kind, key, message, request, before} — or null,
 * and forgets requests a `session` has answered.
 */
export function Refusals() {
  const pending = new Map(); // kind → {request, before}

  function sent(msg, before = null) {
    if (!msg || !KINDS.includes(msg.type)) return;
    const keep = {};
    if (msg.type === "configure" && before) for (const k of Object.keys(msg.config ?? {})) keep[k] = before[k];
    pending.set(msg.type, { request: msg, before: keep });
  }

  function heard(msg) {
    if (!msg || typeof msg !== "object") return null;
    if (msg.type === "session") {
      for (const k of INLINE) pending.delete(k);
      return null;
    }
    if (msg.type === "scale" && msg.detail && !msg.result) return scaleRefusal(msg.detail);
    if (msg.type !== "error") return null;
    const message = String(msg.message ?? "");
    for (const kind of INLINE) {
      const p = pending.get(kind);
      if (!p) continue;
      pending.delete(kind);
      const key = refusedKey(message, Object.keys(p.request.config ?? {}));
      return { kind, key, message, code: msg.code ?? "bad_message", request: p.request, before: {} };
    }
    // A configure goes through the room's queue: states of steps before it may come first, so its
    // refusal is known by the setting it names, not by order.
    const p = pending.get("configure");
    const key = refusedKey(message, Object.keys(p?.request.config ?? {}));
    if (p && key && key in (p.request.config ?? {})) {
      pending.delete("configure");
      return { kind: "configure", key, message, code: msg.code ?? "bad_message", request: p.request, before: p.before };
    }
    return null;
  }

  return { sent, heard, pending: (kind) => pending.get(kind)?.request ?? null };
}

/** The config to create again after `refusal` of a create: without the refused setting (the engine's
 * default then), or null when there is nothing to take out (the same request would be refused again). */
export function withoutRefused(config, refusal) {
  const key = refusal?.key;
  if (!key || !config || !(key in config)) return null;
  const { [key]: _dropped, ...rest } = config;
  return rest;
}

/** The setting a refusal is shown beside until it changes: {key → {kind, message, value}}. */
export function noteRefusal(notes, refusal) {
  const key = refusal.key ?? `:${refusal.kind}`; // a refusal that names no setting is kept by its kind
  const value = refusal.kind === "configure" || refusal.kind === "create" || refusal.kind === "switch" ? refusal.request?.config?.[refusal.key] : undefined;
  return { ...notes, [key]: { kind: refusal.kind, message: refusal.message, value } };
}

/** The notes left once `change` (a settings change the user made) is applied: a changed setting's goes. */
export function clearRefusals(notes, change) {
  const keys = Object.keys(change ?? {}).filter((k) => k in notes);
  if (!keys.length) return notes;
  const out = { ...notes };
  for (const k of keys) delete out[k];
  return out;
}

// A value in the address's own form: a list as a comma list, an object (a transformer's `parallel`)
// as name:value pairs — never "[object Object]".
function fmt(v) {
  if (Array.isArray(v)) return v.join(",");
  if (v && typeof v === "object") return Object.entries(v).map(([k, x]) => `${k}:${x}`).join(",");
  return String(v);
}

const FORMS = { object: "name:value pairs, like dp:2,tp:2", array: "a comma list, like 4,2", integer: "a whole number",
  number: "a number", boolean: "true or false" };

/** The refusal of an address setting the page could not read (`prop`: its schema property, or
 * undefined for a name this model has no setting for): shown beside its control like the server's. */
export function unreadRefusal(key, raw, prop) {
  const want = FORMS[prop?.type] ?? (prop?.enum ? `one of ${prop.enum.join(", ")}` : "");
  const message = !prop ? "This model has no such setting" : `Could not read "${raw}"${want ? `: write it as ${want}` : ""}`;
  return { kind: "create", key, message, code: "unread", request: { config: {} }, before: {} };
}

/** The words shown beside a refused setting: what was refused, why, and what runs instead. */
export function refusalText(key, note, running) {
  const asked = note.value === undefined ? key : `${key} = ${fmt(note.value)}`;
  const from = note.kind === "create" ? " from the address" : "";
  const now = running === undefined || running === null ? "" : ` Running with ${key} = ${fmt(running)}.`;
  return `Refused${from}: ${asked}. ${note.message.replace(/^.*?\bconfig[ .]\w+:\s*/, "")}.${now}`.replace(/\.\./g, ".");
}

/** Why `v` is outside a (resolved) schema property's bounds, in the server's (pydantic's) words, or
 * "" when it is inside them: the engine's bounds, as served. */
export function outOfBounds(prop, v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "Input should be a valid number";
  const rules = [["minimum", "greater than or equal to", (b) => v < b], ["maximum", "less than or equal to", (b) => v > b],
    ["exclusiveMinimum", "greater than", (b) => v <= b], ["exclusiveMaximum", "less than", (b) => v >= b]];
  const broken = rules.find(([k, , out]) => typeof prop?.[k] === "number" && out(prop[k]));
  return broken ? `Input should be ${broken[1]} ${prop[broken[0]]}` : "";
}

/** A value the page refuses before sending it (outside the served bounds): a refusal like the
 * server's for a configure, or null when `value` is inside `prop`'s bounds. */
export function boundRefusal(key, prop, value) {
  const why = outOfBounds(prop, value);
  return why ? { kind: "configure", key, message: why, request: { type: "configure", config: { [key]: value } }, before: {} } : null;
}
