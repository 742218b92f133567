// The top bar's loss says which loss it is (issue 22 §4): the Transformer's is its training text's,
// measured at a step the engine names, so "4.555" standing still while the batch loss falls reads as
// what it is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { lossLabel } from "../../frontend/views/status.js";

test("a small model's loss is the whole set's, after every step", () => {
  const { label, title } = lossLabel({ step: 5, loss: 0.61, gpt: undefined });
  assert.equal(label, "loss");
  assert.match(title, /whole training set/);
});

test("the Transformer's loss names its text and the step it was measured at", () => {
  const now = lossLabel({ step: 0, gpt: { info: { eval_step: 0 } } });
  assert.equal(now.label, "text loss");
  const later = lossLabel({ step: 57, gpt: { info: { eval_step: 0 } } });
  assert.equal(later.label, "text loss (step 0)");
  assert.match(later.title, /measured at step 0/);
  assert.match(later.title, /batch loss/);
});
