// The Descent page's pure parts: the race reducer (trails from metrics.positions, caps, resets),
// the lockstep arithmetic (waits for slow racers, skips diverged ones, lets late racers catch up),
// the contour math (levels, marching squares on a cone, bilinear, hillshade) and the address.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CAP, MAX_COUNT, capTrail, freeSlot, initialRace, landscapeQuery, leftTheMap, liveRacers, markSent,
  nextOptimizer, planTick, reduceRace, tickReady, tickTiming, widerSpan,
} from "../../frontend/descent/race.js";
import {
  bandIndex, bilinear, contourSegments, finiteRange, gridMinimum, hillshade, logLevels, normalizedLog, ramp,
} from "../../frontend/descent/contour.js";
import { readWhere, sharedConfig, whereSearch } from "../../frontend/descent/where.js";

const LANDSCAPE = {
  type: "landscape", kind: "unit", at: "start", axes: ["w", "b"], x: [-2, 0, 2], y: [-2, 0, 2],
  loss: [[3, 2, 3], [2, 1, 2], [3, 2, 3]], center: [0, 0], start: [0.5, 0.5], minimum: [0, 0, 1], step: 0,
};
const stateMsg = (step, over = {}) => ({ type: "state", step, loss: 1 / (step + 1), diverged: null, config: {}, ...over });
const metrics = (from, k, pos = (s) => [s / 10, -s / 10]) => {
  const steps = Array.from({ length: k }, (_, i) => from + i + 1);
  return {
    type: "metrics", steps, train_losses: steps.map((s) => 1 / (s + 1)), lrs: steps.map(() => 0.1),
    grad_norms: steps.map(() => 1), clipped: [], positions: steps.map(pos),
  };
};

/** A race of `n` racers, each connected with a session at step 0 and the landscape. */
function started(n = 2) {
  let race = initialRace({ model: "neuron", config: { lr: 0.1 }, racers: ["sgd", "adam", "momentum", "rmsprop"].slice(0, n).map((optimizer) => ({ optimizer, lr: 0.1 })) });
  for (const r of race.racers) {
    race = reduceRace(race, r.key, { type: "_conn", status: "open" });
    race = reduceRace(race, r.key, { type: "session", id: `S${r.key}` });
    race = reduceRace(race, r.key, stateMsg(0));
    race = reduceRace(race, r.key, LANDSCAPE);
  }
  return race;
}

const keys = (race) => race.racers.map((r) => r.key);

test("a landscape starts every trail at its start; positions from metrics extend it", () => {
  let race = started(2);
  assert.deepEqual(race.landscape, LANDSCAPE);
  for (const r of race.racers) assert.deepEqual(r.trail, [[0.5, 0.5]]);
  const [a, b] = keys(race);
  race = reduceRace(race, a, metrics(0, 3));
  race = reduceRace(race, a, stateMsg(3));
  const ra = race.racers[0];
  assert.equal(ra.trail.length, 4);
  assert.deepEqual(ra.trail.at(-1), [0.3, -0.3]);
  assert.deepEqual(ra.steps, [1, 2, 3]);
  assert.deepEqual(ra.lrs, [0.1, 0.1, 0.1]);
  assert.equal(race.racers[1].trail.length, 1, "the other racer is untouched");
  assert.equal(race.step, 0, "the race's step is the slowest live racer's");
  race = reduceRace(race, b, metrics(0, 3));
  race = reduceRace(race, b, stateMsg(3));
  assert.equal(race.step, 3);
});

test("null positions are skipped, not drawn as (0, 0)", () => {
  let race = started(2);
  const [a] = keys(race);
  race = reduceRace(race, a, metrics(0, 3, (s) => (s === 2 ? null : [s, s])));
  assert.deepEqual(race.racers[0].trail, [[0.5, 0.5], [1, 1], [3, 3]]);
});

test("arrays keep the last CAP entries; a long trail thins its older half and keeps the start", () => {
  let race = started(2);
  const [a] = keys(race);
  race = reduceRace(race, a, metrics(0, CAP + 10));
  const r = race.racers[0];
  assert.equal(r.steps.length, CAP);
  assert.equal(r.steps[0], 11);
  assert.equal(r.losses.length, CAP);
  assert.ok(r.trail.length <= CAP && r.trail.length > CAP / 2, String(r.trail.length));
  assert.deepEqual(r.trail[0], [0.5, 0.5]);
  assert.deepEqual(r.trail.at(-1), [(CAP + 10) / 10, -(CAP + 10) / 10]);
  const t = Array.from({ length: 10 }, (_, i) => [i, i]);
  assert.equal(capTrail(t, 20), t, "short trails are left alone");
  assert.deepEqual(capTrail(t, 8), [[0, 0], [2, 2], [4, 4], [5, 5], [6, 6], [7, 7], [8, 8], [9, 9]]);
});

