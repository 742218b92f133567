// Binary frames (docs/protocol.md "Binary frames"): the float16 decoder against known bit
// patterns, and the FSB1 parser against frames built here byte by byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeFloat16, float16ToFloat32, parseBinaryFrame } from "../../frontend/frames.js";

const KNOWN = [
  [0x0000, 0],
  [0x3c00, 1],
  [0xc000, -2],
  [0x3800, 0.5],
  [0x7bff, 65504], // the largest finite half
  [0x0001, 2 ** -24], // the smallest subnormal
  [0x03ff, 1023 * 2 ** -24], // the largest subnormal
  [0x0400, 2 ** -14], // the smallest normal
  [0x3555, 0.333251953125],
  [0xbc00, -1],
  [0x7c00, Infinity],
  [0xfc00, -Infinity],
];

test("float16 → float32: known values", () => {
  for (const [bits, want] of KNOWN) assert.equal(float16ToFloat32(bits), want, `0x${bits.toString(16)}`);
  assert.ok(Object.is(float16ToFloat32(0x8000), -0), "negative zero keeps its sign");
  assert.ok(Number.isNaN(float16ToFloat32(0x7e00)), "quiet NaN");
  assert.ok(Number.isNaN(float16ToFloat32(0xfc01)), "any NaN payload");
});

test("the lookup table agrees with the formula for every bit pattern", () => {
  const view = new DataView(new ArrayBuffer(2 * 65536));
  for (let h = 0; h < 65536; h++) view.setUint16(2 * h, h, true);
  const all = decodeFloat16(view, 0, 65536);
  for (let h = 0; h < 65536; h++) {
    const want = Math.fround(float16ToFloat32(h));
    assert.ok(Object.is(all[h], want) || (Number.isNaN(all[h]) && Number.isNaN(want)), `0x${h.toString(16)}`);
  }
});

test("decoding reads little-endian at any offset, aligned or not", () => {
  const bytes = new Uint8Array([0xff, 0x00, 0x3c, 0x00, 0xc0]); // 1 at offset 1, −2 at offset 3
  const got = decodeFloat16(new DataView(bytes.buffer), 1, 2);
  assert.deepEqual([...got], [1, -2]);
});

/** An FSB1 frame: magic, header length, JSON header, zero padding to 8, then the tensors. */
function buildFrame(header, tensors) {
  const enc = new TextEncoder();
  let offset = 0;
  const index = tensors.map(({ name, shape, bits }) => {
    const entry = { name, dtype: "float16", shape, offset, nbytes: 2 * bits.length };
    offset += Math.ceil(entry.nbytes / 8) * 8;
    return entry;
  });
  const head = enc.encode(JSON.stringify({ ...header, tensors: index }));
  const dataStart = Math.ceil((8 + head.length) / 8) * 8;
  const buf = new ArrayBuffer(dataStart + offset);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  bytes.set([0x46, 0x53, 0x42, 0x31], 0); // "FSB1"
  view.setUint32(4, head.length, true);
  bytes.set(head, 8);
  tensors.forEach(({ bits }, t) => bits.forEach((b, i) => view.setUint16(dataStart + index[t].offset + 2 * i, b, true)));
  return buf;
}

test("a hand-built field frame parses into named Float32 tensors", () => {
  const buf = buildFrame({ type: "field", step: 12, span: 6 }, [
    { name: "output", shape: [2, 2, 1], bits: [0x0000, 0x3800, 0x3c00, 0x3555] },
    { name: "layer0", shape: [1, 1, 3], bits: [0xc000, 0x7bff, 0x0001] }, // 6 bytes: the next is padded to 8
    { name: "layer1", shape: [1, 1, 1], bits: [0xbc00] },
  ]);
  const frame = parseBinaryFrame(buf);
  assert.equal(frame.type, "field");
  assert.equal(frame.header.step, 12);
  assert.equal(frame.header.span, 6);
  assert.deepEqual(Object.keys(frame.tensors), ["output", "layer0", "layer1"]);
  assert.deepEqual(frame.tensors.output.shape, [2, 2, 1]);
  assert.ok(frame.tensors.output.data instanceof Float32Array);
  assert.deepEqual([...frame.tensors.output.data], [0, 0.5, 1, Math.fround(0.333251953125)]);
  assert.deepEqual([...frame.tensors.layer0.data], [-2, 65504, Math.fround(2 ** -24)]);
  assert.deepEqual([...frame.tensors.layer1.data], [-1]);
});

test("header lengths that need padding (every remainder mod 8) all find the data", () => {
  for (let pad = 0; pad < 8; pad++) {
    const buf = buildFrame({ type: "field", step: 0, span: 6, note: "x".repeat(pad) }, [{ name: "output", shape: [1, 1, 1], bits: [0x3c00] }]);
    assert.deepEqual([...parseBinaryFrame(buf).tensors.output.data], [1], `padding case ${pad}`);
  }
});

test("a frame inside a larger buffer (a Node Buffer or a subarray) parses the same", () => {
  const buf = buildFrame({ type: "field", step: 1 }, [{ name: "output", shape: [1, 1, 2], bits: [0x3c00, 0xc000] }]);
  const bigger = new Uint8Array(buf.byteLength + 3);
  bigger.set(new Uint8Array(buf), 3);
  const frame = parseBinaryFrame(bigger.subarray(3));
  assert.deepEqual([...frame.tensors.output.data], [1, -2]);
});

test("malformed frames are refused with a reason", () => {
  assert.throws(() => parseBinaryFrame(new TextEncoder().encode("JSON{}  ")), /FSB1/);
  const good = buildFrame({ type: "field" }, [{ name: "output", shape: [2, 2, 1], bits: [0, 0, 0, 0] }]);
  assert.throws(() => parseBinaryFrame(good.slice(0, good.byteLength - 4)), /offset/);
  const lying = new Uint8Array(good.slice(0));
  new DataView(lying.buffer).setUint32(4, 1e6, true);
  assert.throws(() => parseBinaryFrame(lying), /header/);
});
