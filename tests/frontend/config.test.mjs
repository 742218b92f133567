import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { configureMessage, modelSchema, readLocation, resolveProp } from "../../frontend/config.js";
import { commandMessage, keyCommand } from "../../frontend/views/controls.js";
import { layout, movesForward } from "../../frontend/views/pipeline.js";
import { interpolate } from "../../frontend/views/curve.js";

test("URL settings are typed from the schema; unknown keys are reported, not sent", () => {
  const r = readLocation("/", "?model=line&lr=0.05&seed=3&bias=true&colour=red", null);
  assert.equal(r.model, "line");
  assert.deepEqual(r.config, { lr: 0.05, seed: 3, bias: true });
  assert.deepEqual(r.ignored, ["colour"]);
  assert.equal(r.room, null);
});

test("bad numbers are ignored; the default model is neuron", () => {
  const r = readLocation("/", "?lr=fast&batch_size=2.5", null);
  assert.equal(r.model, "neuron");
  assert.deepEqual(r.config, {});
  assert.deepEqual(r.ignored.sort(), ["batch_size", "lr"]);
});

test("neuron datasets bring their feature count", () => {
  assert.deepEqual(readLocation("/", "?dataset=and", null).config, { dataset: "and", features: 2 });
  assert.deepEqual(readLocation("/", "?dataset=pass_fail", null).config, { dataset: "pass_fail", features: 1 });
  assert.deepEqual(configureMessage("neuron", "dataset", "blobs"), { type: "configure", config: { dataset: "blobs", features: 2 } });
  assert.deepEqual(configureMessage("line", "dataset", "offset"), { type: "configure", config: { dataset: "offset" } });
  assert.deepEqual(configureMessage("neuron", "lr", 0.1), { type: "configure", config: { lr: 0.1 } });
});

test("room links", () => {
  assert.equal(readLocation("/room/k7qxp", "", null).room, "K7QXP");
  assert.equal(readLocation("/", "?room=AB2CD", null).room, "AB2CD");
});

test("the server's schema wins over the built-in one, pydantic anyOf/$ref folded", () => {
  const reply = {
    models: {
      neuron: {
        $defs: { DS: { enum: ["pass_fail", "xor"], type: "string" } },
        properties: {
          lr: { anyOf: [{ type: "number", exclusiveMinimum: 0 }, { type: "null" }], default: 0.5 },
          dataset: { $ref: "#/$defs/DS", default: "pass_fail" },
        },
      },
    },
  };
  const neuron = reply.models.neuron;
  const p = Object.fromEntries(Object.entries(neuron.properties).map(([k, v]) => [k, resolveProp(v, neuron)]));
  assert.equal(p.lr.type, "number");
  assert.deepEqual(p.dataset.enum, ["pass_fail", "xor"]);
  assert.ok(modelSchema("line").properties.bias, "the served schema has the line's bias");
  assert.deepEqual(resolveProp({ const: "x" }).enum, ["x"]);
});

test("keys map to commands; modified keys are left to the browser", () => {
  assert.equal(keyCommand({ key: "ArrowRight" }), "stage");
  assert.equal(keyCommand({ key: "n" }), "stage");
  assert.equal(keyCommand({ key: "ArrowLeft" }), "back");
  assert.equal(keyCommand({ key: "S" }), "step");
  assert.equal(keyCommand({ key: " " }), "play");
  assert.equal(keyCommand({ key: "r" }), "reset");
  assert.equal(keyCommand({ key: "r", ctrlKey: true }), null);
  assert.equal(keyCommand({ key: "x" }), null);
  assert.deepEqual(commandMessage("step", false), { type: "step", unit: "step", count: 1 });
  assert.deepEqual(commandMessage("stage", false), { type: "step", unit: "stage" });
  assert.deepEqual(commandMessage("back", false), { type: "back" });
  assert.deepEqual(commandMessage("play", false), { type: "play" });
  assert.deepEqual(commandMessage("play", true), { type: "pause" });
});

test("pipeline layout: forward on top left→right, backward underneath right→left", () => {
  const names = ["input", "weights", "linear", "activation", "loss", "gradients", "update"];
  const plan = names.map((stage, i) => ({ stage, direction: i >= 5 ? "backward" : "forward" }));  // as served
  const { rects } = layout(plan, 1250);
  for (let i = 1; i < 5; i++) assert.ok(rects[names[i]].x > rects[names[i - 1]].x);
  assert.ok(rects.gradients.y > rects.loss.y);
  assert.ok(rects.update.x < rects.gradients.x);
  assert.equal(rects.update.x, rects.weights.x);
  assert.ok(rects.loss.x + rects.loss.w <= 1250);
});

test("pipeline layout in one row (a 1024 px projector): the backward stages follow Loss, only if the words fit", () => {
  const names = ["input", "weights", "linear", "activation", "loss", "gradients", "update"];
  const plan = names.map((stage, i) => ({ stage, direction: i >= 5 ? "backward" : "forward" }));
  const one = layout(plan, 996, 80, 120, { rows: 1, colGap: 14, minWords: 110 });
  assert.equal(one.rows, 1);
  for (let i = 1; i < names.length; i++) assert.ok(rects(one)[names[i]].x > rects(one)[names[i - 1]].x);
  assert.ok(names.every((n) => rects(one)[n].y === 8 && rects(one)[n].w >= 110));
  assert.ok(rects(one).update.x + rects(one).update.w <= 996);
  assert.ok(one.height < 80 + 40, `one row of boxes and the arc under it: ${one.height}`);
  assert.equal(layout(plan, 1250, 80).rows, 2, "two rows unless asked");
  // Words that need 140 px a box don't fit 7 across 996 px: two rows instead of a loop that scrolls.
  const two = layout(plan, 996, 80, 140, { rows: 1, colGap: 14, minWords: 140 });
  assert.equal(two.rows, 2);
  assert.ok(rects(two).gradients.y > rects(two).loss.y);
});

const rects = (l) => l.rects;

test("the dot animates only along the loop", () => {
  const s = (step, index) => ({ step, index });
  assert.equal(movesForward(null, s(0, 0), 7), true);
  assert.equal(movesForward(s(0, 1), s(0, 2), 7), true);
  assert.equal(movesForward(s(0, 2), s(0, 1), 7), false);
  assert.equal(movesForward(s(0, 6), s(1, 0), 7), true);
  assert.equal(movesForward(s(0, 3), s(1, 0), 7), false);
});

test("curve interpolation", () => {
  assert.equal(interpolate([0, 1, 2], [0, 10, 40], 1.5), 25);
  assert.equal(interpolate([0, 1, 2], [0, 10, 40], 3), null);
  assert.equal(interpolate([0, 1, 2], [0, 10, 40], NaN), null);
});