test("a reset (the step goes back) clears the run and restarts the trail at the start", () => {
  let race = started(2);
  const [a] = keys(race);
  race = reduceRace(race, a, metrics(0, 5));
  race = reduceRace(race, a, stateMsg(5));
  race = reduceRace(race, a, stateMsg(0));
  const r = race.racers[0];
  assert.deepEqual(r.trail, [[0.5, 0.5]]);
  assert.deepEqual(r.steps, []);
  assert.equal(r.startLoss, 1);
});

test("a wider landscape of the same frame keeps the trail; a new frame restarts it", () => {
  let race = started(2);
  const [a] = keys(race);
  race = reduceRace(race, a, metrics(0, 3));
  race = reduceRace(race, a, { ...LANDSCAPE, x: [-4, 0, 4], y: [-4, 0, 4] });
  assert.equal(race.racers[0].trail.length, 4);
  race = reduceRace(race, a, { ...LANDSCAPE, at: "here", start: [1, 1] });
  assert.deepEqual(race.racers[0].trail, [[1, 1]]);
});

test("errors land in the racer's lane; a diverged racer is out of the lockstep", () => {
  let race = started(3);
  const [a, b] = keys(race);
  race = reduceRace(race, a, { type: "error", code: "bad_message", message: "no weight W9" });
  assert.equal(race.racers[0].error, "no weight W9");
  assert.equal(liveRacers(race).length, 3, "a bad request does not take a racer out");
  race = reduceRace(race, b, { type: "error", code: "diverged", message: "Training diverged at step 4" });
  assert.equal(race.racers[1].diverged, "Training diverged at step 4");
  assert.deepEqual(liveRacers(race).map((r) => r.key), [a, keys(race)[2]]);
  // the passing error clears once the racer has moved on
  race = reduceRace(race, a, stateMsg(1));
  assert.equal(race.racers[0].error, null);
});

test("lockstep: a tick goes to every live racer, and the next waits for the slowest", () => {
  let race = started(3);
  const [a, b, c] = keys(race);
  assert.ok(tickReady(race));
  const plan = planTick(race, 5);
  assert.equal(plan.target, 5);
  assert.deepEqual(plan.sends.map((s) => [s.key, s.count]), [[a, 5], [b, 5], [c, 5]]);
  race = markSent(race, plan);
  assert.equal(tickReady(race), false);
  race = reduceRace(race, a, stateMsg(5));
  race = reduceRace(race, b, stateMsg(5));
  assert.equal(tickReady(race), false, "c is still on its way");
  race = reduceRace(race, c, stateMsg(5));
  assert.ok(tickReady(race));
  assert.equal(race.step, 5);
});

test("lockstep skips a diverged racer and queued presses count from what was already sent", () => {
  let race = started(3);
  const [a, b, c] = keys(race);
  race = reduceRace(race, b, stateMsg(0, { diverged: "Training diverged at step 0" }));
  let plan = planTick(race, 1);
  assert.deepEqual(plan.sends.map((s) => s.key), [a, c]);
  race = markSent(race, plan);
  plan = planTick(race, 1); // S pressed again before the answers came
  assert.equal(plan.target, 2);
  assert.deepEqual(plan.sends.map((s) => s.count), [1, 1]);
  race = markSent(race, plan);
  race = reduceRace(race, a, stateMsg(1));
  assert.equal(race.racers[0].pending, 2, "still owes the second step");
  race = reduceRace(race, a, stateMsg(2));
  race = reduceRace(race, c, stateMsg(2));
  assert.ok(tickReady(race));
});

test("a racer that joined late catches up in one message, capped at the server's bound", () => {
  let race = started(2);
  const [a, b] = keys(race);
  race = reduceRace(race, a, stateMsg(40));
  race = { ...race, target: 40 };
  const plan = planTick(race, 0);
  assert.deepEqual(plan.sends.map((s) => [s.key, s.count]), [[b, 40]]);
  race = { ...reduceRace(race, b, stateMsg(0)), target: 20000 };
  assert.equal(planTick(race, 0).sends.find((s) => s.key === b).count, MAX_COUNT);
});

test("no live racer: no plan; play's timing keeps k ≥ 1 and speed × time = steps", () => {
  const race = initialRace({ model: "neuron", config: {}, racers: [{ optimizer: "sgd", lr: 0.1 }, { optimizer: "adam", lr: 0.1 }] });
  assert.equal(planTick(race, 1), null);
  assert.deepEqual(tickTiming(1), { interval: 1000, k: 1 });
  assert.deepEqual(tickTiming(20), { interval: 50, k: 1 });
  assert.deepEqual(tickTiming(100), { interval: 50, k: 5 });
});

