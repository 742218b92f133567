// What arrives on the socket, decoded: JSON text frames (bare NaN/Infinity read as null) and the
// binary "FSB1" frames of float16 tensors (docs/protocol.md, "Binary frames"). Pure: no network.

/** Parse a frame; a server that writes NaN/Infinity as bare words still gets through (as null). */
export function parseFrame(text) {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(text.replace(/-?\bInfinity\b|\bNaN\b/g, "null"));
    } catch {
      return null;
    }
  }
}

// ---- binary frames (docs/protocol.md, "Binary frames") ------------------------------------------

let F16 = null; // all 65,536 half-precision bit patterns → float32, built on first use (256 KiB)

/** One IEEE 754 half (as its 16 bits) → a JS number. Exact: every half is a float32. */
export function float16ToFloat32(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // ±0 and subnormals: no implicit leading 1
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function f16Table() {
  if (!F16) {
    F16 = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16[h] = float16ToFloat32(h);
  }
  return F16;
}

/**
 * `count` little-endian float16 values at `byteOffset` of `view` (a DataView) → Float32Array.
 * DataView reads are endian-explicit and need no 2-byte alignment, so any buffer works.
 */
export function decodeFloat16(view, byteOffset, count) {
  const lut = f16Table();
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lut[view.getUint16(byteOffset + 2 * i, true)];
  return out;
}

const MAGIC = [0x46, 0x53, 0x42, 0x31]; // "FSB1"
const DTYPES = { float16: 2, float32: 4 };

/**
 * A binary frame (ArrayBuffer or any byte view) → {type, header, tensors: {name: {shape, data}}}
 * with every tensor as a Float32Array in C order. Throws with a reason if the frame is malformed:
 * a bad frame must be reported, not drawn as garbage.
 */
export function parseBinaryFrame(buf) {
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("not an FSB1 frame");
  const headerLen = view.getUint32(4, true);
  if (8 + headerLen > bytes.length) throw new Error("header runs past the end of the frame");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  const dataStart = Math.ceil((8 + headerLen) / 8) * 8;
  const tensors = {};
  for (const t of Array.isArray(header.tensors) ? header.tensors : []) {
    const size = DTYPES[t.dtype];
    if (!size) throw new Error(`tensor ${t.name}: unsupported dtype ${t.dtype}`);
    const shape = Array.isArray(t.shape) ? t.shape.map(Number) : [];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count * size !== t.nbytes) throw new Error(`tensor ${t.name}: shape ${shape.join("×")} does not match ${t.nbytes} bytes`);
    const at = dataStart + t.offset;
    if (t.offset % 8 !== 0 || at + t.nbytes > bytes.length) throw new Error(`tensor ${t.name}: bad offset ${t.offset}`);
    const data = size === 2 ? decodeFloat16(view, at, count) : new Float32Array(count).map((_, i) => view.getFloat32(at + 4 * i, true));
    tensors[t.name] = { shape, data };
  }
  return { type: header.type, header, tensors };
}
