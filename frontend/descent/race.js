// The race: 2–4 sessions of the same model from the same seed, one per optimizer, stepped in
// lockstep by the page. The top half is pure (a reducer and the lockstep arithmetic, tested under
// node); RaceSockets (sockets.js) owns the websockets, one per racer, and nothing else.

import { inBounds, modelSchema } from "../config.js";
import { SCHEMA } from "../schema.js";
import { isNum } from "../render/format.js";

// The update rules and their names are the engine's (engine/optim.py), as the schema serves them.
const OPTIMIZER = SCHEMA.models.neuron.properties.optimizer;
export const OPTIMIZERS = OPTIMIZER.enum;
export const OPTIMIZER_TITLES = OPTIMIZER["x-titles"];
// One slot per racer for its whole life: colour, dash and marker shape, so hue is never the only cue.
export const SLOTS = [
  { color: "#d62728", dash: [], marker: "circle" },
  { color: "#1f77b4", dash: [10, 5], marker: "square" },
  { color: "#2ca02c", dash: [2, 4], marker: "triangle" },
  { color: "#9467bd", dash: [12, 4, 2, 4], marker: "diamond" },
];
export const MIN_RACERS = 2;
export const MAX_RACERS = SLOTS.length;
export const CAP = 5000; // per-step arrays keep the last CAP entries
export const MAX_COUNT = SCHEMA.client.$defs.Step.properties.count.maximum; // the server's bound on one step message
export const TICK_MS = 50; // play sends at most one lockstep tick per this many ms
// The race's settings, with the engine's bounds (the three models share them)
export const SETTINGS = modelSchema("neuron").properties;
export const validLr = (v) => inBounds(SETTINGS.lr, v);
// Settings that apply at once (the engine says which); any other configure rebuilds the run from its seed.
export const LIVE_KEYS = new Set(SCHEMA.live.neuron);

let nextKey = 1;

export function newRacer(slot, optimizer, lr, watch = null) {
  const s = SLOTS[slot];
  return {
    key: `r${nextKey++}`, slot, optimizer, lr, watch, color: s.color, dash: s.dash, marker: s.marker,
    session: null, connected: false, state: null, startLoss: null, landscape: null, pending: null, diverged: null,
    trail: [], steps: [], losses: [], gradNorms: [], lrs: [], clipped: [], explain: null, error: null, errorAt: 0,
  };
}

/** The weight whose update is explained first: the neuron's w, or the network's first weight. */
export function defaultSelected(model) {
  return model === "mlp" ? { name: "W0", index: [0, 0] } : { name: "w", index: [0] };
}

/** `watch`: room codes of someone else's racers — the race is then only watched (`viewer`). */
export function initialRace({ model, config, racers, speed = 20, view = "contour", span = null, selected = null, watch = [] }) {
  const viewer = watch.length > 0;
  return {
    model, config: { ...config }, step: 0, target: 0, playing: false, speed, view, span, viewer,
    selected: selected ?? defaultSelected(model), landscape: null,
    racers: viewer ? watch.map((code, i) => newRacer(i, null, null, code))
      : racers.map((r, i) => newRacer(i, r.optimizer, r.lr)),
  };
}

/** The first slot no racer holds, or -1 when the race is full. */
export function freeSlot(race) {
  const used = new Set(race.racers.map((r) => r.slot));
  return SLOTS.findIndex((_, i) => !used.has(i));
}

/** An optimizer not yet racing (the first of the list when all are). */
export function nextOptimizer(race) {
  const used = new Set(race.racers.map((r) => r.optimizer));
  return OPTIMIZERS.find((o) => !used.has(o)) ?? OPTIMIZERS[0];
}

/** Racers that take steps: connected, with a session, not diverged. */
export function liveRacers(race) {
  return race.racers.filter((r) => r.connected && r.session && r.state && !r.diverged);
}

/** The race's step: where the slowest live racer is (all are there once a tick is done). */
function raceStep(racers) {
  const live = racers.filter((r) => r.connected && r.session && r.state && !r.diverged);
  return live.length ? Math.min(...live.map((r) => r.state.step)) : 0;
}

/** True when no live racer still owes steps: the next play tick may go. */
export function tickReady(race) {
  return liveRacers(race).every((r) => r.pending === null);
}

/** Play's timing: a tick every `interval` ms carrying `k` ≥ 1 steps, so speed × time = steps. */
export function tickTiming(speed, tickMs = TICK_MS) {
  const s = Math.max(0.1, Number(speed) || 1);
  const interval = Math.max(tickMs, 1000 / s);
  return { interval, k: Math.max(1, Math.round((s * interval) / 1000)) };
}

/**
 * The next lockstep move: every live racer is asked to reach target + k, counting from where it
 * already stands or was already sent (so key presses can queue, and a racer that joined late
 * catches up in one message). Diverged racers sit out. null when nobody can step.
 */
export function planTick(race, k) {
  const live = liveRacers(race);
  if (!live.length) return null;
  const target = Math.max(race.target, ...live.map((r) => r.pending ?? r.state.step)) + k;
  const sends = [];
  for (const r of live) {
    const from = r.pending ?? r.state.step;
    const count = Math.min(MAX_COUNT, target - from);
    if (count > 0) sends.push({ key: r.key, count, to: from + count });
  }
  return { target, sends };
}

/** Record a plan as sent: each racer now owes its steps. */
export function markSent(race, plan) {
  const to = new Map(plan.sends.map((s) => [s.key, s.to]));
  return { ...race, target: plan.target, racers: race.racers.map((r) => (to.has(r.key) ? { ...r, pending: to.get(r.key) } : r)) };
}

/** Keep the last CAP entries. */
export function capped(arr, cap = CAP) {
  return arr.length > cap ? arr.slice(arr.length - cap) : arr;
}

