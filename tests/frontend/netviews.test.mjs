// The Network page's pure logic: URL lists, the diagram's geometry and lighting, the ribbon's
// per-layer boxes, architecture edits, feature toggles, drawn points and CSV, colour scales.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitActivations, locationSearch, readLocation } from "../../frontend/config.js";
import { addPointMessage, datasetPoints, drawLabel, snap, toCsv } from "../../frontend/data.js";
import { BINARY_LUT, paintChannel, paintClasses, paintOutput, VALUE_LUT } from "../../frontend/render/fieldcolors.js";
import { edgePath, gradWidth, layout, netShape, weightWidth } from "../../frontend/render/netlayout.js";
import { commandMessage, commandsFor, keyCommand } from "../../frontend/views/controls.js";
import { activationList, architectureChange } from "../../frontend/views/neteditor.js";
import { toggleFeature } from "../../frontend/views/netdata.js";
import { lighting, stageValue } from "../../frontend/views/netgraph.js";
import { describe, paramOf, parseNumber } from "../../frontend/views/netinspect.js";
import { initialState, reduce } from "../../frontend/state.js";

test("network settings in the URL: comma lists, checked item by item", () => {
  const r = readLocation("/", "?model=mlp&dataset=xor&hidden=4,2&activation=relu,tanh&features=x1,x2,x1sq", null);
  assert.equal(r.model, "mlp");
  assert.deepEqual(r.config, { dataset: "xor", hidden: [4, 2], activation: ["relu", "tanh"], features: ["x1", "x2", "x1sq"] });
  assert.deepEqual(readLocation("/", "?model=mlp&hidden=", null).config, { hidden: [] });
  assert.deepEqual(readLocation("/", "?model=mlp&activation=gelu", null).config, { activation: "gelu" });
  const bad = readLocation("/", "?model=mlp&hidden=9,2&features=x3&activation=swish", null);
  assert.deepEqual(bad.config, {});
  assert.deepEqual(bad.ignored.sort(), ["activation", "features", "hidden"]);
  // An activation list that disagrees with hidden is fitted rather than refused by the server.
  assert.deepEqual(readLocation("/", "?model=mlp&hidden=3,3,3&activation=relu,tanh", null).config.activation, ["relu", "tanh", "tanh"]);
  assert.deepEqual(fitActivations("mlp", { activation: ["relu", "tanh"] }).activation, ["relu", "tanh"]);
  assert.equal(locationSearch("mlp", { hidden: [4, 2], dataset: "xor", lr: 0.1 }), "?model=mlp&hidden=4,2&dataset=xor&lr=0.1");
  assert.equal(locationSearch("mlp", { dataset: "custom" }), "?model=mlp", "your own points cannot travel in a URL");
});

test("E is one epoch, offered on the Network page", () => {
  assert.equal(keyCommand({ key: "e" }), "epoch");
  assert.equal(keyCommand({ key: "E" }), "epoch");
  assert.deepEqual(commandMessage("epoch", false), { type: "step", unit: "epoch", count: 1 });
  assert.ok(commandsFor("mlp").includes("epoch"));
  assert.ok(!commandsFor("neuron").includes("epoch"));
  // a sample: one SGD step on a single example, whatever the batch size
  assert.equal(keyCommand({ key: "a" }), "sample");
  assert.deepEqual(commandMessage("sample", false), { type: "step", unit: "sample", count: 1 });
  assert.ok(commandsFor("mlp").includes("sample") && !commandsFor("line").includes("sample"));
});


