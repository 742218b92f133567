// The whole UI state and the one function that changes it: reduce(state, serverMessage).
// Pure (no DOM, no network) so it runs under `node --test`. Views only read what it returns;
// every slice that did not change keeps its identity, so a view can skip work with `===`.

/** Loss-chart points kept; older ones are dropped first. */
export const METRICS_CAP = 5000;
/** Steps whose stage messages are remembered, so stepping back can still ring the right batch. */
export const TRACE_CAP = 60;

import { initialRoom, reduceRoom } from "./room.js";
import { initialGpt, reduceGpt } from "./gpt/gptstate.js";
import { clearRefusals, noteRefusal } from "./refusal.js";

const EMPTY_METRICS = Object.freeze({ steps: [], losses: [], trainLosses: [], testLosses: [] });

export function initialState() {
  return {
    conn: "connecting", // "connecting" | "open" | "closed": the socket, from api.js
    session: null, // {id, model, role, config, stages, plan}: plan = the server's [{stage, layer, direction, title, …}]
    dataset: null, // the `dataset` message
    step: 0,
    params: null, // {w: [...], b}
    lr: null,
    loss: null,
    playing: false,
    cursor: null,
    curve: null, // line only: {param, a: [...], loss: [...]}
    diverged: null, // why training stopped (sentence), or null
    warning: null, // the loss is exploding but training still runs (sentence), or null
    undo: null, // steps the server can bring back with `undo` (a rebuild replaced a trained run), or null
    stage: null, // the `stage` message on display, or null after whole steps / reset
    stageSeq: 0, // bumps on each stage message, so views can animate its arrival once
    traces: {}, // step → {stageName: stage message}, the last TRACE_CAP steps
    metrics: EMPTY_METRICS,
    startLoss: null, // whole-set loss at step 0: where the loss chart's line begins
    move: null, // {from, to, step}: the last parameter update, drawn as the downhill arrow
    error: null, // {message, code, seq}: the latest error, for a toast
    errorSeq: 0,
    // Networks (mlp) only:
    testLoss: null, // whole held-out set's loss
    accuracy: null, // {train, test} for classification, else null
    field: null, // the latest `field` frame: {step, span, tensors: {name: {shape, data}}}
    fieldSeq: 0, // bumps on each field, so views redraw their heatmaps exactly once per frame
    grads: {}, // layer → {step, grad_W, grad_b}: that layer's latest `gradients` stage
    dataError: null, // why the last `data` (drawn points or CSV) was refused, until new data comes
    refusals: {}, // setting → {kind, message, value}: refused by the server, shown beside its control until changed (refusal.js)
    room: initialRoom(), // the classroom: roster, lesson, saved runs, page options (room.js)
    gpt: initialGpt(), // the transformer page: attention maps, samples, losses across phases (gpt/gptstate.js)
  };
}

function num(v, fallback = null) {
  return typeof v === "number" ? v : fallback;
}

export function paramsEqual(p, q) {
  if (p === q) return true;
  if (!p || !q) return false;
  const pw = p.w ?? [];
  const qw = q.w ?? [];
  if (pw.length !== qw.length || p.b !== q.b) return false;
  return pw.every((v, i) => Object.is(v, qw[i]));
}

const METRIC_KEYS = ["steps", "losses", "trainLosses", "testLosses"];

function mapMetrics(m, f) {
  return Object.fromEntries(METRIC_KEYS.map((k) => [k, f(m[k] ?? [], k)]));
}

function trimMetrics(m, maxStep) {
  const keep = m.steps.findIndex((s) => s > maxStep);
  if (keep === -1) return m;
  return { ...mapMetrics(m, (a) => a.slice(0, keep)), dropped: !!m.dropped };
}

/**
 * `sparse`: keep only the steps whose whole-set loss was evaluated. Networks play hundreds of
 * steps a second and the server evaluates a few per frame (the rest are null): kept whole, the
 * capped lists would hold only seconds of history, and the chart draws just the evaluated ones.
 */
