// The step's plan is served: state.js keeps the session's plan and a `plan` message replaces it;
// the ribbons, the formula titles and the lesson goal read their words from it; no frontend file
// keeps its own copy of the stage titles (issue 11).
import "./served.mjs"; // first: the page's schema, as the server serves it
import { servedPlans } from "./served.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initialState, planEntry, planOf, readPlan, reduce, stageNames } from "../../frontend/state.js";
import { boxSubtitle, entryText, planKey, ribbonBoxes } from "../../frontend/views/ribbon.js";
import { stageHeading } from "../../frontend/views/formula.js";
import { layout } from "../../frontend/views/pipeline.js";
import { goalText } from "../../frontend/lesson.js";

const TITLE = { input: "Input", weights: "Weights", linear: "Linear combination", activation: "Activation", loss: "Loss", gradients: "Gradients", update: "Update" };

// A network's plan as the server sends it (the engine builds it: tests/frontend/served.mjs), by hidden sizes.
const HIDDENS = [[4, 2], [3], []];
const SERVED = servedPlans("mlp", HIDDENS.map((hidden) => ({ hidden, activation: "tanh", dataset: "xor" })));
function netPlan(hidden) {
  return SERVED[HIDDENS.findIndex((h) => JSON.stringify(h) === JSON.stringify(hidden))];
}

const session = (plan) => ({
  type: "session", id: "K7QXP", model: "mlp", role: "owner", protocol: 1, config: { hidden: [4, 2] },
  plan,
});
const stage = (step, index, plan) => ({
  type: "stage", step, stage: plan[index].stage, index, layer: plan[index].layer, direction: plan[index].direction,
  values: {}, params: {}, formula: "f", caption: "", replay: false,
});

test("the session's plan is kept as served", () => {
  const plan = netPlan([4, 2]);
  const s = reduce(initialState(), session(plan));
  assert.deepEqual(planOf(s), plan);
  assert.deepEqual(stageNames(s), plan.map((e) => e.stage));
});

test("a plan message replaces the plan and the stages, and drops the stages on display", () => {
  const old = netPlan([4, 2]);
  let s = reduce(initialState(), session(old));
  s = reduce(s, stage(0, 4, old));
  assert.equal(planEntry(s, s.stage).title, "Linear combination · hidden layer 2");
  const plan = netPlan([3]);
  const next = reduce(s, { type: "plan", plan });
  assert.deepEqual(planOf(next), plan);
  assert.deepEqual(stageNames(next), plan.map((e) => e.stage));
  assert.equal(next.stage, null);
  assert.deepEqual(next.traces, {});
  assert.equal(next.session.id, "K7QXP", "the session is otherwise the same");
  // stepping again lights the new plan's entries
  const lit = reduce(next, stage(0, 6, plan));
  assert.equal(planEntry(lit, lit.stage).title, "Loss");
  // a plan before any session, or without a list, changes nothing
  assert.equal(reduce(initialState(), { type: "plan", plan }).session, null);
  assert.equal(reduce(next, { type: "plan" }), next);
});

test("a session without a plan has no stages: the server always sends one (session.stages is gone)", () => {
  assert.deepEqual(readPlan({ stages: ["input", "update"] }), []);
});

test("ribbon boxes follow the plan: a box per stage, pills for the per-layer ones, in run order", () => {
  for (const hidden of [[], [3], [4, 2]]) {
    const boxes = ribbonBoxes(netPlan(hidden));
    assert.deepEqual(boxes.map((b) => b.entries[0].stage_title), Object.values(TITLE));
    const by = Object.fromEntries(boxes.map((b) => [b.name, b]));
    const outs = [...hidden.map((_, k) => String(k + 1)), "out"];
    assert.deepEqual(by.linear.entries.map((e) => e.short), outs);
    assert.deepEqual(by.gradients.entries.map((e) => e.short), [...outs].reverse(), "backward: last layer first");
    assert.equal(by.loss.perLayer, false);
    assert.equal(boxSubtitle(by.activation), hidden.length ? "a = tanh(z) · a = σ(z)" : "a = σ(z)");
  }
  assert.notEqual(planKey(netPlan([4, 2])), planKey(netPlan([3])));
  assert.equal(entryText(netPlan([3])[2]), "Linear combination · hidden layer 1: z = W·a + b");
});

test("the formula panel's heading is the entry's title and subtitle", () => {
  const plan = netPlan([3]);
  const s = reduce(reduce(initialState(), session(plan)), stage(2, 3, plan));
  assert.equal(stageHeading(s.stage, planEntry(s, s.stage)), "Step 3 · Activation · hidden layer 1: a = tanh(z)");
  assert.equal(stageHeading({ step: 0, stage: "loss" }, null), "Step 1 · loss");
});

test("the pipeline lays out the plan by its directions", () => {
  const plan = netPlan([]).filter((e) => e.layer === 0);
  const { rects } = layout(plan, 1250);
  assert.ok(rects.gradients.y > rects.loss.y && rects.update.y === rects.gradients.y);
  assert.ok(rects.activation.x > rects.linear.x);
});

test("a lesson's goal names the stage by the plan's title", () => {
  assert.equal(goalText({ stage: "linear" }, netPlan([3])), "Reach the Linear combination stage");
  assert.equal(goalText({ stage: "linear" }), "Reach the linear stage");
});

test("no frontend file keeps its own copy of the stage titles", () => {
  const root = fileURLToPath(new URL("../../frontend", import.meta.url));
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".js") || p.endsWith(".html")) files.push(p);
    }
  };
  walk(root);
  // a stage title as a string literal, or a table of stage names to words ("linear: …")
  // (comments may mention them: only code lines count)
  const copies = /["'`](Linear|Linear combination|Activation|Gradients|Backward|Tokens|Embeddings)["'`]|\bgradients:\s*["'`(]/;
  const code = (f) => readFileSync(f, "utf8").split("\n").filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join("\n");
  const found = files.filter((f) => copies.test(code(f))).map((f) => f.slice(root.length + 1));
  assert.deepEqual(found, []);
});
