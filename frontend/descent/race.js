// The race: 2–4 sessions of the same model from the same seed, one per optimizer, stepped in
// lockstep by the page. The top half is pure (a reducer and the lockstep arithmetic, tested under
// node); RaceSockets at the bottom owns the websockets, one per racer, and nothing else.

import { connect } from "../api.js";
import { Refusals, withoutRefused } from "../refusal.js";
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

// ---- the sockets ------------------------------------------------------------------------------

/**
 * One websocket per racer. `getRace()`/`setRace(race)` hold the race (page.js owns the variable);
 * `onStatus(text)` hears connection trouble. Every change to the race goes through setRace.
 */
export function RaceSockets({ getRace, setRace }) {
  const sockets = new Map();
  const refusals = new Map(); // racer key → its socket's Refusals (refusal.js: the page's one refusal path)
  let timer = null;
  let lastExplain = 0;
  let waitingSince = 0;

  const race = () => getRace();
  function send(key, msg) {
    const r = race().racers.find((x) => x.key === key);
    refusals.get(key)?.sent(msg, { ...race().config, ...(r ? { lr: r.lr, optimizer: r.optimizer } : {}) });
    return sockets.get(key)?.send(msg) ?? false;
  }
  const sendAll = (msg) => race().racers.forEach((r) => send(r.key, msg));

  /** A refused setting: the racer starts without it (the engine's default), or goes back to the last
   * good value; the reason stays in its lane (reduceRacer's error) until it moves on. */
  function refused(key, r) {
    if (!r.key) return;
    if (r.kind === "create") {
      const config = withoutRefused(race().config, r);
      if (!config) return;
      setRace({ ...race(), config });
      const hello = sockets.get(key) && helloOf(race().racers.find((x) => x.key === key));
      if (hello) send(key, hello);
    } else if (r.kind === "configure" && r.key in r.before) {
      const back = { [r.key]: r.before[r.key] };
      const rc = race();
      const racers = rc.racers.map((x) => (x.key === key && (r.key === "lr" || r.key === "optimizer") ? { ...x, ...back } : x));
      setRace({ ...rc, racers, config: r.key in rc.config ? { ...rc.config, ...back } : rc.config });
    }
  }

  function onMessage(key, msg) {
    const refusal = refusals.get(key)?.heard(msg);
    const before = race();
    const after = reduceRace(before, key, msg);
    if (after !== before) setRace(after);
    if (msg.type === "session") send(key, landscapeQuery(race()));
    if (msg.type === "state") afterState(key);
    if (refusal) refused(key, refusal);
  }

  function afterState(key) {
    const r = race().racers.find((x) => x.key === key);
    // A racer that joined late, or came back from diverging, catches up with the others at once.
    if (r && r.pending === null && !r.diverged && r.state.step < race().target && !race().playing) stepBy(0);
    if (!tickReady(race())) return;
    waitingSince = 0;
    const now = performance.now();
    if (!race().playing || now - lastExplain >= 250) {
      lastExplain = now;
      explainAll();
    }
  }

  const helloOf = (r) => (r.watch ? { type: "join", session: r.watch }
    : { type: "create", model: race().model, config: { ...race().config, optimizer: r.optimizer, lr: r.lr } });

  function open(r) {
    const tracker = Refusals();
    refusals.set(r.key, tracker);
    const api = connect({
      hello() {
        const msg = helloOf(race().racers.find((x) => x.key === r.key) ?? r);
        tracker.sent(msg);
        return msg;
      },
      onMessage: (msg) => onMessage(r.key, msg),
      onStatus: (status) => onMessage(r.key, { type: "_conn", status }),
    });
    sockets.set(r.key, api);
  }

  /** Send one lockstep tick of k steps (k = 0: only bring late racers up to the target). */
  function stepBy(k) {
    if (race().viewer) return false; // the race's own page steps it; a watcher only listens
    const plan = planTick(race(), k);
    if (!plan || !plan.sends.length) return false;
    setRace(markSent(race(), plan));
    for (const s of plan.sends) send(s.key, { type: "step", unit: "step", count: s.count });
    return true;
  }

  function loop() {
    const rc = race();
    if (!rc.playing) return;
    const { interval, k } = tickTiming(rc.speed);
    if (tickReady(rc)) stepBy(k);
    else if (!waitingSince) waitingSince = performance.now();
    else if (performance.now() - waitingSince > 5000) {
      // A racer that never answered (lost message, server busy) must not stall the others forever.
      waitingSince = 0;
      setRace({ ...rc, racers: rc.racers.map((r) => ({ ...r, pending: null })) });
    }
    timer = setTimeout(loop, interval);
  }

  function explainAll() {
    const sel = race().selected;
    if (sel) sendAll({ type: "explain", name: sel.name, index: sel.index });
  }

  function restartAll() {
    if (race().viewer) return;
    setRace({ ...race(), target: 0 });
    sendAll({ type: "reset" });
    sendAll(landscapeQuery(race()));
  }

  return {
    start: () => race().racers.forEach(open),
    step: () => stepBy(1),
    play(on) {
      if (race().viewer) return;
      clearTimeout(timer);
      setRace({ ...race(), playing: on });
      if (on) loop();
      else explainAll();
    },
    reset: restartAll,
    /** A change for every racer; a rebuild (init, weight decay, batch…) also re-asks the landscape. */
    configure(change) {
      if (race().viewer) return;
      setRace({ ...race(), config: { ...race().config, ...change } });
      sendAll({ type: "configure", config: change });
      if (Object.keys(change).some((k) => !LIVE_KEYS.has(k))) {
        setRace({ ...race(), target: 0 });
        sendAll(landscapeQuery(race()));
      }
    },
    /** One racer's own lr or optimizer. A new optimizer restarts the whole race, so it stays fair. */
    configureRacer(key, change) {
      if (race().viewer) return;
      setRace({ ...race(), racers: race().racers.map((r) => (r.key === key ? { ...r, ...change } : r)) });
      send(key, { type: "configure", config: change });
      if ("optimizer" in change) restartAll();
    },
    select(name, index) {
      setRace({ ...race(), selected: { name, index } });
      explainAll();
    },
    askLandscape: () => sendAll(landscapeQuery(race())),
    add() {
      const rc = race();
      if (rc.viewer) return;
      const slot = freeSlot(rc);
      if (slot < 0) return;
      const lr = rc.racers.at(-1)?.lr ?? rc.config.lr;
      const r = newRacer(slot, nextOptimizer(rc), lr);
      setRace({ ...rc, racers: [...rc.racers, r] });
      open(r);
    },
    remove(key) {
      if (race().viewer || race().racers.length <= MIN_RACERS) return;
      sockets.get(key)?.close();
      sockets.delete(key);
      refusals.delete(key);
      const racers = race().racers.filter((r) => r.key !== key);
      setRace({ ...race(), racers, landscape: racers[0].landscape ?? race().landscape });
    },
    close() {
      clearTimeout(timer);
      for (const api of sockets.values()) api.close();
      sockets.clear();
    },
  };
}
