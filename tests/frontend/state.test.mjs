// The reducer is the UI's only logic that decides what is on screen; these pin it down message
// by message, with the shapes of docs/protocol.md.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  METRICS_CAP,
  currentBatch,
  displayParams,
  initialState,
  isViewer,
  reduce,
  stageNames,
  visibleTrace,
} from "../../frontend/state.js";

const STAGES = ["input", "weights", "linear", "activation", "loss", "gradients", "update"];

const session = (role = "owner") => ({
  type: "session", id: "K7QXP", model: "neuron", role, protocol: 1,
  config: { features: 1, dataset: "pass_fail", lr: 0.5, batch_size: 1, seed: 0 }, plan: STAGES.map((stage) => ({ stage })),
});
const dataset = { type: "dataset", x: [[2.5], [7.0]], y: [0, 1], features: ["hours studied"], target: "passed", task: "classification" };
const stateMsg = (over = {}) => ({
  type: "state", step: 0, params: { w: [0.1], b: 0 }, lr: 0.5, loss: 0.69, playing: false,
  cursor: null, curve: null, diverged: null, ...over,
});
const stage = (step, name, over = {}) => ({
  type: "stage", step, stage: name, index: STAGES.indexOf(name), layer: 0,
  direction: name === "gradients" || name === "update" ? "backward" : "forward",
  values: {}, params: { w: [0.1], b: 0 }, formula: `${name} formula`, caption: "", replay: false, ...over,
});
const metrics = (steps, train) => ({
  type: "metrics", step: steps.at(-1), loss: train.at(-1), train_loss: train.at(-1),
  steps, losses: train, train_losses: train,
});

function run(...msgs) {
  return msgs.reduce(reduce, initialState());
}

test("session, dataset and state fill the snapshot", () => {
  const s = run(session(), dataset, stateMsg({ step: 3, loss: 0.5, params: { w: [0.9], b: -4.2 } }));
  assert.equal(s.session.id, "K7QXP");
  assert.equal(s.session.role, "owner");
  assert.deepEqual(stageNames(s), STAGES);
  assert.equal(s.dataset.target, "passed");
  assert.equal(s.step, 3);
  assert.equal(s.loss, 0.5);
  assert.deepEqual(s.params, { w: [0.9], b: -4.2 });
  assert.equal(isViewer(s), false);
  assert.equal(s.stage, null);
});

test("a new session message starts from a clean slate", () => {
  const s1 = run(session(), dataset, stateMsg(), metrics([1, 2], [0.6, 0.5]), stage(2, "input"));
  const s2 = reduce(s1, { ...session(), id: "ABCDE" });
  assert.equal(s2.session.id, "ABCDE");
  assert.equal(s2.metrics.steps.length, 0);
  assert.equal(s2.stage, null);
  assert.equal(s2.dataset, null);
});

test("viewer role is recognised", () => {
  const s = run(session("viewer"), dataset, stateMsg());
  assert.equal(isViewer(s), true);
  assert.equal(s.session.role, "viewer");
  // Anything other than "viewer" must not grant fewer rights by accident, nor more.
  assert.equal(isViewer(run(session("owner"))), false);
});

test("a stage message is displayed and its params drive the plots", () => {
  const p = { w: [0.8], b: -0.1 };
  const s = run(session(), dataset, stateMsg(), stage(0, "input", { values: { x: [[1.5]], y: [1] } }), stage(0, "weights", { params: p }));
  assert.equal(s.stage.stage, "weights");
  assert.equal(s.stageSeq, 2);
  assert.deepEqual(displayParams(s), p);
  assert.deepEqual(currentBatch(s), { x: [[1.5]], y: [1] });
  assert.deepEqual(Object.keys(visibleTrace(s)).sort(), ["input", "weights"]);
});

test("going back hides the later stages of that step", () => {
  const s = run(session(), stateMsg(), stage(0, "input"), stage(0, "weights"), stage(0, "linear"),
    stage(0, "weights", { replay: true }));
  assert.equal(s.stage.stage, "weights");
  assert.equal(s.stage.replay, true);
  assert.deepEqual(Object.keys(visibleTrace(s)).sort(), ["input", "weights"]);
});

test("an update stage finishes the step: counter and params move, downhill arrow recorded", () => {
  const oldP = { w: [0.1], b: 0 };
  const newP = { w: [0.4], b: -0.2 };
  let s = run(session(), stateMsg({ params: oldP }));
  for (const name of STAGES.slice(0, -1)) s = reduce(s, stage(0, name, { params: oldP }));
  assert.equal(s.step, 0);
  s = reduce(s, stage(0, "update", { params: newP, values: { w: [0.4], b: -0.2, lr: 0.5 } }));
  assert.equal(s.step, 1);
  assert.deepEqual(s.params, newP);
  assert.deepEqual(s.move, { from: oldP, to: newP, step: 1 });
  // A replayed update is history, not progress.
  const again = reduce(s, stage(0, "update", { params: newP, replay: true }));
  assert.equal(again.step, 1);
});

test("a state whose cursor moved past the displayed stage clears it", () => {
  let s = run(session(), stateMsg(), stage(0, "linear"));
  s = reduce(s, stateMsg({ step: 0, cursor: { step: 0, index: 2, stage: "linear", live: true } }));
  assert.equal(s.stage?.stage, "linear", "same cursor keeps the stage");
  s = reduce(s, stateMsg({ step: 5, params: { w: [1], b: 0 }, cursor: { step: 4, index: 6, stage: "update", live: true } }));
  assert.equal(s.stage, null);
  assert.deepEqual(displayParams(s), { w: [1], b: 0 });
  assert.equal(currentBatch(s), null);
});

