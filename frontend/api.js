// The only file that talks to the server: one WebSocket to /ws (JSON text frames, and binary
// "FSB1" frames of float16 tensors for networks) that reconnects by itself, and the HTTP reads the
// page needs (the settings schema; rooms, lessons and saved runs for the classroom).

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;

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

// ---- the socket ------------------------------------------------------------------------------------

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/**
 * Open the socket. `hello()` gives the message that (re)establishes the session on every connect
 * (create or join); `onMessage(msg)` gets each parsed frame; `onStatus(s)` gets
 * "connecting" | "open" | "closed". Returns {send(msg) → bool, close()}.
 */
export function connect({ hello, onMessage, onStatus }) {
  let ws = null;
  let retry = RETRY_MIN_MS;
  let closedByUs = false;
  let timer = null;

  function open() {
    onStatus("connecting");
    ws = new WebSocket(socketUrl());
    ws.binaryType = "arraybuffer";
    ws.addEventListener("open", () => {
      retry = RETRY_MIN_MS;
      onStatus("open");
      const first = hello();
      if (first) ws.send(JSON.stringify(first));
    });
    ws.addEventListener("message", (ev) => {
      if (typeof ev.data !== "string") {
        let frame;
        try {
          frame = parseBinaryFrame(ev.data);
        } catch (err) {
          console.warn("dropped a binary frame:", err.message);
          return;
        }
        // The reducer sees one shape of message either way: {type, ...}.
        onMessage({ type: frame.type, header: frame.header, tensors: frame.tensors });
        return;
      }
      const msg = parseFrame(ev.data);
      if (msg && typeof msg === "object") onMessage(msg);
    });
    ws.addEventListener("close", () => {
      onStatus("closed");
      if (closedByUs) return;
      // Back off so a restarting server is not hammered, but come back within a few seconds.
      timer = setTimeout(open, retry);
      retry = Math.min(RETRY_MAX_MS, retry * 2);
    });
  }

  open();
  return {
    send(msg) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(msg));
      return true;
    },
    close() {
      closedByUs = true;
      clearTimeout(timer);
      ws?.close();
    },
  };
}

/**
 * GET /api/schema: the engine's settings (bounds, choices, their words, live keys, models' names).
 * The page has no copy of it, so it waits for the server as it waits for its socket: retried with
 * the socket's back-off until it answers.
 */
export async function fetchSchema() {
  for (let wait = RETRY_MIN_MS; ; wait = Math.min(RETRY_MAX_MS, wait * 2)) {
    const schema = await getJson("/api/schema", 3000);
    if (schema?.models) return schema;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

// ---- classroom reads (rooms, lessons, saved runs) ------------------------------------------------

async function getJson(path, timeoutMs = 3000, headers = {}) {
  const ctrl = new AbortController();
  const t = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    const res = await fetch(path, { signal: ctrl.signal, cache: "no-store", headers });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  } finally {
    clearTimeout(t);
  }
}

/** GET /api/info: {classroom, public_url} (the join URL's base in classroom mode), or null. */
export const fetchInfo = () => getJson("/api/info");
/** GET /api/lessons: [{id, title, summary, steps}], or null. */
export const fetchLessons = () => getJson("/api/lessons");
/** GET /api/lessons/{id}: the whole lesson (steps with text, config, views, controls, goal), or null. */
export const fetchLesson = (id) => getJson(`/api/lessons/${encodeURIComponent(id)}`);
/** GET /api/runs: the saved runs of this owner token (header X-Flowscope-Token), newest first, or null. */
export const fetchRuns = (token) => (token ? getJson("/api/runs", 3000, { "x-flowscope-token": token }) : Promise.resolve([]));
/** The address of a QR code (SVG) for `text`, for an <img>. */
export const qrSrc = (text) => `/api/qr?text=${encodeURIComponent(text)}`;
/** The address that downloads a saved run's weights (a PyTorch state_dict file); only its owner token may. */
export const weightsHref = (id, token) =>
  `/api/runs/${encodeURIComponent(id)}/weights${token ? `?token=${encodeURIComponent(token)}` : ""}`;
