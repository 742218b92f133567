// TF Playground's epoch counter (issue 22 §5): the engine counts the passes over the training set
// (samples seen ÷ its size) and the page says it beside the steps.
import "./served.mjs"; // answers the page's fetch of /api/schema (schema.js) with what the server serves
import { test } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce } from "../../frontend/state.js";
import { restHeading } from "../../frontend/views/formula.js";

test("the heading between stages says the engine's epoch count", () => {
  const s = reduce(initialState(), { type: "state", step: 40, params: {}, lr: 0.1, loss: 0.5, epoch: 2.6667, playing: false });
  assert.equal(s.epoch, 2.6667);
  assert.equal(restHeading(s), "After 40 steps · epoch 2.67");
});

test("no count from the engine: no epoch shown (never a made-up 0)", () => {
  const s = reduce(initialState(), { type: "state", step: 1, params: {}, lr: 0.1, loss: 0.5, playing: false });
  assert.equal(restHeading(s), "After 1 step");
});
