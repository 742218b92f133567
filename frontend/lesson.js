// Lessons (frontend/lessons/*.json, schema in server/lessons.py), the pure parts: is a step's goal
// met, what a step changes in the run, which views it shows. Pure: runs under node --test.

import { withFeatures } from "./config.js";
import { stageNames } from "./state.js";

/** A lesson's view names (served: SCHEMA.lessons.views; tests keep the two the same) → the element ids
 * that draw them (neuron/line, network, transformer page). */
export const VIEW_ELEMENTS = {
  pipeline: ["pipeline"],
  formula: ["formula-panel", "netformula", "gpt-formula"],
  data: ["dataplot", "netdata"],
  loss: ["losschart", "netloss", "gpt-loss"],
  curve: ["curve"],
  network: ["network"],
  boundary: ["boundary"],
  attention: ["gpt-attention"],
  samples: ["gpt-samples"],
  probe: ["gpt-probe"], // the Transformer's probe text and its tokens
  probs: ["gpt-probs"], // … and the next-character bars after a position of it
  layers: ["gpt-layers"], // gradients per layer
  optim: ["gpt-optim"], // the learning-rate schedule and Adam's state
  workers: ["gpt-workers"], // data-parallel workers: the ring, checksums, each one's loss, Kill
  scale: ["gpt-scale"], // the Scale lesson: a rung's memory and days, in one sentence and a curve
};

/** Element ids to hide for a step's `views` (empty or missing: show everything). */
export function hiddenElements(views) {
  if (!Array.isArray(views) || views.length === 0) return [];
  return Object.entries(VIEW_ELEMENTS).filter(([name]) => !views.includes(name)).flatMap(([, ids]) => ids);
}

/**
 * Is the goal met in this state? null when the step has no goal. A goal may combine conditions;
 * all must hold. `stage`: the stage handed out last is that one or later in the step's order;
 * `steps`: at least that many whole steps taken; `loss_below`: the whole training set's loss.
 */
export function goalMet(goal, state) {
  if (!goal || typeof goal !== "object") return null;
  const checks = [];
  if (goal.stage) {
    const names = stageNames(state);
    const want = names.indexOf(goal.stage);
    const at = state.cursor?.index ?? state.stage?.index;
    checks.push(state.stage?.stage === goal.stage || (want >= 0 && Number.isInteger(at) && at >= want));
  }
  if (goal.steps) checks.push(Number(state.step) >= goal.steps);
  if (goal.loss_below) checks.push(typeof state.loss === "number" && state.loss < goal.loss_below);
  return checks.length ? checks.every(Boolean) : null;
}