test("layout: columns left to right, units centred, everything inside the box", () => {
  const lay = layout(2, [4, 2, 1], 560, 300, 70);
  assert.equal(lay.cols.length, 4);
  assert.deepEqual(lay.cols.map((c) => c.layer), [-1, 0, 1, 2]);
  assert.deepEqual(lay.cols.map((c) => c.nodes.length), [2, 4, 2, 1]);
  for (let c = 1; c < 4; c++) assert.ok(lay.cols[c].x > lay.cols[c - 1].x);
  for (const col of lay.cols) {
    for (const n of col.nodes) {
      assert.ok(n.x - lay.node / 2 >= 0 && n.x + lay.node / 2 <= 560);
      assert.ok(n.y - lay.node / 2 >= 70 && n.y + lay.node / 2 <= 300, `node at ${n.y}`);
    }
  }
  assert.ok(lay.labels, "room for a number under each node");
  const mid = (col) => (col.nodes[0].y + col.nodes[col.nodes.length - 1].y) / 2;
  assert.ok(Math.abs(mid(lay.cols[1]) - mid(lay.cols[3])) < 1e-9, "columns share a centre line");
  const deep = layout(7, [8, 8, 8, 8, 8, 8, 1], 560, 300, 70);
  assert.ok(deep.node >= 20 && !deep.labels, "8 units: small nodes, numbers in the card instead");
  assert.match(edgePath({ x: 10, y: 20 }, { x: 110, y: 60 }, 20), /^M 20\.0 20\.0 C .* 100\.0 60\.0$/);
});

test("edge widths: ∝ |w| (bounded), gradients ∝ |g| relative to the layer's largest", () => {
  assert.ok(weightWidth(0.5) > weightWidth(0.1));
  assert.equal(weightWidth(-0.5), weightWidth(0.5));
  assert.ok(weightWidth(1e9) <= 9 && weightWidth(0) > 0);
  assert.ok(gradWidth(-0.2, 0.2) > gradWidth(0.05, 0.2));
  assert.equal(gradWidth(null, 1), 0);
});

test("netShape reads the structure from the parameters and names from the dataset", () => {
  const params = { layers: [{ W: [[1, 2], [3, 4], [5, 6]], b: [0, 0, 0], activation: "tanh" }, { W: [[1, 1, 1]], b: [0], activation: "sigmoid" }] };
  assert.deepEqual(netShape(params, { inputs: ["x₁", "x₂"] }), { inputs: ["x₁", "x₂"], sizes: [3, 1], activations: ["tanh", "sigmoid"] });
  assert.deepEqual(netShape(params, { inputs: ["x₁"] }).inputs, ["in 1", "in 2"], "a stale dataset's names are not trusted");
  assert.equal(netShape(null, null), null);
});

test("lighting: which layer a stage lights, which value its nodes show", () => {
  const K = 3;
  assert.deepEqual([...lighting({ stage: "input", layer: 0 }, K).nodes], [-1]);
  const lin = lighting({ stage: "linear", layer: 1 }, K);
  assert.deepEqual([...lin.nodes], [1]);
  assert.deepEqual([...lin.edges], [1]);
  assert.deepEqual(lin.values, { layer: 1, key: "z" });
  assert.deepEqual(lighting({ stage: "activation", layer: 0 }, K).values, { layer: 0, key: "a" });
  assert.deepEqual([...lighting({ stage: "loss", layer: 0 }, K).nodes], [2]);
  const g = lighting({ stage: "gradients", layer: 2 }, K);
  assert.equal(g.grads, 2);
  assert.ok(lighting({ stage: "update", layer: 0 }, K).all);
  assert.equal(lighting(null, K).values, null);
  assert.equal(stageValue({ z: [[0.5, -1], [2, 3]] }, "z", 1), -1, "sample 1 of the batch");
  assert.equal(stageValue({ grad_b: [0.1, 0.2] }, "grad_b", 1), 0.2);
  assert.equal(stageValue({}, "a", 0), null);
});

