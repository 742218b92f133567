// One step count (issue 22 §4): the formula panel said "Step 0 · Update" while the top bar, after
// that update, said step 1. The stage message counts from 0 (docs/protocol.md); the panel counts as
// the bar does.
import "./served.mjs"; // answers the page's fetch of /api/schema (schema.js) with what the server serves
import { test } from "node:test";
import assert from "node:assert/strict";
import { stageHeading } from "../../frontend/views/formula.js";

test("the first step's update is step 1 in the panel, as in the top bar after it", () => {
  const update = { step: 0, stage: "update" };
  assert.equal(stageHeading(update, { title: "Update", subtitle: "w ← w − η·∂L/∂w" }), "Step 1 · Update: w ← w − η·∂L/∂w");
  const stepsDoneAfter = update.step + 1; // the state frame after an update: steps done
  assert.match(stageHeading(update, null), new RegExp(`^Step ${stepsDoneAfter} ·`));
});
