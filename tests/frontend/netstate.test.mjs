// The reducer with a network (`mlp`): field frames, per-layer stages that repeat names, gradients
// kept per layer, whole-set losses that are often null, test loss and accuracy, refused data.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { activeLayer, currentBatch, displayParams, initialState, reduce, traceAt, visibleTrace } from "../../frontend/state.js";

// hidden 3,2: three layers (0, 1, 2 = output), the plan of docs/protocol.md
const STAGES = ["input", "weights", "linear", "activation", "linear", "activation", "linear", "activation",
  "loss", "gradients", "gradients", "gradients", "update"];
const LAYERS = [0, 0, 0, 0, 1, 1, 2, 2, 0, 2, 1, 0, 0];

const layers = (w) => [
  { W: [[w, -0.2], [0.1, 0.3], [0.3, 0.2]], b: [0, 0, 0], activation: "tanh" },
  { W: [[0.05, 0.17, -0.06], [0.44, 0.33, 0.11]], b: [0, 0], activation: "tanh" },
  { W: [[-0.31, 0.28]], b: [0], activation: "sigmoid" },
];
const session = {
  type: "session", id: "K7QXP", model: "mlp", role: "owner", protocol: 1,
  config: { dataset: "xor", hidden: [3, 2], activation: "tanh", features: ["x1", "x2"] }, plan: STAGES.map((stage) => ({ stage })),
};
const dataset = {
  type: "dataset", x: [[1, 2], [-1, 3]], y: [0, 1], features: ["x₁", "x₂"], target: "class",
  task: "classification", classes: 2, inputs: ["x₁", "x₂"], test_x: [[0, 1]], test_y: [1],
};
const stateMsg = (over = {}) => ({
  type: "state", step: 0, params: { layers: layers(0.17) }, lr: 0.03, loss: 0.69, test_loss: 0.7,
  accuracy: { train: 0.5, test: 0.25 }, playing: false, cursor: null, curve: null, diverged: null, warning: null, ...over,
});
const stage = (step, index, values = {}, over = {}) => ({
  type: "stage", step, stage: STAGES[index], index, layer: LAYERS[index],
  direction: index >= 9 ? "backward" : "forward", values, params: { layers: layers(0.17) },
  formula: `${STAGES[index]} ${LAYERS[index]}`, caption: "", replay: false, ...over,
});
const field = (step) => ({
  type: "field", header: { type: "field", step, span: 6 },
  tensors: { output: { shape: [1, 1, 1], data: new Float32Array([0.5]) }, layer0: { shape: [1, 1, 3], data: new Float32Array(3) } },
});

const run = (...msgs) => msgs.reduce(reduce, initialState());

test("state carries the test loss and the accuracy", () => {
  const s = run(session, dataset, stateMsg());
  assert.equal(s.testLoss, 0.7);
  assert.deepEqual(s.accuracy, { train: 0.5, test: 0.25 });
  const r = reduce(s, stateMsg({ test_loss: null, accuracy: null }));
  assert.equal(r.testLoss, null);
  assert.equal(r.accuracy, null);
});

test("a field frame is kept whole and counted, so heatmaps redraw once per frame", () => {
  const s1 = run(session, dataset, stateMsg(), field(0));
  assert.equal(s1.fieldSeq, 1);
  assert.equal(s1.field.step, 0);
  assert.equal(s1.field.span, 6);
  assert.deepEqual(s1.field.tensors.output.shape, [1, 1, 1]);
  const s2 = reduce(s1, field(1));
  assert.equal(s2.fieldSeq, 2);
  assert.equal(s2.field.step, 1);
  assert.equal(s2.dataset, s1.dataset, "other slices keep their identity");
  assert.equal(reduce(s2, { type: "field", header: {} }), s2, "a field without tensors is ignored");
});

test("per-layer stages are kept by index: repeated names do not overwrite each other", () => {
  let s = run(session, dataset, stateMsg());
  for (let i = 0; i <= 6; i++) s = reduce(s, stage(0, i, { z: [[i]] }));
  assert.equal(s.stage.index, 6);
  assert.equal(s.stage.layer, 2);
  assert.equal(activeLayer(s), 2);
  assert.equal(traceAt(s, 2).layer, 0, "the first layer's linear stage is still there");
  assert.equal(traceAt(s, 4).layer, 1);
  assert.deepEqual(traceAt(s, 2).values.z, [[2]]);
  // By name, the latest one seen so far wins (what a name-keyed view like the neuron's expects).
  assert.equal(visibleTrace(s).linear.layer, 2);
  assert.equal(visibleTrace(s).activation.layer, 1);
});

