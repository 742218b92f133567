// The only file that talks to the server: one WebSocket to /ws (JSON text frames) that reconnects
// by itself, and the one HTTP read the page needs (the settings schema).

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
    ws.addEventListener("open", () => {
      retry = RETRY_MIN_MS;
      onStatus("open");
      const first = hello();
      if (first) ws.send(JSON.stringify(first));
    });
    ws.addEventListener("message", (ev) => {
      if (typeof ev.data !== "string") return; // binary frames are for big tensors, not these models
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

/** GET /api/schema, or null if it fails or takes longer than `timeoutMs`. */
export async function fetchSchema(timeoutMs = 1500) {
  const ctrl = new AbortController();
  const t = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    const res = await fetch("/api/schema", { signal: ctrl.signal });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  } finally {
    clearTimeout(t);
  }
}