test("slots and optimizers for a new racer; landscape questions and zoom", () => {
  const race = started(2);
  assert.equal(freeSlot(race), 2);
  assert.equal(nextOptimizer(race), "momentum");
  assert.deepEqual(landscapeQuery(race), { type: "landscape", resolution: 81, at: "start", kind: "auto", seed: 0 });
  assert.equal(landscapeQuery({ ...race, span: 12 }).span, 12);
  assert.equal(widerSpan(LANDSCAPE), 4);
  assert.equal(leftTheMap(race), false);
  const out = reduceRace(race, keys(race)[0], metrics(0, 30)); // reaches (3, −3): past the grid's edge at 2
  assert.equal(leftTheMap(out), true);
});

// ---- contour math ----

/** A cone: loss = distance from the origin, on an n × n grid over [−2, 2]². */
function cone(n = 41) {
  const axis = Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
  return { x: axis, y: axis, loss: axis.map((y) => axis.map((x) => Math.hypot(x, y))) };
}

test("log levels are increasing, inside the range, evenly spaced in log", () => {
  const levels = logLevels(0.05, 15, 12);
  assert.equal(levels.length, 12);
  for (let i = 1; i < levels.length; i++) assert.ok(levels[i] > levels[i - 1]);
  assert.ok(levels[0] > 0.05 && levels.at(-1) < 15);
  const ratios = levels.slice(1).map((v, i) => v / levels[i]);
  for (const r of ratios) assert.ok(Math.abs(r - ratios[0]) < 1e-9);
  assert.ok(logLevels(0, 1, 5)[0] > 0, "a zero loss does not give log(0)");
  assert.deepEqual(logLevels(NaN, 1), []);
});

test("bands: how many levels lie at or below a value; null is the top band", () => {
  const levels = [1, 2, 4];
  assert.deepEqual([0.5, 1, 3, 9, null].map((v) => bandIndex(v, levels)), [0, 1, 2, 3, 3]);
});

test("marching squares on a cone: every segment end lies on the circle of that radius", () => {
  const g = cone();
  for (const level of [0.5, 1, 1.5]) {
    const segs = contourSegments(g, level);
    assert.ok(segs.length > 10, `${segs.length} segments at ${level}`);
    for (const [x0, y0, x1, y1] of segs) {
      assert.ok(Math.abs(Math.hypot(x0, y0) - level) < 0.01, `${x0},${y0}`);
      assert.ok(Math.abs(Math.hypot(x1, y1) - level) < 0.01);
    }
    // a closed ring: its length is about the circumference
    const length = segs.reduce((s, [x0, y0, x1, y1]) => s + Math.hypot(x1 - x0, y1 - y0), 0);
    assert.ok(Math.abs(length - 2 * Math.PI * level) < 0.05 * level, `${length}`);
  }
  assert.deepEqual(contourSegments(g, 10), [], "a level above everything draws nothing");
});

test("marching squares skips cells with a missing (too large) corner", () => {
  const g = { x: [0, 1], y: [0, 1], loss: [[0, 2], [null, 2]] };
  assert.deepEqual(contourSegments(g, 1), []);
  const h = { x: [0, 1], y: [0, 1], loss: [[0, 2], [0, 2]] };
  assert.deepEqual(contourSegments(h, 1), [[0.5, 0, 0.5, 1]]);
});

test("bilinear reads the grid; range and minimum; outside is null", () => {
  const g = cone(5);
  assert.equal(bilinear(g, 0, 0), 0);
  assert.equal(bilinear(g, 1, 0), 1);
  assert.ok(Math.abs(bilinear(g, 0.5, 0) - 0.5) < 1e-12);
  assert.equal(bilinear(g, 3, 0), null);
  assert.deepEqual(finiteRange([[null, 2], [0.5, NaN]]), [0.5, 2]);
  assert.equal(finiteRange([[null]]), null);
  assert.deepEqual(gridMinimum(g), [0, 0, 0]);
});

