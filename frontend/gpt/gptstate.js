// The transformer page's slice of the state: what its read-only queries brought back (attention
// maps, next-character probabilities, samples, per-character losses, Adam's moments) and the
// series the server sends one value at a time (evaluated losses across both phases, batch losses,
// gradient norms, clip events). Pure, like state.js: reduceGpt(slice, message) → slice, with
// untouched parts keeping their identity. `_gpt` messages come from the page itself (its controls).

/** Attention frames kept for the time-lapse slider, and the most numbers they may hold in all. */
export const ATTENTION_KEEP = 60;
export const ATTENTION_BUDGET = 4_000_000;
export const SAMPLES_KEEP = 12;
/** Batch-loss and gradient-norm points kept; past this, neighbours are averaged in pairs. */
export const SERIES_KEEP = 2000;
/** Steps of clip flags kept for "clipped in the last N steps". */
export const CLIP_WINDOW = 100;
export const OPT_KEEP = 300;
/** Per-character losses kept, by snippet. */
export const CHAR_LOSS_KEEP = 4;

export const DEFAULT_WEIGHT = Object.freeze({ name: "blocks.0.attn.qkv.weight", index: [0, 0] });

const DEFAULT_UI = Object.freeze({
  probe: null, // the probe text; null: a line of the training text (see defaultProbe)
  position: null, // which probe character the probabilities follow; null: the last one
  temperature: 1,
  topK: null,
  map: [0, 0], // [layer, head] of the attention map in focus
  lapse: null, // the step of the attention frame on display; null: the newest (live)
  weight: DEFAULT_WEIGHT,
});

const EMPTY_SERIES = Object.freeze({ steps: [], values: [] });
const EMPTY_CLIP = Object.freeze({ total: 0, steps: 0, recent: [] });
const NO_REPLIES = Object.freeze({ attention: 0, probs: 0, sample: 0, char_loss: 0, optimizer_state: 0 });

export function initialGpt(ui = DEFAULT_UI) {
  return {
    active: false, // the session runs the transformer
    ui,
    info: null, // state.gpt as last received: phase, device, precision, tokens_per_s, last step's stats …
    step: 0,
    phase: "pretrain",
    evals: [], // [{step, phase, train, val, task_train, task_val}]: losses on text A and task B
    losses: EMPTY_SERIES, // batch loss of every step (pairs averaged past SERIES_KEEP)
    gradNorms: EMPTY_SERIES, // ‖g‖ before clipping
    clip: EMPTY_CLIP, // total clipped, steps seen, recent: [0|1] of the last CLIP_WINDOW steps
    switches: [], // [{step, to, samples, eval}]
    lostLosses: EMPTY_SERIES, // data parallel: batch losses of steps a lost worker took with it
    oneWorker: EMPTY_SERIES, // data parallel with `compare`: the same run's batch losses in one process
    workerLosses: [], // data parallel: per rank, its own shard's loss at each step a state reported
    attention: [], // [{step, tokens, shape: [L, H, T, T], data: Float32Array}], oldest first
    probs: null, // the last `probs` reply
    samples: [], // [{step, prompt, text, phase}], oldest first
    charLoss: {}, // snippet → the last `char_loss` reply for it
    opt: null, // the last `optimizer_state` reply: {step, state}
    optHistory: [], // [{step, value, grad, exp_avg, exp_avg_sq, sqrt_v, t}] of the weight in ui.weight
    replies: NO_REPLIES, // replies counted by type: the query scheduler knows when one came back
  };
}

/** The series and query results, cleared: a reset or new text makes them history of another run. */
function cleared(g) {
  return { ...initialGpt(g.ui), active: g.active, info: g.info, replies: g.replies, ui: { ...g.ui, lapse: null } };
}

/** The points of `sent` ({steps, losses}, the newest few hundred) past the last one kept. */
function addNewer(series, sent) {
  if (!sent || !Array.isArray(sent.steps)) return series;
  const after = series.steps.at(-1) ?? -Infinity;
  const i = sent.steps.findIndex((s) => s > after);
  return i < 0 ? series : appendSeries(series, sent.steps.slice(i), sent.losses.slice(i));
}