test("architecture edits: layers, units and activations stay consistent", () => {
  const cfg = { hidden: [4, 2], activation: "tanh" };
  assert.deepEqual(activationList(cfg), ["tanh", "tanh"]);
  assert.deepEqual(architectureChange(cfg, { kind: "layers", delta: 1 }), { hidden: [4, 2, 2], activation: "tanh" });
  assert.deepEqual(architectureChange(cfg, { kind: "layers", delta: -1 }), { hidden: [4], activation: "tanh" });
  assert.deepEqual(architectureChange({ hidden: [], activation: "relu" }, { kind: "layers", delta: -1 }), null);
  assert.deepEqual(architectureChange({ hidden: [4], activation: "relu" }, { kind: "layers", delta: -1 }), { hidden: [], activation: "relu" });
  assert.equal(architectureChange({ hidden: [1, 1, 1, 1, 1, 1] }, { kind: "layers", delta: 1 }), null);
  assert.deepEqual(architectureChange(cfg, { kind: "units", layer: 1, delta: 1 }), { hidden: [4, 3], activation: "tanh" });
  assert.equal(architectureChange({ hidden: [8] }, { kind: "units", layer: 0, delta: 1 }), null);
  assert.equal(architectureChange({ hidden: [1] }, { kind: "units", layer: 0, delta: -1 }), null);
  assert.deepEqual(architectureChange(cfg, { kind: "activation", layer: 0, value: "relu" }), { hidden: [4, 2], activation: ["relu", "tanh"] });
  const mixed = { hidden: [4, 2], activation: ["relu", "tanh"] };
  assert.deepEqual(architectureChange(mixed, { kind: "layers", delta: 1 }), { hidden: [4, 2, 2], activation: ["relu", "tanh", "tanh"] });
});

test("features toggle in a fixed order, and the last one cannot go", () => {
  assert.deepEqual(toggleFeature(["x1", "x2"], "x1sq"), ["x1", "x2", "x1sq"]);
  assert.deepEqual(toggleFeature(["sin_x1", "x1"], "x2"), ["x1", "x2", "sin_x1"]);
  assert.deepEqual(toggleFeature(["x1", "x2"], "x1"), ["x2"]);
  assert.equal(toggleFeature(["x2"], "x2"), null);
});

test("drawn points: every current point plus the new one, on the plane, rounded", () => {
  const ds = { x: [[1, 2], [3, 4]], y: [0, 1], test_x: [[-1, -2]], test_y: [1] };
  assert.deepEqual(datasetPoints(ds), [[1, 2, 0], [3, 4, 1], [-1, -2, 1]]);
  const msg = addPointMessage(ds, 2.34567, -9, 2);
  assert.equal(msg.type, "data");
  assert.equal(msg.points.length, 4);
  assert.deepEqual(msg.points[3], [2.35, -6, 2]);
  assert.equal(snap(6.2), 6);
  assert.equal(drawLabel("classification", { cls: 2, value: 0.5 }), 2);
  assert.equal(drawLabel("regression", { cls: 2, value: -0.75 }), -0.75);
  assert.equal(toCsv([[1, 2, 0], [-0.5, 3.25, 1]]), "x1,x2,label\n1,2,0\n-0.5,3.25,1\n");
});

test("colour scales: white at zero, the class colours at the ends, NaN never coloured", () => {
  const px = (lut, v, lo = -1, hi = 1) => [...paintChannel(new Uint8ClampedArray(4), { shape: [1, 1, 1], data: [v] }, 0, lut, lo, hi)];
  assert.deepEqual(px(VALUE_LUT, 0).slice(0, 3).map((c) => c > 250), [true, true, true]);
  const pos = px(VALUE_LUT, 1);
  const neg = px(VALUE_LUT, -1);
  assert.ok(pos[2] > pos[0], "positive is blue");
  assert.ok(neg[0] > neg[2], "negative is orange");
  assert.deepEqual(px(VALUE_LUT, NaN).slice(0, 3).map((c) => c > 250), [true, true, true]);
  const p1 = px(BINARY_LUT, 1, 0, 1);
  assert.ok(p1[0] > p1[2], "p(class 1) = 1 is orange, class 1's colour");
  const three = paintClasses(new Uint8ClampedArray(8), { shape: [1, 2, 3], data: [1, 0, 0, 1 / 3, 1 / 3, 1 / 3] });
  assert.ok(three[2] > three[0], "sure of class 0: blue");
  assert.deepEqual([...three.slice(4, 7)], [255, 255, 255], "unsure between three: white");
  const out = paintOutput(new Uint8ClampedArray(4), { shape: [1, 1, 1], data: [2] }, "regression", 2);
  assert.ok(out[2] > out[0], "ŷ at the top of the range is blue");
});