test("hillshade: flat ground is sin 45°; a slope facing the upper-left light is brighter than one facing away", () => {
  const flat = hillshade([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
  assert.ok(Math.abs(flat[1][1] - Math.SQRT1_2) < 1e-9, String(flat[1][1]));
  // rising to the right (x): faces left, toward the light
  const towards = hillshade([[0, 0.1, 0.2], [0, 0.1, 0.2], [0, 0.1, 0.2]]);
  const away = hillshade([[0.2, 0.1, 0], [0.2, 0.1, 0], [0.2, 0.1, 0]]);
  assert.ok(towards[1][1] > flat[1][1] && away[1][1] < flat[1][1]);
  // rows follow y upward: rising toward the bottom (smaller y) faces up, toward the light
  const upFacing = hillshade([[0.2, 0.2, 0.2], [0.1, 0.1, 0.1], [0, 0, 0]]);
  assert.ok(upFacing[1][1] > flat[1][1]);
});

test("the ramp runs light to dark; normalized log spans 0 … 1", () => {
  const lum = (c) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  let prev = Infinity;
  for (let t = 0; t <= 1.0001; t += 0.05) {
    const l = lum(ramp(t));
    assert.ok(l < prev, `lightness falls at t=${t}`);
    prev = l;
  }
  const [z] = normalizedLog([[0.1, 1, 10, null]], 0.1, 10);
  assert.deepEqual([z[0], z[2], z[3]], [0, 1, null]);
  assert.ok(Math.abs(z[1] - 0.5) < 1e-12);
});

// ---- the address ----

test("the address round-trips a race and falls back on bad values", () => {
  const w = readWhere("?model=mlp&racers=sgd,adam,bogus&lr=0.3&lrs=0.3,0.01&view=terrain&span=6&dataset=xor&batch=mini&speed=100");
  assert.equal(w.model, "mlp");
  assert.deepEqual(w.racers, [{ optimizer: "sgd", lr: 0.3 }, { optimizer: "adam", lr: 0.01 }]);
  assert.equal(w.view, "terrain");
  assert.equal(w.span, 6);
  assert.deepEqual(sharedConfig(w), { dataset: "xor", batch_size: 10, seed: 0 });
  const race = { ...initialRace({ ...w, config: { ...sharedConfig(w), lr: w.lr } }), speed: w.speed };
  assert.deepEqual(readWhere(whereSearch(race)), w);
  const d = readWhere("?model=nope&racers=adam&lr=-1&span=1000");
  assert.equal(d.model, "neuron");
  assert.deepEqual(d.racers.map((r) => r.optimizer), ["sgd", "momentum", "rmsprop", "adam"]);
  assert.equal(d.lr, 0.1);
  assert.equal(d.span, null);
  assert.deepEqual(sharedConfig(d), { features: 1, dataset: "pass_fail", batch_size: 40, seed: 0 });
  assert.equal(sharedConfig(readWhere("?model=line")).bias, true, "a line without b has no landscape");
});

// ---- watching a race (a class follows the teacher's racers, read-only) ----------------------------

test("a watch link names every racer's room, and a watcher joins those rooms", async () => {
  const { readWhere, watchSearch } = await import("../../frontend/descent/where.js");
  const { initialRace, reduceRace, planTick } = await import("../../frontend/descent/race.js");
  const where = readWhere("?model=neuron&watch=ABCDE,FGHJK,bad!code");
  assert.deepEqual(where.watch, ["ABCDE", "FGHJK"]);
  let race = initialRace({ model: "neuron", config: {}, racers: where.racers, watch: where.watch });
  assert.equal(race.viewer, true);
  assert.deepEqual(race.racers.map((r) => r.watch), ["ABCDE", "FGHJK"]);
  const [a, b] = race.racers.map((r) => r.key);
  race = reduceRace(race, a, { type: "session", id: "ABCDE", config: { optimizer: "adam", lr: 0.05 } });
  assert.equal(race.racers[0].optimizer, "adam");
  assert.equal(race.racers[0].lr, 0.05);
  race = reduceRace(race, a, { type: "state", step: 7, loss: 0.3, config: { optimizer: "adam", lr: 0.05, clip: 2 } });
  assert.equal(race.config.clip, 2); // the watched race's settings, for the tricks panel
  race = reduceRace(race, b, { type: "_conn", status: "open" });
  race = reduceRace(race, a, { type: "_conn", status: "open" });
  race = reduceRace(race, b, { type: "session", id: "FGHJK", config: { optimizer: "sgd", lr: 0.05 } });
  race = reduceRace(race, b, { type: "state", step: 7, loss: 0.5, config: { optimizer: "sgd", lr: 0.05 } });
  assert.equal(race.step, 7);
  assert.ok(planTick(race, 1)); // the arithmetic would step…
  assert.equal(watchSearch(race), "?model=neuron&watch=ABCDE%2CFGHJK"); // …and the link passes on
});

test("no watch link until every racer has its room", async () => {
  const { watchSearch } = await import("../../frontend/descent/where.js");
  const { initialRace, reduceRace } = await import("../../frontend/descent/race.js");
  let race = initialRace({ model: "mlp", config: {}, racers: [{ optimizer: "sgd", lr: 0.1 }, { optimizer: "adam", lr: 0.1 }], view: "terrain" });
  assert.equal(race.viewer, false);
  assert.equal(watchSearch(race), null);
  for (const [r, id] of race.racers.map((r, i) => [r, ["AAAAA", "BBBBB"][i]])) race = reduceRace(race, r.key, { type: "session", id, config: {} });
  assert.equal(watchSearch(race), "?model=mlp&watch=AAAAA%2CBBBBB&view=terrain");
});