/**
 * A trail longer than `cap` loses every other point of its older half: the shape of a long crawl
 * (and its start) stays on the map, the recent steps stay exact.
 */
export function capTrail(trail, cap = CAP) {
  if (trail.length <= cap) return trail;
  const half = Math.floor(trail.length / 2);
  const older = trail.slice(0, half).filter((_, i) => i % 2 === 0);
  return [...older, ...trail.slice(half)];
}

function freshRun(r, landscape) {
  const start = landscape?.start ?? null;
  return { ...r, trail: start ? [start] : [], steps: [], losses: [], gradNorms: [], lrs: [], clipped: [], pending: null, explain: null };
}

function sameFrame(a, b) {
  return !!a && !!b && a.kind === b.kind && a.at === "start" && b.at === "start" && String(a.axes) === String(b.axes);
}

function reduceRacer(r, msg) {
  switch (msg.type) {
    case "_conn": {
      const connected = msg.status === "open";
      // A new connection creates a new session (step 0): what the old one owed is void.
      return { ...r, connected, pending: connected ? r.pending : null, ...(connected ? {} : { session: null }) };
    }
    case "session": {
      const optimizer = msg.config?.optimizer ?? r.optimizer; // a watcher learns its racers here
      const lr = isNum(msg.config?.lr) ? msg.config.lr : r.lr;
      return { ...freshRun(r, r.landscape), session: msg.id, optimizer, lr, state: null, error: null, diverged: null };
    }
    case "state": {
      const back = r.state && msg.step < r.state.step; // a reset or a rebuild: the run starts over
      const base = back || (msg.step === 0 && r.steps.length) ? freshRun(r, r.landscape) : r;
      const pending = base.pending !== null && msg.step < base.pending && !msg.diverged ? base.pending : null;
      const lr = isNum(msg.config?.lr) ? msg.config.lr : r.lr;
      const optimizer = msg.config?.optimizer ?? r.optimizer;
      // A passing error (busy, a bad request) clears once the racer has moved on since it.
      const stale = base.diverged || (base.error && msg.step > (base.errorAt ?? 0));
      const error = msg.diverged ? msg.diverged : stale ? null : base.error;
      const startLoss = msg.step === 0 ? msg.loss : base.startLoss;
      return { ...base, state: msg, pending, lr, optimizer, startLoss, diverged: msg.diverged || null, error };
    }
    case "metrics": {
      const n = msg.steps?.length ?? 0;
      const pos = (msg.positions ?? []).filter((p) => Array.isArray(p) && isNum(p[0]) && isNum(p[1]));
      const newClips = (msg.clipped ?? []).filter((s) => !r.clipped.includes(s));
      return {
        ...r,
        steps: capped([...r.steps, ...(msg.steps ?? [])]),
        losses: capped([...r.losses, ...(msg.train_losses ?? Array(n).fill(null))]),
        gradNorms: capped([...r.gradNorms, ...(msg.grad_norms ?? Array(n).fill(null))]),
        lrs: capped([...r.lrs, ...(msg.lrs ?? Array(n).fill(null))]),
        clipped: capped([...r.clipped, ...newClips]),
        trail: capTrail(r.trail.length || !pos.length ? [...r.trail, ...pos] : pos),
      };
    }
    case "landscape": {
      // A wider view of the same frame keeps the trail; a new frame starts it at the new start.
      const keep = r.trail.length > 1 && sameFrame(r.landscape, msg);
      const start = msg.start ?? msg.center ?? null;
      return { ...r, landscape: msg, trail: keep ? r.trail : start ? [start] : [] };
    }
    case "explain":
      return { ...r, explain: msg };
    case "error":
      if (msg.code === "diverged") return { ...r, diverged: msg.message, error: msg.message, pending: null };
      return { ...r, error: msg.message ?? "error", errorAt: r.pending ?? r.state?.step ?? 0, pending: msg.code === "busy" ? null : r.pending };
    default:
      return r;
  }
}

/** The race after `msg` arrived on racer `racerKey`'s socket (a new object when anything changed). */
export function reduceRace(race, racerKey, msg) {
  const i = race.racers.findIndex((r) => r.key === racerKey);
  if (i < 0 || !msg || typeof msg !== "object") return race;
  const r = reduceRacer(race.racers[i], msg);
  if (r === race.racers[i]) return race;
  const racers = race.racers.with(i, r);
  // A watcher shows the settings of the race it watches (the first racer's, shared by all).
  const config = race.viewer && i === 0 && msg.type === "state" && msg.config ? { ...msg.config } : race.config;
  return { ...race, racers, config, step: raceStep(racers), landscape: racers[0].landscape ?? race.landscape };
}

/** The landscape question every racer gets (the same one, so their positions share a frame). */
export function landscapeQuery(race) {
  const q = { type: "landscape", resolution: race.model === "mlp" ? 51 : 81, at: "start", kind: "auto", seed: 0 };
  if (isNum(race.span)) q.span = race.span;
  return q;
}

/** True when some racer's newest position lies outside the landscape's bounds. */
export function leftTheMap(race) {
  const g = race.landscape;
  if (!g?.x?.length || !g?.y?.length) return false;
  const [x0, x1] = [g.x[0], g.x[g.x.length - 1]];
  const [y0, y1] = [g.y[0], g.y[g.y.length - 1]];
  return race.racers.some((r) => r.trail.some(([x, y]) => x < x0 || x > x1 || y < y0 || y > y1));
}

/** The span that shows twice as much around the same centre. */
export function widerSpan(landscape) {
  const g = landscape;
  const half = Math.max(g.x[g.x.length - 1] - g.x[0], g.y[g.y.length - 1] - g.y[0]) / 2;
  return Math.min(100, Math.round(2 * half * 100) / 100);
}