test("metrics accumulate in order across messages", () => {
  const s = run(session(), stateMsg(), metrics([1, 2], [0.6, 0.5]), metrics([3], [0.45]));
  assert.deepEqual(s.metrics.steps, [1, 2, 3]);
  assert.deepEqual(s.metrics.trainLosses, [0.6, 0.5, 0.45]);
  assert.equal(s.step, 3);
  assert.equal(s.loss, 0.45);
});

test("metrics keep only the newest METRICS_CAP points", () => {
  let s = run(session(), stateMsg());
  const n = METRICS_CAP + 1234;
  for (let start = 1; start <= n; start += 1000) {
    const steps = [];
    for (let k = start; k < Math.min(start + 1000, n + 1); k++) steps.push(k);
    s = reduce(s, metrics(steps, steps.map((k) => 1 / k)));
  }
  assert.equal(s.metrics.steps.length, METRICS_CAP);
  assert.equal(s.metrics.trainLosses.length, METRICS_CAP);
  assert.equal(s.metrics.steps[0], n - METRICS_CAP + 1);
  assert.equal(s.metrics.steps.at(-1), n);
});

test("reset (dataset + state at step 0) clears the loss chart and the stage", () => {
  let s = run(session(), dataset, stateMsg(), metrics([1, 2, 3], [0.6, 0.5, 0.4]), stage(3, "linear"));
  assert.equal(s.metrics.steps.length, 3);
  s = reduce(s, dataset);
  s = reduce(s, stateMsg({ step: 0 }));
  assert.equal(s.metrics.steps.length, 0);
  assert.equal(s.stage, null);
  assert.equal(s.step, 0);
  assert.equal(s.move, null);
});

test("non-numbers in metrics are kept as gaps, never as NaN", () => {
  const s = run(session(), stateMsg(), { type: "metrics", step: 2, steps: [1, 2], losses: [0.5, null], train_losses: [0.4, null] });
  assert.deepEqual(s.metrics.trainLosses, [0.4, null]);
});

test("error: diverged raises the banner, others only a toast; reset clears it", () => {
  let s = run(session(), stateMsg());
  s = reduce(s, { type: "error", code: "bad_message", message: "count must be ≤ 10000" });
  assert.equal(s.diverged, null);
  assert.equal(s.error.code, "bad_message");
  assert.equal(s.error.seq, 1);
  s = reduce(s, { type: "error", code: "diverged", message: "loss is inf" });
  assert.equal(s.diverged, "loss is inf");
  assert.equal(s.error.seq, 2);
  s = reduce(s, stateMsg({ step: 0, diverged: null }));
  assert.equal(s.diverged, null);
});

test("state.diverged alone also raises the banner", () => {
  const s = run(session(), stateMsg({ step: 4, loss: null, diverged: "The loss became inf." }));
  assert.equal(s.diverged, "The loss became inf.");
  assert.equal(s.loss, null);
});

test("a stage pauses; play state follows the server", () => {
  let s = run(session(), stateMsg({ playing: true }));
  assert.equal(s.playing, true);
  s = reduce(s, stage(0, "input"));
  assert.equal(s.playing, false);
});

test("unknown and malformed messages leave the state untouched", () => {
  const s = run(session(), stateMsg());
  assert.equal(reduce(s, { type: "nonsense" }), s);
  assert.equal(reduce(s, null), s);
  assert.equal(reduce(s, "text"), s);
});

test("local messages: connection status and configured settings", () => {
  let s = run(session());
  s = reduce(s, { type: "_conn", status: "open" });
  assert.equal(s.conn, "open");
  s = reduce(s, { type: "_configured", config: { lr: 0.1 } });
  assert.equal(s.session.config.lr, 0.1);
  assert.equal(s.session.config.dataset, "pass_fail");
});

test("the loss at step 0 is kept as the chart's starting point, also after a reset", () => {
  let s = run(session(), stateMsg({ step: 0, loss: 0.69 }));
  assert.equal(s.startLoss, 0.69);
  s = reduce(s, metrics([1], [0.5]));
  s = reduce(s, stateMsg({ step: 1, loss: 0.5 }));
  assert.equal(s.startLoss, 0.69, "later states do not move the start");
  s = reduce(s, stateMsg({ step: 0, loss: 0.7 }));
  assert.equal(s.startLoss, 0.7);
});

test("after an undo the room's whole history replaces the chart (issue 17 §3: not one dot)", () => {
  let s = reduce(reduce(reduce(initialState(), session("viewer")), dataset), stateMsg());
  const m = (steps, replace) => ({ type: "metrics", step: steps.at(-1), loss: 1, train_loss: 1, test_loss: null,
    steps, losses: steps.map((x) => 1 / x), train_losses: steps.map((x) => 1 / x), test_losses: steps.map(() => null), ...(replace ? { replace } : {}) });
  s = reduce(s, m([1, 2, 3, 4], false));
  s = reduce(s, stateMsg({ step: 0 })); // a reset: the chart empties
  assert.deepEqual(s.metrics.steps, []);
  s = reduce(s, m([1, 2, 3, 4], true)); // undo: the run comes back with its history
  s = reduce(s, stateMsg({ step: 4, undo: null }));
  assert.deepEqual(s.metrics.steps, [1, 2, 3, 4]);
  s = reduce(s, m([1, 2], true)); // a second undo, further back: replaced, not appended
  assert.deepEqual(s.metrics.steps, [1, 2]);
});
