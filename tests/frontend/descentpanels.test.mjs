// The Descent page's side panels, their pure parts: which weights can be picked, the numbers of an
// update (Adam's bias correction above all), ‖θ‖ from parameters, clip counts, log-scale bars.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { decadeTicks, logBarLength, logDomain } from "../../frontend/render/logscale.js";
import { racerStyle, sameKey } from "../../frontend/descent/chartbits.js";
import { clipCount, clipText } from "../../frontend/descent/clipchart.js";
import { paramNorm, recordNorm, MAX_POINTS, trend } from "../../frontend/descent/decay.js";
import { layerRows, layerVerdict } from "../../frontend/descent/layerbars.js";
import { lastLr, scheduleCurve, wantsLog } from "../../frontend/descent/schedule.js";
import { biasNote, noUpdate, shapeKey, updateParts, weightChoices } from "../../frontend/descent/update.js";

const close = (a, b, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
const cell = (parts, sym) => parts.cells.find((c) => c.sym === sym)?.value;

test("weights to pick: neuron w and b, line b only with bias, mlp every W_k[i,j] and b_k[i]", () => {
  assert.deepEqual(weightChoices("neuron", {}, { w: [0.3], b: 0 }).map((c) => [c.name, c.index, c.label]), [["w", [0], "w"], ["b", [], "b"]]);
  assert.deepEqual(weightChoices("line", { bias: false }, { w: [1.5], b: 0 }).map((c) => c.name), ["w"]);
  assert.deepEqual(weightChoices("line", { bias: true }, { w: [1.5], b: 0 }).map((c) => c.name), ["w", "b"]);
  assert.deepEqual(weightChoices("neuron", {}, { w: [1, 2], b: 0 }).map((c) => c.label), ["w₁", "w₂", "b"]);
  // 2 inputs → 3 hidden → 1 output; W is (out × in) as the wire stores it.
  const params = { layers: [
    { W: [[1, 2], [3, 4], [5, 6]], b: [0, 0, 0], activation: "tanh" },
    { W: [[7, 8, 9]], b: [0], activation: "sigmoid" },
  ] };
  const ws = weightChoices("mlp", {}, params);
  assert.equal(ws.length, 6 + 3 + 3 + 1);
  assert.deepEqual(ws[1], { name: "W0", index: [0, 1], label: "W0[0,1]", group: "hidden 1" });
  assert.deepEqual(ws.find((c) => c.label === "b0[2]").index, [2]);
  assert.deepEqual(ws.filter((c) => c.group === "output").map((c) => c.label), ["W1[0,0]", "W1[0,1]", "W1[0,2]", "b1[0]"]);
  assert.deepEqual(weightChoices("mlp", {}, null), []);
  // The picker is rebuilt when the shape changes, not when the values move.
  const moved = { layers: params.layers.map((l) => ({ ...l, W: l.W.map((r) => r.map((x) => x + 1)) })) };
  assert.equal(shapeKey("mlp", {}, params), shapeKey("mlp", {}, moved));
  assert.notEqual(shapeKey("line", { bias: true }, { w: [1], b: 0 }), shapeKey("line", { bias: false }, { w: [1], b: 0 }));
});

// What the engine's explain sends for Adam at t = 1 (engine/updatetable.py lays the terms out).
const C = (key, sym, value) => ({ key, sym, title: `what ${sym} is`, value });
const ADAM = {
  values: { g: 0.5, lr: 0.1, before: 1, after: 0.9, step: 0.099999998 },
  cells: [C("g", "g", 0.5), C("lr", "η", 0.1), C("t", "t", 1), C("m", "m", 0.05), C("v", "v", 0.00025),
    C("c1", "1−β₁ᵗ", 0.1), C("c2", "1−β₂ᵗ", 0.001), C("m_hat", "m̂", 0.5), C("v_hat", "v̂", 0.25),
    C("step", "η·m̂/(√v̂+ε)", 0.099999998), C("before_after", "before → after", [1, 0.9])],
  rows: [["m", "c1", "m_hat"], ["v", "c2", "v_hat"]],
  note: "1−β₂ᵗ = 0.001: v is divided by it, so v̂ is 1000× v",
};

test("the update's parts are the engine's cells, in its order, with its rows and note", () => {
  const p = updateParts(ADAM);
  assert.deepEqual(p.cells.map((c) => c.sym), ADAM.cells.map((c) => c.sym));
  assert.equal(cell(p, "1−β₂ᵗ"), 0.001);
  assert.equal(p.step, ADAM.values.step);
  assert.deepEqual(p.rows, ADAM.rows);
  assert.equal(biasNote(ADAM), ADAM.note);
  // A term without a number is not drawn — unless Adam's table needs its place; nothing is worked out here.
  const partial = updateParts({ ...ADAM, values: {}, cells: [...ADAM.cells.slice(0, 2), C("c1", "1−β₁ᵗ", null), C("x", "x", null)] });
  assert.deepEqual(partial.cells.map((c) => c.key), ["g", "lr", "c1"]);
  assert.equal(partial.step, null);
  assert.equal(biasNote({ cells: [] }), null);
  assert.deepEqual(updateParts(null), { cells: [], step: null, rows: null });
});

test("nothing to explain before the first step", () => {
  assert.equal(noUpdate(null), true);
  assert.equal(noUpdate({ lines: ["no update yet: take a step"], values: {} }), true);
  assert.equal(noUpdate({ lines: ["g = 1"], values: { g: 1 } }), false);
});

test("‖θ‖ from parameters, and its history per racer", () => {
  close(paramNorm({ w: [3], b: 4 }), 5);
  close(paramNorm({ w: [1, 2], b: 2 }), 3);
  close(paramNorm({ layers: [{ W: [[1, 1], [1, 1]], b: [1, 1] }, { W: [[2, 2]], b: [2] }] }), Math.sqrt(6 + 12));
  assert.equal(paramNorm(null), null);
  let t = recordNorm(null, 0, 5);
  t = recordNorm(t, 1, 4);
  t = recordNorm(t, 1, 3.9); // same step again: replaced, not added
  assert.deepEqual(t, { steps: [0, 1], norms: [5, 3.9] });
  assert.equal(trend(t), "↓ 22%");
  assert.equal(trend({ norms: [2, 8] }), "↑ ×4");
  assert.equal(trend({ norms: [100, 96.5] }), "↓ 4%"); // one digit below 10%
  t = recordNorm(t, 0, 5); // a reset starts the history over
  assert.deepEqual(t, { steps: [0], norms: [5] });
  for (let s = 1; s <= MAX_POINTS + 10; s++) t = recordNorm(t, s, 5);
  assert.ok(t.steps.length <= MAX_POINTS, "the history stays bounded");
  assert.equal(t.steps[0], 0);
  assert.equal(t.steps[t.steps.length - 1], MAX_POINTS + 10, "the newest point is kept");
  assert.equal(trend(t), "→ steady");
});

test("clip counts only over the steps the racer still keeps", () => {
  assert.deepEqual(clipCount({ steps: [1, 2, 3, 4], clipped: [2, 4] }), { clipped: 2, total: 4 });
  assert.deepEqual(clipCount({ steps: [101, 102, 103], clipped: [5, 50, 102] }), { clipped: 1, total: 3 });
  assert.equal(clipText({ steps: Array.from({ length: 120 }, (_, i) => i + 1), clipped: Array.from({ length: 37 }, (_, i) => i + 1) }), "clipped 37 of 120 steps");
  assert.equal(clipText({ steps: [], clipped: [] }), "no steps yet");
  assert.match(clipText({ steps: [1, 2], clipped: [] }), /^not clipped/);
});

test("log-scale bars: decades, lengths, zero and NaN", () => {
  assert.deepEqual(logDomain([0.003, 0.5]), [0.001, 1]);
  assert.deepEqual(logDomain([1e-7, 20], 2), [1e-7, 100]);
  assert.deepEqual(logDomain([0, NaN, null]), [0.01, 1], "nothing positive: a default");
  assert.deepEqual(logDomain([1], 3), [0.1, 100], "widened to at least the asked decades");
  close(logBarLength(1, 0.001, 1000, 600), 300); // the middle decade of six
  close(logBarLength(0.01, 0.001, 1000, 600), 100);
  assert.equal(logBarLength(0, 0.001, 1000, 600), 0);
  assert.equal(logBarLength(NaN, 0.001, 1000, 600), 0);
  assert.equal(logBarLength(1e6, 0.001, 1000, 600), 600, "clamped to the width");
  assert.deepEqual(decadeTicks(1e-6, 1e2, 4).map((v) => Math.round(Math.log10(v))), [-6, -4, -2, 0, 2]);
});

test("layers by name, and what their sizes say", () => {
  const rows = layerRows([{ activation_std: 0.5, grad_norm: 1e-5 }, { activation_std: 0.4, grad_norm: 1e-3 }, { activation_std: 0.3, grad_norm: 0.1 }]);
  assert.deepEqual(rows.map((r) => r.label), ["hidden 1", "hidden 2", "output"]);
  assert.match(layerVerdict(rows), /10000× smaller than the output's: vanishing/);
  assert.match(layerVerdict(layerRows([{ activation_std: 0, grad_norm: 0 }, { activation_std: 0.1, grad_norm: 0.2 }])), /symmetry/);
  assert.match(layerVerdict(layerRows([{ activation_std: 40, grad_norm: 1 }, { activation_std: 1, grad_norm: 1 }])), /exploding/);
  assert.match(layerVerdict(layerRows([{ activation_std: 0.6, grad_norm: 0.3 }, { activation_std: 0.4, grad_norm: 0.2 }])), /healthy/);
  assert.deepEqual(layerRows(null), []);
});

test("schedule: a flat line for constant, the server's curve otherwise; log axis for mixed rates", () => {
  assert.deepEqual(scheduleCurve({ lr: 0.1, state: { schedule: null } }, { lr: 0.5 }, 0), { steps: [0, 100], lr: [0.1, 0.1] });
  assert.deepEqual(scheduleCurve({ state: {} }, { lr: 0.5 }, 500).lr, [0.5, 0.5]);
  assert.equal(scheduleCurve({ state: {} }, { lr: 0.5 }, 500).steps[1], 600);
  const s = { steps: [0, 10, 20], lr: [0.01, 0.1, 0.1] };
  assert.equal(scheduleCurve({ lr: 0.1, state: { schedule: s } }, {}).lr, s.lr);
  assert.deepEqual(lastLr({ steps: [1, 2, 3], lrs: [0.1, 0.2, null] }), { step: 2, lr: 0.2 });
  assert.equal(lastLr({ steps: [], lrs: [] }), null);
  assert.equal(wantsLog([{ lr: [0.1] }, { lr: [0.001] }]), true);
  assert.equal(wantsLog([{ lr: [0.1] }, { lr: [0.1] }]), false);
});

test("racers are told apart by dash and marker too, and draw keys compare by value one level deep", () => {
  const styles = [0, 1, 2, 3].map((i) => racerStyle({}, i));
  assert.equal(new Set(styles.map((s) => JSON.stringify(s.dash))).size, 4);
  assert.equal(new Set(styles.map((s) => s.marker)).size, 4);
  assert.equal(racerStyle({ color: "#000" }, 0).color, "#000");
  const a = [1];
  assert.equal(sameKey([1, [a, 2]], [1, [a, 2]]), true);
  assert.equal(sameKey([1, [a, 2]], [1, [[1], 2]]), false, "lists inside compare by identity");
  assert.equal(sameKey([1], undefined), false);
});

test("a clip threshold to try, and decade labels as students write them", async () => {
  const { suggestClip } = await import("../../frontend/descent/clipchart.js");
  const { fmtDecade } = await import("../../frontend/render/logscale.js");
  assert.equal(suggestClip([{ gradNorms: [0.5, 3.2, 2.9] }, { gradNorms: [null, 100] }]), 3);
  assert.equal(suggestClip([{ gradNorms: [] }]), null);
  assert.deepEqual([1e-5, 1e-3, 0.01, 0.1, 1, 10, 1000, 1e4].map(fmtDecade), ["10⁻⁵", "10⁻³", "0.01", "0.1", "1", "10", "1000", "10⁴"]);
});

test("tab summaries say what each trick is set to", async () => {
  const { trickSummaries } = await import("../../frontend/descent/tricks.js");
  assert.deepEqual(trickSummaries({ model: "mlp", config: { schedule: "cosine", clip: 1.5, init: "large", weight_decay: 0.01 } }),
    { schedule: "cosine", clip: "at 1.5", init: "too large", decay: "λ 0.01" });
  assert.deepEqual(trickSummaries({ model: "neuron", config: { clip: 0 } }), { schedule: "constant", clip: "off", init: "—", decay: "off" });
  assert.deepEqual(logDomain([1e-18, 50], 2, 6), [1e-4, 100], "a converged run's tiny ‖g‖ sits on the floor");
});

test("the ‖g‖ axis keeps the threshold and most steps, not one blow-up", async () => {
  const { normDomain } = await import("../../frontend/descent/clipchart.js");
  const norms = [...Array.from({ length: 100 }, (_, i) => 0.2 + i * 0.001), 1e5, 1e-18];
  assert.deepEqual(normDomain(norms, 0.5, 6), [0.01, 1]);
  assert.deepEqual(normDomain(norms, 20, 6), [0.1, 100], "the threshold is always on the axis");
  assert.deepEqual(normDomain([], 0), [0.01, 1]);
});
