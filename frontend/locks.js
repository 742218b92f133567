// Locked and hidden controls, presenter mode and lesson limits: which control groups a page offers.
// A shared link says `lock=lr,seed` (shown, disabled) and `hide=settings,network-editor` (not shown).
// Pure: views/layout.js turns the answer into DOM changes, app.js asks it before sending commands.

import { SCHEMA } from "./schema.js";
import { COMMANDS } from "./views/controls.js";

/** The control groups a lesson step can list (served: server/protocol.py LESSON_CONTROLS), in that order. */
export const CONTROLS = SCHEMA.lessons.controls;

/** The buttons among them: each is one command (views/controls.js). */
export { COMMANDS };

/** Single settings that can be locked or hidden on their own, besides the groups: every model's
 * settings as the served schema lists them (a new engine setting can be locked without a page edit). */
export const SETTING_KEYS = [...new Set(Object.values(SCHEMA.models).flatMap((m) => Object.keys(m.properties ?? {})))];

/** The groups a model's page has (the share popover offers these). */
export function groupsFor(model) {
  const net = model === "mlp";
  return {
    controls: CONTROLS.filter((g) => (g === "epoch" || g === "network-editor" || g === "data-editor" ? net : true)),
    settings: net ? ["lr", "batch_size", "speed", "dataset", "noise", "seed"] : ["lr", "batch_size", "seed", "noise", "dataset", ...(model === "line" ? ["bias"] : [])],
  };
}

const KNOWN = new Set([...CONTROLS, ...SETTING_KEYS]);

/** "lr, seed,,Settings" or ["lr"] → ["lr", "seed", "settings"]: known names only, each once. */
export function parseList(value) {
  const parts = Array.isArray(value) ? value : String(value ?? "").split(",");
  const out = [];
  for (const p of parts) {
    const name = String(p).trim().toLowerCase();
    if (KNOWN.has(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** The page options in a query string: presenter, lock, hide, lesson, lstep, name. */
export function readPageOptions(search) {
  const q = new URLSearchParams(search ?? "");
  const lesson = q.get("lesson");
  const lstep = Number(q.get("lstep"));
  return {
    presenter: /^(1|true|yes|on)$/i.test(q.get("presenter") ?? ""),
    lock: parseList(q.get("lock")),
    hide: parseList(q.get("hide")),
    lesson: lesson && /^[a-z0-9-]{1,40}$/.test(lesson) ? lesson : null,
    lstep: Number.isInteger(lstep) && lstep >= 0 ? lstep : 0,
    name: (q.get("name") ?? "").trim().slice(0, 40) || null,
  };
}

/** The query part for page options (empty ones left out), to append after a config's own keys. */
export function pageOptionsSearch(opts) {
  const q = new URLSearchParams();
  if (opts.lesson) {
    q.set("lesson", opts.lesson);
    if (opts.lstep) q.set("lstep", String(opts.lstep));
  }
  if (opts.presenter) q.set("presenter", "1");
  const lock = parseList(opts.lock);
  const hide = parseList(opts.hide);
  if (lock.length) q.set("lock", lock.join(","));
  if (hide.length) q.set("hide", hide.join(","));
  if (opts.name) q.set("name", opts.name);
  return q.toString().replace(/%2C/g, ",");
}

/** Join two query strings ("?a=1", "b=2") into one ("?a=1&b=2"), or "". */
export function joinSearch(...parts) {
  const text = parts.map((p) => String(p ?? "").replace(/^\?/, "")).filter(Boolean).join("&");
  return text ? `?${text}` : "";
}

/** What presenter mode hides: the advanced controls a projector does not need. */
export const PRESENTER_HIDES = ["settings", "network-editor", "data-editor"];

/**
 * The groups this page locks and hides right now: the URL's, presenter mode's, and (while a lesson
 * step limits them) every control group the step does not list.
 */
export function effectiveControls({ lock = [], hide = [], presenter = false, lessonControls = null } = {}) {
  const hidden = new Set(parseList(hide));
  if (presenter) for (const g of PRESENTER_HIDES) hidden.add(g);
  if (Array.isArray(lessonControls) && lessonControls.length) {
    for (const g of CONTROLS) if (!lessonControls.includes(g)) hidden.add(g);
  }
  return { locked: new Set(parseList(lock)), hidden };
}

/** May this page send command `name` (a button or its key)? Not when locked or hidden. */
export function commandAllowed(name, eff) {
  return !(eff.locked.has(name) || eff.hidden.has(name));
}

/** Which group a config key belongs to on a model's page (the form, or a network's editors). */
export function groupOfKey(model, key) {
  if (model === "mlp") {
    if (["hidden", "activation", "init"].includes(key)) return "network-editor";
    if (["dataset", "noise", "test_fraction", "features", "seed"].includes(key)) return "data-editor";
  }
  return "settings";
}

/** The keys of a settings change this page must refuse (their own lock, or their group's). */
export function blockedKeys(model, change, eff) {
  return Object.keys(change ?? {}).filter((k) => eff.locked.has(k) || eff.locked.has(groupOfKey(model, k)));
}