test("the card for a weight: value, latest gradient, and the engine's lines for its last update", () => {
  const params = { layers: [{ W: [[0.5, -0.25]], b: [0.1], activation: "sigmoid" }] };
  const st = { ...initialState(), params, lr: 0.1, grads: { 0: { step: 4, grad_W: [[0.2, -0.4]], grad_b: [0.05] } } };
  const d = describe(st, { kind: "edge", k: 0, i: 0, j: 1 }, ["x₁", "x₂"]);
  assert.equal(d.title, "Weight W₁[1, 2]");
  assert.match(d.sub, /from x₂ to unit 1 of the output layer/);
  assert.deepEqual(d.rows[0], ["w", "−0.25"]);
  // this step's ∂L/∂w and the update's g (an older step's) each say which step they are
  assert.match(d.rows[1][1], /^−0\.4 {2}\(step 4, newest\)$/);
  assert.equal(d.formula, null, "no explain reply yet: no update line (the page does not work one out)");
  assert.deepEqual(d.edit, { name: "W0", index: [0, 1], value: -0.25, sym: "w" });
  assert.deepEqual(paramOf({ kind: "edge", k: 0, i: 0, j: 1 }), { name: "W0", index: [0, 1] });
  assert.deepEqual(paramOf({ kind: "node", layer: 0, unit: 0 }), { name: "b0", index: [0] });
  assert.equal(paramOf({ kind: "node", layer: -1, unit: 0 }), null, "an input is no parameter");
  // The engine's explain reply for this weight: its lines are the card's formula, as they are.
  const lines = ["g = −0.4, step t = 4", "m ← β₁m + (1−β₁)g = −0.1,  v ← …", "w ← w − η·m̂/(√v̂ + ε) = −0.24 − 0.1·(−0.3)/0.2 = −0.25"];
  const ex = { type: "explain", step: 4, name: "W0", index: [0, 1], optimizer: "adam", rule: "…", lines, values: { g: -0.4 } };
  const withEx = reduce(st, ex);
  assert.deepEqual(describe(withEx, { kind: "edge", k: 0, i: 0, j: 1 }, []).formula, ["last update (step 4, adam): g is step 4's gradient", ...lines]);
  assert.equal(describe(withEx, { kind: "edge", k: 0, i: 0, j: 0 }, []).formula, null, "another weight's reply is not this one's");
  assert.equal(describe(withEx, { kind: "node", layer: 0, unit: 0 }, []).formula, null);
  const noneYet = reduce(st, { ...ex, lines: ["no update yet: take a step"], values: {} });
  assert.equal(describe(noneYet, { kind: "edge", k: 0, i: 0, j: 1 }, []).formula, null);
  const b = describe(st, { kind: "node", layer: 0, unit: 0 }, ["x₁", "x₂"]);
  assert.deepEqual(b.edit, { name: "b0", index: [0], value: 0.1, sym: "b" });
  const none = describe({ ...st, grads: {} }, { kind: "edge", k: 0, i: 0, j: 0 }, []);
  assert.equal(none.formula, null);
  assert.match(none.rows[1][1], /Gradients stage/);
  assert.equal(parseNumber("−1.5"), -1.5);
  assert.equal(parseNumber("0,25"), 0.25);
  assert.equal(parseNumber("abc"), null);
  assert.equal(parseNumber(""), null);
});