function appendMetrics(m, msg, sparse) {
  // The batched lists are the truth; the scalars only stand in when a server sends those alone.
  const steps = Array.isArray(msg.steps) ? msg.steps : [msg.step];
  const losses = Array.isArray(msg.losses) ? msg.losses : [msg.loss];
  const train = Array.isArray(msg.train_losses) ? msg.train_losses : [msg.train_loss];
  const test = Array.isArray(msg.test_losses) ? msg.test_losses : [msg.test_loss];
  const pick = (arr, i) => (typeof arr[i] === "number" ? arr[i] : null);
  const rows = steps.map((s, i) => [Number(s), pick(losses, i), pick(train, i), pick(test, i)])
    .filter((r) => !sparse || r[2] !== null || r[3] !== null);
  if (rows.length === 0) return m;
  let next = mapMetrics(m, (a, k) => a.concat(rows.map((r) => r[METRIC_KEYS.indexOf(k)])));
  if (next.steps.length > METRICS_CAP) {
    const cut = next.steps.length - METRICS_CAP;
    next = { ...mapMetrics(next, (a) => a.slice(cut)), dropped: true };
  } else next.dropped = !!m.dropped;
  return next;
}

/** Stages are kept by their index in the plan: a network repeats names per layer. */
function traceKey(msg) {
  return Number.isInteger(msg.index) ? msg.index : msg.stage;
}

function addTrace(traces, msg) {
  const prev = traces[msg.step] ?? {};
  const next = { ...traces, [msg.step]: { ...prev, [traceKey(msg)]: msg } };
  const keys = Object.keys(next).map(Number);
  if (keys.length > TRACE_CAP) {
    keys.sort((a, b) => a - b);
    for (const k of keys.slice(0, keys.length - TRACE_CAP)) delete next[k];
  }
  return next;
}

/**
 * The step's plan as served (`session.plan`, or a `plan` message): entries {stage, layer, direction,
 * title, subtitle, stage_title, part, short}, the page's only source of stage words (the server
 * always sends it: the page and the server ship together).
 */
export function readPlan(msg) {
  if (Array.isArray(msg.plan)) {
    return msg.plan.filter((e) => e && typeof e.stage === "string").map((e) => ({
      stage: e.stage,
      layer: Number.isInteger(e.layer) ? e.layer : 0,
      direction: e.direction === "backward" ? "backward" : "forward",
      title: String(e.title ?? e.stage),
      subtitle: String(e.subtitle ?? ""),
      stage_title: String(e.stage_title ?? e.title ?? e.stage),
      part: String(e.part ?? ""),
      short: String(e.short ?? ""),
      shape: String(e.shape ?? ""), // its tensor, "x (B, T, C) = (12, 24, 48)": the Transformer's ("" where none)
      comm: e.comm && typeof e.comm === "object" ? e.comm : null, // a split run's collective {op, group, bytes}
    }));
  }
  return [];
}

function onSession(state, msg) {
  const plan = readPlan(msg);
  return {
    ...initialState(),
    conn: state.conn,
    // A refused setting's note outlives the session started without it; one that named no setting
    // (a join, a load) is answered by this session.
    refusals: Object.fromEntries(Object.entries(state.refusals ?? {}).filter(([k]) => !k.startsWith(":"))),
    session: {
      id: String(msg.id ?? ""),
      model: msg.model ?? "neuron",
      role: msg.role === "viewer" ? "viewer" : "owner",
      config: msg.config ?? {},
      plan,
    },
  };
}

/** A new plan (layers, blocks or the optimizer changed): it replaces the session's, and the stages on
 * display, kept by their index in the old plan, no longer apply. */
function onPlan(state, msg) {
  if (!state.session || !Array.isArray(msg.plan)) return state;
  const plan = readPlan(msg);
  return {
    ...state,
    session: { ...state.session, plan },
    stage: null,
    traces: {},
    grads: {},
  };
}

