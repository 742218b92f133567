// The Scale lesson's curve (frontend/scale/why.js), laid out from the engine's own answer for Llama
// 3.1 405B and for the Transformer page's GPT: log–log axes, ticks that read as people write them,
// the memory floor and this run's GPU count among the points.
import { servedScale } from "./served.mjs"; // first: the page's schema, as the server serves it
import assert from "node:assert/strict";
import { test } from "node:test";

import { curveLayout, dayTick, gpuLabel, secondTick } from "../../frontend/scale/why.js";

const big = servedScale({ preset: "llama-3.1-405b" }).why;
const small = servedScale({ preset: "transformer" }).why;

test("405B: a straight falling line on log-log axes, in days, the run and the memory floor marked", () => {
  const L = curveLayout(big.curve, 800, 400, big.n_gpus);
  assert.equal(L.unit, "days");
  assert.equal(L.points.length, big.curve.length);
  // days ∝ 1/GPUs: equal steps in log GPUs are equal steps down (a straight line)
  const slope = (a, b) => (b.y - a.y) / (b.x - a.x);
  const s0 = slope(L.points[0], L.points[1]);
  for (let i = 1; i + 1 < L.points.length; i++) assert.ok(Math.abs(slope(L.points[i], L.points[i + 1]) - s0) < 1e-6);
  assert.ok(s0 > 0, "falls to the right (y grows downwards)");
  assert.equal(L.run.gpus, 16384);
  assert.equal(L.floor.gpus, big.memory_gpus);
  for (const p of L.points) assert.ok(p.x >= L.box.left - 1e-9 && p.x <= L.box.right + 1e-9 && p.y >= L.box.top - 1e-9 && p.y <= L.box.bottom + 1e-9);
  // ticks at powers of two, at least 64 px apart, labelled as people write counts
  assert.ok(L.xTicks.every((t, i) => i === 0 || t.x - L.xTicks[i - 1].x >= 40));
  assert.ok(L.xTicks.some((t) => t.label === "1,024") || L.xTicks.some((t) => t.label === "4,096"));
  assert.deepEqual(L.yTicks.map((t) => t.label).slice(0, 4), ["1 d", "10 d", "100 d", "1,000 d"]);
});

test("Llama 3.1 8B: its curve ends under a day, and no tick reads 0", () => {
  const L = curveLayout(servedScale({ preset: "llama-3.1-8b" }).why.curve, 800, 400, 1024);
  assert.equal(L.unit, "days");
  assert.ok(L.yTicks.every((t) => !/^0 /.test(t.label)), L.yTicks.map((t) => t.label).join(" "));
});

test("the Transformer page's GPT trains in milliseconds: the axis goes to seconds", () => {
  const L = curveLayout(small.curve, 600, 300, small.n_gpus);
  assert.equal(L.unit, "seconds");
  assert.equal(L.run.gpus, 1);
  assert.ok(L.yTicks.every((t) => /\d (s|ms|µs|ns)$/.test(t.label)), L.yTicks.map((t) => t.label).join(" "));
});

test("tick words", () => {
  assert.equal(gpuLabel(16384), "16,384");
  assert.equal(dayTick(1e3), "1,000 d");
  assert.equal(dayTick(1e6), "10⁶ d");
  assert.equal(dayTick(0.1), "0.1 d");
  assert.equal(secondTick(1e-3), "1 ms");
  assert.equal(secondTick(1e-8), "10 ns");
  assert.equal(curveLayout([], 600, 300, 1), null);
  assert.equal(curveLayout(small.curve, 20, 20, 1), null, "no room: nothing drawn");
});