/** Each worker's own loss at this step (states come at most ~30 a second: some steps are skipped). */
function addWorkerLosses(series, step, workers) {
  if (!Array.isArray(workers) || !workers.some((w) => num(w.loss) !== null)) return series;
  if (series[0]?.steps.at(-1) === step) return series;
  return workers.map((w, r) => appendSeries(series[r] ?? EMPTY_SERIES, [step], [w.loss]));
}

/** Everything after `step` moves to `lostLosses` (the steps a lost worker took with it). */
function truncated(g, step) {
  const keep = (s) => {
    const i = s.steps.findIndex((x) => x > step);
    return i < 0 ? s : { steps: s.steps.slice(0, i), values: s.values.slice(0, i) };
  };
  const gone = g.losses.steps.map((x, i) => [x, g.losses.values[i]]).filter(([x]) => x > step);
  const lost = g.lostLosses ?? EMPTY_SERIES;
  return {
    ...g,
    losses: keep(g.losses),
    gradNorms: keep(g.gradNorms),
    workerLosses: (g.workerLosses ?? []).map(keep),
    evals: g.evals.filter((e) => e.step <= step),
    lostLosses: { steps: lost.steps.concat(gone.map((p) => p[0])), values: lost.values.concat(gone.map((p) => p[1])) },
  };
}