function onState(state, msg) {
  const params = msg.params ?? state.params;
  const step = num(msg.step, state.step);
  const next = {
    ...state,
    step,
    params,
    lr: num(msg.lr, state.lr),
    loss: num(msg.loss, null),
    playing: !!msg.playing,
    cursor: msg.cursor ?? null,
    curve: msg.curve ?? null,
    diverged: msg.diverged ?? null,
    warning: typeof msg.warning === "string" ? msg.warning : null,
    undo: Number.isInteger(msg.undo) ? msg.undo : null, // steps `undo` would bring back (the server keeps that run)
    testLoss: num(msg.test_loss, null),
    accuracy: msg.accuracy && typeof msg.accuracy === "object" ? msg.accuracy : null,
    epoch: num(msg.epoch, null), // passes over the training set (the engine's count)
  };
  // The server may echo the settings in force; adopting them keeps a viewer's form in step too.
  if (state.session && msg.config && typeof msg.config === "object") {
    next.session = { ...state.session, config: { ...state.session.config, ...msg.config } };
  }
  // The server's cursor says which stage is current; a displayed stage it no longer points at is
  // stale (whole steps ran, or a reset), so the views fall back to the live parameters.
  const c = msg.cursor;
  if (state.stage && (!c || c.step !== state.stage.step || c.index !== state.stage.index)) next.stage = null;
  if (step < state.step || (step === 0 && !c)) {
    next.traces = {};
    next.move = null;
    next.grads = {};
  } else if (step > state.step && params && state.params && !paramsEqual(params, state.params)) {
    next.move = { from: state.params, to: params, step };
  }
  next.metrics = trimMetrics(state.metrics, step);
  if (step === 0) next.startLoss = num(msg.loss, null);
  return next;
}

function onStage(state, msg) {
  const next = {
    ...state,
    stage: msg,
    stageSeq: state.stageSeq + 1,
    traces: addTrace(state.traces, msg),
    playing: false, // the server pauses before any step/back
  };
  if (msg.stage === "gradients" && msg.values) {
    const layer = num(msg.layer, 0);
    next.grads = { ...state.grads, [layer]: { step: msg.step, grad_W: msg.values.grad_W, grad_b: msg.values.grad_b } };
  }
  // A fresh `update` finishes a step even when no `state` follows it: count it and adopt the new
  // parameters so the counter, the plots and the downhill arrow move right away.
  if (msg.stage === "update" && !msg.replay && msg.params) {
    const done = num(msg.step, state.step) + 1;
    if (done > state.step) {
      next.step = done;
      if (!paramsEqual(msg.params, state.params)) next.move = { from: state.params, to: msg.params, step: done };
      next.params = msg.params;
    }
  }
  return next;
}

function onMetrics(state, msg) {
  const sparse = Array.isArray(state.dataset?.test_x);
  // `replace`: the run's whole recent history (after an undo): the chart starts over from it
  const next = { ...state, metrics: appendMetrics(msg.replace ? EMPTY_METRICS : state.metrics, msg, sparse) };
  const step = num(msg.step, null);
  if (step !== null && step >= state.step) {
    next.step = step;
    if (typeof msg.train_loss === "number") next.loss = msg.train_loss;
  }
  return next;
}

function onError(state, msg) {
  const seq = state.errorSeq + 1;
  const error = { message: String(msg.message ?? "error"), code: msg.code ?? "error", seq };
  const next = { ...state, error, errorSeq: seq };
  if (error.code === "diverged") next.diverged = error.message;
  if (error.code === "bad_data") next.dataError = error.message;
  if (error.code === "not_saved") next.unsaved = error.message; // stays in view until saved_again
  if (error.code === "saved_again") next.unsaved = null;
  return next;
}

function onRefused(state, r) {
  if (!r) return state;
  const next = { ...state, refusals: noteRefusal(state.refusals ?? {}, r) };
  if (r.kind === "configure" && r.key && state.session && r.before && r.key in r.before) {
    const config = { ...state.session.config };
    if (r.before[r.key] === undefined) delete config[r.key];
    else config[r.key] = r.before[r.key];
    next.session = { ...state.session, config };
  }
  return next;
}

function onField(state, msg) {
  if (!msg.tensors || typeof msg.tensors !== "object") return state;
  const h = msg.header ?? {};
  const field = { step: num(h.step, state.step), span: num(h.span, 6), tensors: msg.tensors };
  return { ...state, field, fieldSeq: state.fieldSeq + 1 };
}