test("stepping back to an earlier layer shows that layer, and hides what came after it", () => {
  let s = run(session, dataset, stateMsg());
  for (let i = 0; i <= 5; i++) s = reduce(s, stage(0, i));
  s = reduce(s, stage(0, 4, {}, { replay: true }));
  assert.equal(s.stage.stage, "linear");
  assert.equal(activeLayer(s), 1);
  assert.equal(visibleTrace(s).linear.layer, 1);
  assert.equal(visibleTrace(s).activation.layer, 0, "layer 1's activation comes after: hidden");
});

test("activeLayer is null for stages that are not per layer", () => {
  let s = run(session, dataset, stateMsg(), stage(0, 0, { x: [[1, 2]], y: [0] }));
  assert.equal(activeLayer(s), null);
  assert.deepEqual(currentBatch(s), { x: [[1, 2]], y: [0] });
  s = reduce(s, stage(0, 8, { loss: 0.6 }));
  assert.equal(activeLayer(s), null);
});

test("gradients are remembered per layer with their step, and cleared by new data or a reset", () => {
  let s = run(session, dataset, stateMsg());
  for (let i = 0; i <= 8; i++) s = reduce(s, stage(0, i));
  s = reduce(s, stage(0, 9, { grad_W: [[0.01, -0.02]], grad_b: [0.03], dz: [[0.1]] }));
  s = reduce(s, stage(0, 10, { grad_W: [[1, 2, 3], [4, 5, 6]], grad_b: [7, 8], dz: [[0.1, 0.2]] }));
  assert.deepEqual(s.grads[2], { step: 0, grad_W: [[0.01, -0.02]], grad_b: [0.03] });
  assert.deepEqual(s.grads[1].grad_b, [7, 8]);
  assert.equal(s.grads[0], undefined, "layer 0's gradients are not computed yet");
  // The update finishes the step; its params become the live ones; the gradients stay readable.
  const after = { layers: layers(0.5) };
  s = reduce(s, stage(0, 11, { grad_W: [[0, 0], [0, 0], [0, 0]], grad_b: [0, 0, 0] }));
  s = reduce(s, stage(0, 12, { layers: after.layers, lr: 0.03 }, { params: after }));
  assert.equal(s.step, 1);
  assert.deepEqual(displayParams(s), after);
  assert.equal(Object.keys(s.grads).length, 3);
  assert.deepEqual(reduce(s, dataset).grads, {});
  assert.deepEqual(reduce(s, stateMsg({ step: 0 })).grads, {});
});

test("null whole-set losses: networks keep only the evaluated steps, train and test side by side", () => {
  const s = run(session, dataset, stateMsg(), {
    type: "metrics", step: 5, loss: 0.6, train_loss: 0.61, test_loss: 0.64,
    steps: [1, 2, 3, 4, 5], losses: [0.7, 0.69, 0.68, 0.62, 0.6],
    train_losses: [0.68, null, null, null, 0.61], test_losses: [0.7, null, null, 0.66, 0.64],
  });
  assert.deepEqual(s.metrics.steps, [1, 4, 5]);
  assert.deepEqual(s.metrics.trainLosses, [0.68, null, 0.61]);
  assert.deepEqual(s.metrics.testLosses, [0.7, 0.66, 0.64]);
  assert.deepEqual(s.metrics.losses, [0.7, 0.62, 0.6]);
  assert.equal(s.step, 5);
  assert.equal(s.loss, 0.61);
});

test("a metrics message with nothing evaluated changes no list", () => {
  const s1 = run(session, dataset, stateMsg());
  const s2 = reduce(s1, { type: "metrics", step: 3, loss: 0.5, train_loss: null, test_loss: null,
    steps: [1, 2, 3], losses: [0.6, 0.55, 0.5], train_losses: [null, null, null], test_losses: [null, null, null] });
  assert.equal(s2.metrics, s1.metrics);
  assert.equal(s2.step, 3, "the step counter still moves");
});

test("without a test set (neuron), null losses stay in place as gaps", () => {
  const neuron = { ...dataset, test_x: null, test_y: null };
  const s = run(session, neuron, stateMsg(), { type: "metrics", step: 2, steps: [1, 2], losses: [0.5, 0.4], train_losses: [null, 0.3], test_losses: [null, null] });
  assert.deepEqual(s.metrics.trainLosses, [null, 0.3]);
  assert.deepEqual(s.metrics.testLosses, [null, null]);
});

test("a refused data upload is kept for the data panel until new data arrives", () => {
  let s = run(session, dataset, stateMsg());
  s = reduce(s, { type: "error", code: "bad_data", message: "Your data: line 3: 'oops' is not a number" });
  assert.equal(s.dataError, "Your data: line 3: 'oops' is not a number");
  assert.equal(s.diverged, null);
  s = reduce(s, { type: "error", code: "bad_message", message: "other" });
  assert.equal(s.dataError, "Your data: line 3: 'oops' is not a number", "other errors leave it");
  s = reduce(s, { ...dataset, x: [[0, 0], [1, 1], [2, 2], [3, 3]], y: [0, 1, 0, 1] });
  assert.equal(s.dataError, null);
});
