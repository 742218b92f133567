import { test } from "node:test";
import assert from "node:assert/strict";
import { DASH, MINUS, fmt, fmtBrief, fmtValue } from "../../frontend/render/format.js";

test("3–4 significant digits, trailing zeros dropped", () => {
  assert.equal(fmt(1.23456), "1.235");
  assert.equal(fmt(0.5), "0.5");
  assert.equal(fmt(123.456), "123.5");
  assert.equal(fmt(1234.5), "1235");
  assert.equal(fmt(0.0012346), "0.001235");
  assert.equal(fmt(2), "2");
  assert.equal(fmt(0.693147, 3), "0.693");
});

test("negative numbers use a real minus sign", () => {
  assert.equal(fmt(-4.2), `${MINUS}4.2`);
  assert.equal(fmt(-4.2), "\u22124.2");
  assert.ok(!fmt(-0.25).includes("-"));
});

test("zero, including negative zero, is 0", () => {
  assert.equal(fmt(0), "0");
  assert.equal(fmt(-0), "0");
});

test("very large and very small numbers use ×10 notation", () => {
  assert.equal(fmt(123456), "1.235×10⁵");
  assert.equal(fmt(0.00012346), "1.235×10⁻⁴");
  assert.equal(fmt(-2.5e-7), `${MINUS}2.5×10⁻⁷`);
  assert.equal(fmt(1e300), "1×10³⁰⁰");
  assert.equal(fmt(12345), "12345");
});

test("NaN, Infinity, null, undefined and strings show a dash", () => {
  for (const v of [NaN, Infinity, -Infinity, null, undefined, "1.5", {}]) assert.equal(fmt(v), DASH, String(v));
});

test("values: lists, batch × features, scalars", () => {
  assert.equal(fmtValue([1.1, -2]), `1.1, ${MINUS}2`);
  assert.equal(fmtValue([[2.5, 1], [7, null]]), `(2.5, 1)\n(7, ${DASH})`);
  assert.equal(fmtValue(0.25), "0.25");
  assert.equal(fmtValue(null), DASH);
  assert.equal(fmtValue([]), "");
});

test("brief form shows the first number and marks the rest", () => {
  assert.equal(fmtBrief([0.1234, 5]), "0.123, …");
  assert.equal(fmtBrief([[-1.5]]), `${MINUS}1.5`);
  assert.equal(fmtBrief([]), DASH);
  assert.equal(fmtBrief(Infinity), DASH);
});

test("frames with bare NaN/Infinity (Python's json default) still parse, as null", async () => {
  const { parseFrame } = await import("../../frontend/frames.js");
  assert.deepEqual(parseFrame('{"type":"metrics","loss":NaN,"train_loss":Infinity,"x":-Infinity}'), {
    type: "metrics", loss: null, train_loss: null, x: null,
  });
  assert.deepEqual(parseFrame('{"type":"state","step":1}'), { type: "state", step: 1 });
  assert.equal(parseFrame("not json"), null);
});
