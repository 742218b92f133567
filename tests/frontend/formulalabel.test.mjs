import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";

import { batchSize } from "../../frontend/views/formula.js";

test("the loss stage's batch is its step's input stage's when it carries no x (a line's loss stage)", () => {
  const input = { stage: "input", step: 3, values: { x: [[1], [2], [3], [4]], y: [1, 2, 3, 4] } };
  const loss = { stage: "loss", step: 3, values: { loss: 2.5 } };
  const state = { traces: { 3: { 0: input, 3: loss } } };
  assert.equal(batchSize(state, loss), 4);
  assert.equal(batchSize(state, { ...input, values: { x: [[1]] } }), 1);  // its own x first
  assert.equal(batchSize({ traces: {} }, loss), null);  // unknown: said as "this step", not guessed
});
