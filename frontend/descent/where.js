// The Descent page's address: what a link must carry to reproduce a race (model, racers, learning
// rates, batch, dataset, view, zoom, speed, and the Tricks panel's schedule, clipping, decay and
// network), read from and written to the query string. Pure.

import { MODEL_TITLES } from "../config.js";
import { OPTIMIZERS, validLr } from "./race.js";

export const DESCENT_MODELS = ["neuron", "line", "mlp"];
// the line races with its bias on, so its picture is the w–b plane: the page says so beside the name
export const DESCENT_MODEL_TITLES = { neuron: MODEL_TITLES.neuron, line: `${MODEL_TITLES.line} (y = a·x + b)`, mlp: MODEL_TITLES.mlp };
export const DESCENT_DATASETS = ["circle", "xor", "gauss", "spiral"];
export const SPEEDS = [1, 5, 20, 100];
export const DEFAULT_RACERS = ["sgd", "momentum", "rmsprop", "adam"];
export const DEFAULT_LR = { neuron: 0.1, line: 0.05, mlp: 0.1 };
// "Full batch" is the whole training set; the server clamps a larger batch to the set's size.
const FULL_BATCH = { neuron: 40, line: 20, mlp: 1000 };
const MINI_BATCH = 10;

const num = (s) => (s === null || s === "" ? NaN : Number(s));
// The Tricks panel's settings, in the address as the panel sent them (the engine checks them as any
// setting): a link or a reload brings the same schedule, clipping, decay and network back.
const TRICKS = ["schedule", "warmup_steps", "schedule_steps", "clip", "weight_decay", "init", "hidden", "activation"];
const trickValue = (k, s) => (k === "hidden" ? s.split(",").filter(Boolean).map(Number) : Number.isFinite(num(s)) ? num(s) : s);

/** The page's settings from a query string; anything unknown or invalid falls back to the default. */
export function readWhere(search) {
  const q = new URLSearchParams(search);
  const model = DESCENT_MODELS.includes(q.get("model")) ? q.get("model") : "neuron";
  let racers = (q.get("racers") ?? "").split(",").filter((o) => OPTIMIZERS.includes(o)).slice(0, 4);
  if (racers.length < 2) racers = DEFAULT_RACERS.slice();
  const lr = validLr(num(q.get("lr"))) ? num(q.get("lr")) : DEFAULT_LR[model];
  const lrs = (q.get("lrs") ?? "").split(",").map(num);
  const dataset = DESCENT_DATASETS.includes(q.get("dataset")) ? q.get("dataset") : "circle";
  const span = num(q.get("span"));
  const speed = SPEEDS.includes(num(q.get("speed"))) ? num(q.get("speed")) : 20;
  // A class watching the teacher's race: the racers' room codes, joined read-only.
  const watch = (q.get("watch") ?? "").split(",").filter((c) => /^[A-Za-z0-9]{4,16}$/.test(c)).slice(0, 4);
  return {
    watch,
    model,
    racers: racers.map((optimizer, i) => ({ optimizer, lr: validLr(lrs[i]) ? lrs[i] : lr })),
    lr,
    batch: q.get("batch") === "mini" ? "mini" : "full",
    dataset,
    view: q.get("view") === "terrain" ? "terrain" : "contour",
    span: Number.isFinite(span) && span > 0 && span <= 100 ? span : null,
    speed,
    tricks: Object.fromEntries(TRICKS.filter((k) => q.has(k)).map((k) => [k, trickValue(k, q.get(k))])),
  };
}

/** The shared settings every racer is created with (each adds its optimizer and lr). */
export function sharedConfig(where) {
  const batch_size = where.batch === "mini" ? MINI_BATCH : FULL_BATCH[where.model];
  const seed = 0;
  const tricks = where.tricks ?? {};
  if (where.model === "line") return { bias: true, dataset: "offset", batch_size, seed, ...tricks }; // one parameter has no landscape
  if (where.model === "mlp") return { dataset: where.dataset, batch_size, seed, ...tricks };
  return { features: 1, dataset: "pass_fail", batch_size, seed, ...tricks };
}

/** The batch setting a batch size stands for. */
export const batchFor = (model, size) => (size === MINI_BATCH && FULL_BATCH[model] !== MINI_BATCH ? "mini" : "full");
export const batchSize = (model, batch) => (batch === "mini" ? MINI_BATCH : FULL_BATCH[model]);

/** The query string for the race on screen; settings at their defaults are left out. */
export function whereSearch(race) {
  const q = new URLSearchParams();
  q.set("model", race.model);
  q.set("racers", race.racers.map((r) => r.optimizer).join(","));
  const lr = race.config.lr ?? DEFAULT_LR[race.model];
  q.set("lr", String(lr));
  if (race.racers.some((r) => r.lr !== lr)) q.set("lrs", race.racers.map((r) => r.lr).join(","));
  if (batchFor(race.model, race.config.batch_size) === "mini") q.set("batch", "mini");
  if (race.model === "mlp") q.set("dataset", race.config.dataset ?? "circle");
  if (race.view !== "contour") q.set("view", race.view);
  if (race.span) q.set("span", String(race.span));
  if (race.speed !== 20) q.set("speed", String(race.speed));
  for (const k of TRICKS) if (race.config[k] !== undefined && race.config[k] !== null) q.set(k, String(race.config[k]));
  if (race.viewer) q.set("watch", race.racers.map((r) => r.watch).join(","));
  return `?${q}`;
}

/** The link a class opens to watch this race live: the racers' rooms, joined read-only. */
export function watchSearch(race) {
  const codes = race.racers.map((r) => r.session).filter(Boolean);
  if (codes.length !== race.racers.length) return null; // a racer is still connecting
  const q = new URLSearchParams({ model: race.model, watch: codes.join(",") });
  if (race.view !== "contour") q.set("view", race.view);
  if (race.span) q.set("span", String(race.span));
  return `?${q}`;
}