/** (state, message) → new state. Unknown messages leave the state as it is. */
export function reduce(state, msg) {
  const next = reduceRun(state, msg);
  // The classroom slice outlives a `session` (a fork or hand-over keeps the lesson and page options).
  const room = reduceRoom(state.room ?? initialRoom(), msg);
  const withRoom = room === next.room ? next : { ...next, room };
  // The transformer's slice (gpt/gptstate.js) follows its own messages: attention, probs, samples, phase…
  const gpt = reduceGpt(state.gpt ?? initialGpt(), msg);
  return gpt === withRoom.gpt ? withRoom : { ...withRoom, gpt };
}

function reduceRun(state, msg) {
  if (!msg || typeof msg !== "object") return state;
  switch (msg.type) {
    case "session":
      return onSession(state, msg);
    case "dataset":
      // New data (reset or a rebuilding configure): the old batch, stages and gradients no longer apply.
      return { ...state, dataset: msg, stage: null, traces: {}, move: null, grads: {}, dataError: null };
    case "field":
      return onField(state, msg);
    case "state":
      return onState(state, msg);
    case "stage":
      return onStage(state, msg);
    case "plan":
      return onPlan(state, msg);
    case "metrics":
      return onMetrics(state, msg);
    case "explain": // the last update of one weight, written out by the engine (the network inspector's)
      return { ...state, explain: msg };
    case "error":
      return onError(state, msg);
    case "_configured": { // what this page asked for with `configure`; the server sends no new `session`
      const refusals = clearRefusals(state.refusals ?? {}, msg.config); // the user changed it: its old refusal goes
      if (!state.session) return refusals === state.refusals ? state : { ...state, refusals };
      return { ...state, refusals, session: { ...state.session, config: { ...state.session.config, ...(msg.config ?? {}) } } };
    }
    case "_refused": // refusal.js: the server refused a request; a refused configure's setting goes back
      return onRefused(state, msg.refusal);
    case "_conn": // from api.js, not the server
      return msg.status === state.conn ? state : { ...state, conn: msg.status };
    default:
      return state;
  }
}

// ---- read-only helpers the views share -------------------------------------------------------

export function isViewer(state) {
  return state.session?.role === "viewer";
}

export function stageNames(state) {
  return planOf(state).map((e) => e.stage);
}

/** The step's plan as served: [{stage, layer, direction, title, subtitle, stage_title, part, short}]. */
export function planOf(state) {
  return state.session?.plan ?? [];
}

/** The plan entry of a stage message (by its index), or null. */
export function planEntry(state, s) {
  if (!s) return null;
  const plan = planOf(state);
  const i = Number.isInteger(s.index) ? s.index : plan.findIndex((e) => e.stage === s.stage);
  const e = plan[i];
  return e && e.stage === s.stage ? e : null;
}

/** The parameters to draw: those of the stage on display, else the live ones. */
export function displayParams(state) {
  return state.stage?.params ?? state.params;
}

/** The samples of the step on display ({x, y}), from its `input` stage; null when unknown. */
export function currentBatch(state) {
  if (!state.stage) return null;
  const all = state.traces[state.stage.step] ?? {};
  const input = Object.values(all).find((m) => m.stage === "input");
  if (!input?.values?.x) return null;
  return { x: input.values.x, y: input.values.y ?? [] };
}

function indexOf(state, m) {
  return Number.isInteger(m.index) ? m.index : stageNames(state).indexOf(m.stage);
}

/**
 * Stage messages of the step on display, up to and including the one on display, by name. A name
 * that repeats (a network's per-layer stages) maps to its latest one so far.
 */
export function visibleTrace(state) {
  const s = state.stage;
  if (!s) return {};
  const upTo = indexOf(state, s);
  const shown = Object.values(state.traces[s.step] ?? {})
    .filter((m) => indexOf(state, m) !== -1 && indexOf(state, m) <= upTo)
    .sort((a, b) => indexOf(state, a) - indexOf(state, b));
  const out = {};
  for (const m of shown) out[m.stage] = m;
  return out;
}

/** The layer the stage on display works on (linear/activation/gradients), else null. */
export function activeLayer(state) {
  const s = state.stage;
  if (!s || !["linear", "activation", "gradients"].includes(s.stage)) return null;
  return num(s.layer, null);
}

/** One stage message of the step on display by its index in the plan, if it was seen. */
export function traceAt(state, index) {
  const s = state.stage;
  return s ? state.traces[s.step]?.[index] ?? null : null;
}