function num(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Append points; past `cap` average neighbours in pairs (the whole run stays, at half the detail). */
export function appendSeries(series, steps, values, cap = SERIES_KEEP) {
  const rows = [];
  steps.forEach((s, i) => {
    const v = num(values[i]);
    if (num(s) !== null && v !== null) rows.push([s, v]);
  });
  if (!rows.length) return series;
  let st = series.steps.concat(rows.map((r) => r[0]));
  let vs = series.values.concat(rows.map((r) => r[1]));
  while (st.length > cap) {
    const s2 = [];
    const v2 = [];
    for (let i = 0; i + 1 < st.length; i += 2) {
      s2.push(st[i + 1]);
      v2.push((vs[i] + vs[i + 1]) / 2);
    }
    if (st.length % 2) {
      s2.push(st[st.length - 1]);
      v2.push(vs[vs.length - 1]);
    }
    st = s2;
    vs = v2;
  }
  return { steps: st, values: vs };
}

function addEval(evals, step, phase, ev) {
  if (num(step) === null || !ev || typeof ev !== "object") return evals;
  const row = { step, phase, train: num(ev.train), val: num(ev.val), task_train: num(ev.task_train), task_val: num(ev.task_val) };
  const last = evals[evals.length - 1];
  if (last && last.step === step) {
    const same = ["train", "val", "task_train", "task_val"].every((k) => last[k] === row[k]) && last.phase === phase;
    return same ? evals : [...evals.slice(0, -1), row];
  }
  if (last && step < last.step) return [...evals.filter((e) => e.step < step), row];
  return [...evals, row];
}

function onState(g, msg) {
  const info = msg.gpt;
  if (!info || typeof info !== "object") return g;
  const step = num(msg.step) ?? g.step;
  // a data-parallel run that lost a worker resumes from its checkpoint: keep the curve up to there,
  // and the steps that were lost apart (the loss chart marks them); any other step back is a reset
  const resumed = step < g.step && (info.ddp?.lost ?? []).some((l) => l.from_step === step && l.to_step === g.step);
  let next = step < g.step ? (resumed ? truncated(g, step) : cleared(g)) : { ...g };
  next.info = info;
  next.step = step;
  next.phase = info.phase === "finetune" ? "finetune" : "pretrain";
  if (num(info.eval_step) !== null && info.eval_step >= 0 && info.eval_step <= step) {
    next.evals = addEval(next.evals, info.eval_step, next.phase, info.eval);
  }
  next.workerLosses = addWorkerLosses(next.workerLosses, step, info.workers);
  next.oneWorker = addNewer(next.oneWorker ?? EMPTY_SERIES, info.ddp?.one_worker);
  const sw = Array.isArray(info.switches) ? info.switches : [];
  if (sw.length !== next.switches.length || sw.some((s, i) => s.step !== next.switches[i]?.step)) next.switches = sw;
  return next;
}

function onMetrics(g, msg) {
  const steps = Array.isArray(msg.steps) ? msg.steps : [msg.step];
  const losses = Array.isArray(msg.losses) ? msg.losses : [msg.loss];
  const norms = Array.isArray(msg.grad_norms) ? msg.grad_norms : [];
  const clipped = new Set(Array.isArray(msg.clipped) ? msg.clipped : []);
  const flags = steps.map((s) => (clipped.has(s) ? 1 : 0));
  const recent = g.clip.recent.concat(flags).slice(-CLIP_WINDOW);
  return {
    ...g,
    losses: appendSeries(g.losses, steps, losses),
    gradNorms: norms.length ? appendSeries(g.gradNorms, steps, norms) : g.gradNorms,
    clip: { total: g.clip.total + clipped.size, steps: g.clip.steps + steps.length, recent },
  };
}

function onAttention(g, msg) {
  const w = msg.tensors?.weights;
  const h = msg.header ?? {};
  if (!w || !Array.isArray(w.shape) || w.shape.length !== 4 || !w.data) return g;
  const frame = { step: num(h.step) ?? g.step, tokens: Array.isArray(h.tokens) ? h.tokens : [], shape: w.shape, data: w.data };
  let frames = g.attention.concat([frame]);
  let total = frames.reduce((a, f) => a + f.data.length, 0);
  while (frames.length > ATTENTION_KEEP || (frames.length > 1 && total > ATTENTION_BUDGET)) {
    total -= frames[0].data.length;
    frames = frames.slice(1);
  }
  const ui = g.ui.lapse !== null && !frames.some((f) => f.step === g.ui.lapse) ? { ...g.ui, lapse: null } : g.ui;
  return { ...g, ui, attention: frames, replies: { ...g.replies, attention: g.replies.attention + 1 } };
}

function onSample(g, msg) {
  const row = { step: num(msg.step) ?? g.step, prompt: String(msg.prompt ?? "\n"), text: String(msg.text ?? ""), phase: g.phase };
  return { ...g, samples: g.samples.concat([row]).slice(-SAMPLES_KEEP), replies: { ...g.replies, sample: g.replies.sample + 1 } };
}

function onCharLoss(g, msg) {
  const chars = Array.isArray(msg.chars) ? msg.chars : [];
  const key = chars.join("");
  const charLoss = { ...g.charLoss };
  delete charLoss[key]; // re-inserted last: the oldest snippet is dropped first
  charLoss[key] = msg;
  const keys = Object.keys(charLoss);
  for (const k of keys.slice(0, Math.max(0, keys.length - CHAR_LOSS_KEEP))) delete charLoss[k];
  return { ...g, charLoss, replies: { ...g.replies, char_loss: g.replies.char_loss + 1 } };
}

function onOptimizerState(g, msg) {
  const s = msg.state && typeof msg.state === "object" ? msg.state : {};
  const step = num(msg.step) ?? g.step;
  const row = { step, value: num(s.value), grad: num(s.grad), exp_avg: num(s.exp_avg), exp_avg_sq: num(s.exp_avg_sq), sqrt_v: num(s.sqrt_v), t: num(s.step) };
  const last = g.optHistory[g.optHistory.length - 1];
  let hist = g.optHistory;
  if (last && step < last.step) hist = [];
  hist = last && last.step === step ? [...hist.slice(0, -1), row] : hist.concat([row]).slice(-OPT_KEEP);
  return { ...g, opt: msg, optHistory: hist, replies: { ...g.replies, optimizer_state: g.replies.optimizer_state + 1 } };
}

function onPhase(g, msg) {
  const step = num(msg.step) ?? g.step;
  const to = msg.to === "finetune" ? "finetune" : "pretrain";
  const event = { step, to, samples: msg.samples ?? {}, eval: msg.eval ?? {} };
  const known = g.switches.some((s) => s.step === step && s.to === to);
  return { ...g, phase: to, switches: known ? g.switches : g.switches.concat([event]), evals: addEval(g.evals, step, to, msg.eval) };
}

function onUi(g, change) {
  if (!change || typeof change !== "object") return g;
  const ui = { ...g.ui, ...change };
  const next = { ...g, ui };
  const w0 = g.ui.weight;
  const w1 = ui.weight;
  if (w1 !== w0 && (w1?.name !== w0?.name || String(w1?.index) !== String(w0?.index))) {
    next.optHistory = [];
    next.opt = null;
  }
  return next;
}

/** (slice, message) → slice. Everything but `session` is ignored unless the session is a transformer. */
export function reduceGpt(g, msg) {
  if (!msg || typeof msg !== "object") return g;
  if (msg.type === "session") {
    const active = msg.model === "transformer";
    return { ...initialGpt({ ...g.ui, lapse: null }), active };
  }
  if (msg.type === "_gpt") return onUi(g, msg.ui);
  if (!g.active) return g;
  switch (msg.type) {
    case "dataset":
      return cleared(g);
    case "state":
      return onState(g, msg);
    case "metrics":
      return onMetrics(g, msg);
    case "attention":
      return onAttention(g, msg);
    case "probs":
      return { ...g, probs: msg, replies: { ...g.replies, probs: g.replies.probs + 1 } };
    case "sample":
      return onSample(g, msg);
    case "char_loss":
      return onCharLoss(g, msg);
    case "optimizer_state":
      return onOptimizerState(g, msg);
    case "phase":
      return onPhase(g, msg);
    default:
      return g;
  }
}

// ---- read-only helpers the views share -------------------------------------------------------

/** The attention frame on display: the one at ui.lapse, else the newest; null before any. */
export function shownAttention(g) {
  const frames = g.attention;
  if (!frames.length) return null;
  if (g.ui.lapse === null) return frames[frames.length - 1];
  return frames.find((f) => f.step === g.ui.lapse) ?? frames[frames.length - 1];
}

/** One T×T map (layer, head) of a frame, as a Float32Array view (row = query, column = key). */
export function attentionMap(frame, layer, head) {
  const [L, H, T] = frame.shape;
  if (layer < 0 || layer >= L || head < 0 || head >= H) return null;
  const size = T * T;
  const at = (layer * H + head) * size;
  return frame.data.subarray(at, at + size);
}

/**
 * Characters as the page shows them. The server names newline and space "\\n" and "␠"; fonts
 * rarely have ␠ (U+2420: none on Debian, so a projector would show a box), so the page writes the
 * space as ␣ (U+2423, in DejaVu, Segoe UI Symbol and Menlo alike).
 */
export const SPACE = "␣";

export function glyph(shown) {
  return shown === "␠" ? SPACE : shown;
}

/** A server text (a formula) with its space symbol in the page's glyph. */
export function glyphText(text) {
  return String(text).replaceAll("␠", SPACE);
}

export function rawChar(shown) {
  return shown === "\\n" ? "\n" : shown === "␠" || shown === SPACE ? " " : shown;
}

export function shownChar(raw) {
  return raw === "\n" ? "\\n" : raw === " " ? SPACE : raw;
}

/**
 * The probe's tokens: [{char (as shown), id}] with id null for a character outside the
 * vocabulary (the server would refuse the text), and `ok` when every character has an id.
 */
export function tokenize(text, vocab) {
  const ids = new Map((vocab ?? []).map((c, i) => [rawChar(c), i]));
  const tokens = [...(text ?? "")].map((c) => ({ char: shownChar(c), id: ids.has(c) ? ids.get(c) : null }));
  return { tokens, ok: tokens.length > 0 && tokens.every((t) => t.id !== null) };
}

/**
 * A probe when the person has not typed one: in the fine-tuning phase a task question; else the
 * first line of the excerpt that reads as prose, cut at a word so it fits one context window.
 */
export function defaultProbe(dataset, phase, blockSize = 32) {
  if (phase === "finetune" && dataset?.task_examples?.length) return dataset.task_examples[0].slice(0, blockSize);
  const text = String(dataset?.excerpt ?? "");
  const lines = text.split("\n").map((l) => l.trim());
  const prose = lines.find((l) => l.length >= 20 && (l.match(/[A-Za-z ]/g) ?? []).length / l.length > 0.85) ?? lines.find((l) => l) ?? "";
  if (prose.length <= blockSize) return prose;
  const cut = prose.slice(0, blockSize);
  const space = cut.lastIndexOf(" ");
  return space > blockSize / 2 ? cut.slice(0, space) : cut;
}

/** Evaluated-loss series for the chart: [{step, value}] of one key, evaluated points only. */
export function evalSeries(evals, key, fromStep = -Infinity) {
  return evals.filter((e) => e.step >= fromStep && e[key] !== null).map((e) => ({ step: e.step, value: e[key] }));
}