/** The goal in words, for the tick line; a stage is named by its title in the served `plan`. */
export function goalText(goal, plan = []) {
  if (!goal) return "";
  const parts = [];
  if (goal.stage) parts.push(`reach the ${plan.find((e) => e.stage === goal.stage)?.stage_title ?? goal.stage} stage`);
  if (goal.steps) parts.push(`take ${goal.steps} step${goal.steps === 1 ? "" : "s"}`);
  if (goal.loss_below) parts.push(`bring the loss below ${goal.loss_below}`);
  const text = parts.join(" and ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "step 3 of 7" for the 0-based step k of n. */
export function progressText(k, n) {
  return `step ${k + 1} of ${n}`;
}

function same(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b) || (typeof a === "number" && typeof b === "number" && a === b);
}

/**
 * The settings a step asks for: its `config` over the model's defaults, so a key the teacher changed
 * earlier (an optimizer, a seed) does not leak into the lesson. `props`: the model's schema properties.
 */
export function targetConfig(step, props = {}) {
  const defaults = {};
  for (const [k, p] of Object.entries(props)) if (p && p.default !== undefined) defaults[k] = p.default;
  // A neuron's features follow the step's dataset, not the default dataset's.
  return { ...defaults, ...withFeatures(step.model, { ...(step.config ?? {}) }) };
}

/** The keys of `target` whose value differs from `current` (a configure sends only these). */
export function configChange(target, current = {}) {
  const out = {};
  for (const [k, v] of Object.entries(target)) if (!same(v, current[k])) out[k] = v;
  return out;
}

/**
 * What opening step k of a lesson does to this page's run:
 * - "navigate": the step runs another model, which a room cannot switch to: a new page (a new room);
 * - "configure": same model, some settings differ (`change`);
 * - "none": the run already has the step's settings (no reset: progress is kept).
 */
export function planStep(lesson, k, session, props = {}) {
  const step = lesson?.steps?.[k];
  if (!step) return null;
  if (!session || step.model !== session.model) {
    return { kind: "navigate", model: step.model, config: withFeatures(step.model, { ...(step.config ?? {}) }) };
  }
  const change = configChange(targetConfig(step, props), session.config ?? {});
  return { kind: Object.keys(change).length ? "configure" : "none", model: step.model, change };
}

function rectangular(grid) {
  const boxes = {};
  grid.forEach((row, r) => row.forEach((name, c) => {
    const b = (boxes[name] ??= { r0: r, r1: r, c0: c, c1: c, n: 0 });
    Object.assign(b, { r0: Math.min(b.r0, r), r1: Math.max(b.r1, r), c0: Math.min(b.c0, c), c1: Math.max(b.c1, c) });
    b.n += 1;
  }));
  return Object.values(boxes).every((b) => b.n === (b.r1 - b.r0 + 1) * (b.c1 - b.c0 + 1));
}

/**
 * CSS grid-template-areas rows with the `hidden` areas given to their neighbours (the one beside
 * first — a view grows wider, which suits plots and the diagram — else the one above or below),
 * so the views that stay fill the page. null when nothing is left or the result would not be a
 * valid grid (then hidden areas just stay empty).
 */
export function fillAreas(rows, hidden) {
  const grid = rows.map((r) => r.trim().split(/\s+/));
  const off = (name) => hidden.has(name);
  if (grid.flat().every(off)) return null;
  for (let pass = 0; pass < 8 && grid.flat().some(off); pass++) {
    const snapshot = grid.map((row) => row.slice());
    grid.forEach((row, r) => row.forEach((name, c) => {
      if (!off(name)) return;
      const vertical = snapshot.map((other) => other[c]).filter((n, rr) => rr !== r && !off(n));
      const across = [row[c - 1], row[c + 1]].filter((n) => n !== undefined && !off(n));
      const pick = across[0] ?? vertical[0];
      if (pick) row[c] = pick;
    }));
  }
  if (grid.flat().some(off) || !rectangular(grid)) return null;
  return grid.map((row) => row.join(" "));
}

/**
 * The Transformer's panels a lesson step leaves, laid out again: `n` panels in rows of at most
 * `perRow`, the rows as even as they go (4 in rows of 3 → 2 + 2, not 3 + 1), every row filling the
 * grid's `columns`. Returns {rows, spans}: spans[i] is panel i's column span. A fixed grid would
 * leave holes where the step's hidden panels were (half the 1920 px page stood empty).
 */
export function panelRows(n, perRow, columns = 24) {
  if (!(n > 0)) return { rows: 0, spans: [] };
  const rows = Math.ceil(n / Math.max(1, perRow));
  const spans = [];
  for (let r = 0; r < rows; r++) {
    const size = Math.floor(n / rows) + (r < n % rows ? 1 : 0);
    for (let i = 0; i < size; i++) spans.push(columns / size);
  }
  return { rows, spans };
}

/**
 * How many of the Transformer's panels go in a row of a `width` × `height` workspace. `shapes`: each
 * panel's best width : height (a heatmap 1, a loss chart about 2) — or a count, all charts of 1.6.
 * The split (even rows, as panelRows) whose panels come nearest their shapes wins; none narrower
 * than `minWidth` unless each has a row of its own. Beside a lesson on a 1024×768 projector (650 ×
 * 600 px) a loss chart and the samples go one above the other (650 × 300 each, not 320 × 600), the
 * formula and the attention maps side by side.
 */
export function panelsPerRow(shapes, width, height, { minWidth = 300 } = {}) {
  const want = Array.isArray(shapes) ? shapes : Array.from({ length: Math.max(0, shapes) }, () => 1.6);
  const n = want.length;
  if (!n || !(width > 0) || !(height > 0)) return Math.max(1, Math.min(3, Math.floor(width / minWidth) || 1));
  let best = null;
  for (let rows = 1; rows <= n; rows++) {
    const perRow = Math.ceil(n / rows);
    if (Math.ceil(n / perRow) !== rows) continue; // the same split as a smaller row count
    if (width / perRow < minWidth && perRow > 1) continue;
    const { spans } = panelRows(n, perRow);
    const cost = want.reduce((sum, a, i) => sum + Math.abs(Math.log((width * spans[i]) / 24 / (height / rows) / a)), 0);
    if (!best || cost < best.cost - 1e-9) best = { perRow, cost };
  }
  return best.perRow;
}

/** The lesson after `id` in `list` (already in course order), or null at the end of the course. */
export function nextLesson(list, id) {
  const i = (list ?? []).findIndex((l) => l.id === id);
  return i >= 0 && i + 1 < list.length ? list[i + 1] : null;
}

/** The lesson before `id` in `list` (in course order), or null at the start of the course. */
export function previousLesson(list, id) {
  const i = (list ?? []).findIndex((l) => l.id === id);
  return i > 0 ? list[i - 1] : null;
}

/**
 * What a clicker's key does in a lesson: PageDown/PageUp (what presentation clickers send) move one
 * step; PageDown on the last step opens the next lesson, PageUp on the first the previous one at its
 * last step (an accidental PageDown into the next lesson is undone with one press). Returns
 * {step: k} | {lesson: id, step: k} | null. `at`: {id, step, n}; `list`: the lessons in course order
 * (each with its `steps` count, as GET /api/lessons lists them).
 */
export function clickerMove(key, at, list) {
  if (!at) return null;
  if (key === "PageDown") {
    if (at.step + 1 < at.n) return { step: at.step + 1 };
    const next = nextLesson(list, at.id);
    return next ? { lesson: next.id, step: 0 } : null;
  }
  if (key === "PageUp") {
    if (at.step > 0) return { step: at.step - 1 };
    const before = previousLesson(list, at.id);
    return before ? { lesson: before.id, step: Math.max(0, (before.steps ?? 1) - 1) } : null;
  }
  return null;
}

/** A step's task as the person reading it does it: the driver presses the keys; a student who
 * watches is told to watch (a "press →" that does nothing on their page would mislead). */
export function taskFor(step, driving) {
  if (!step?.task) return "";
  return driving ? step.task : "Watch the teacher's stage: the class follows their steps. Fork to try it on your own copy.";
}

/**
 * A settings change that would throw away trained work, in words for a confirm; null when it costs
 * nothing. The Transformer's shape (blocks, heads, width…) rebuilds the model from its seed: minutes
 * of training gone. (Undo of the trained weights would need the server to keep the old run; the
 * page asks first instead.) Live keys (η, speed) and an untrained run cost nothing.
 */
export function rebuildLoses(state, key, live, label = key) {
  const s = state.session;
  if (!s || s.model !== "transformer" || live.has(key) || !(state.step > 0)) return null;
  return `Changing ${label} builds a new model from its seed: the ${state.step} trained steps (and any fine-tuning) are lost. Go on?`;
}
