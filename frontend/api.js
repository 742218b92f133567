// The only file that talks to the server: one WebSocket to /ws (JSON text frames, and binary
// "FSB1" frames of float16 tensors for networks, decoded by frames.js) that reconnects by itself, and the HTTP reads the
// page needs (the settings schema; rooms, lessons and saved runs for the classroom; the Scale page's
// questions to the engine, over that socket or POST /api/scale).

import { parseBinaryFrame, parseFrame } from "./frames.js";
import { scaleRefusal } from "./refusal.js";

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;

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
/** GET /api/runs: the saved runs of this owner (a browser's key or a room's token, as the header
 * X-Flowscope-Token), newest first, or null. */
export const fetchRuns = (token) => (token ? getJson("/api/runs", 3000, { "x-flowscope-token": token }) : Promise.resolve([]));
/** POST /api/owner: a teacher's name and passphrase → {owner, name, moved} (the runs of `key`, this
 * browser's own, move to that owner), or {error: why}. */
export async function nameOwner(name, passphrase, key) {
  try {
    const res = await fetch("/api/owner", { method: "POST", headers: { "content-type": "application/json", ...(key ? { "x-flowscope-token": key } : {}) },
      body: JSON.stringify({ name, passphrase }) });
    const body = await res.json().catch(() => ({}));
    if (res.ok) return body;
    return { error: res.status === 422 ? "A name, and a passphrase of 8 characters at least." : String(body.detail ?? `The server said ${res.status}.`) };
  } catch {
    return { error: "Not connected to the server: try again." };
  }
}
/** DELETE /api/runs/{id} with the owner in the header (never the query): true once it is gone. */
export async function deleteRun(id, token) {
  try {
    const res = await fetch(`/api/runs/${encodeURIComponent(id)}`, { method: "DELETE", headers: { "x-flowscope-token": token } });
    return res.status === 204;
  } catch {
    return false;
  }
}
/** The address that opens a saved run at its step, for anyone holding it (its share key): a copy of their own. */
export const runHref = (base, run) =>
  `${base}/run/${encodeURIComponent(run.id)}?${run.model && run.model !== "neuron" ? `model=${encodeURIComponent(run.model)}&` : ""}key=${encodeURIComponent(run.share)}`;
/** The address of a QR code (SVG) for `text`, for an <img>. */
export const qrSrc = (text) => `/api/qr?text=${encodeURIComponent(text)}`;
/** The address that downloads a saved run's weights (a PyTorch state_dict file); only its owner token may. */
export const weightsHref = (id, token) =>
  `/api/runs/${encodeURIComponent(id)}/weights${token ? `?token=${encodeURIComponent(token)}` : ""}`;

// ---- the Scale page's questions to the engine ------------------------------------------------------
// POST /api/scale (or its `scale` query over the socket) with one request in flight at a time, and the
// newest settings win. A change while a request is out waits as "next" (a newer change replaces it),
// and the reply to settings that are already stale is dropped rather than drawn for one frame.
//
// A round trip takes longer than a frame, so the page also keeps the engine's recent replies and
// asks ahead: first its guesses (the number being typed, keystroke by keystroke, and the values the
// arrow keys would give a focused number box), then, while idle, the settings one click away. A
// change to one of those is drawn at once from the engine's own answer; a change whose answer is on
// its way waits for that answer rather than asking again. Nothing is computed here. `post` is
// injected so node tests can drive it; the page passes socketScale below.

export const CACHE_SIZE = 256;

/**
 * `post(body, signal)` → Promise of {ok, status, json} (an ahead request may be given up through
 * `signal` when a real one needs the line); `onReply(reply, body, ms, cached)` gets each reply
 * that is still current; `onError(detail, body)` gets a refusal (422: the field it names) or a
 * failure. Returns {want(body), guess(bodies), prefetch(bodies), busy() → bool, cached(body) → bool}.
 */
export function Requester({ post, onReply, onError, now = () => Date.now(), cacheSize = CACHE_SIZE }) {
  let inFlight = null; // {key, isAhead, ctrl}: the request being answered
  let next = null; // the newest body asked for while one was out
  let current = null; // the key of the settings on screen (or asked for last)
  let guesses = []; // bodies the user is about to ask for, most likely first (kept until the next want)
  let ahead = []; // bodies to ask for while idle, after the guesses
  const cache = new Map(); // key → reply, oldest first

  const keyOf = (body) => JSON.stringify(body);

  function remember(key, json) {
    cache.delete(key);
    cache.set(key, json);
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value);
  }

  async function send(body, isAhead) {
    const key = keyOf(body);
    const ctrl = typeof AbortController === "function" ? new AbortController() : null;
    const mine = { key, isAhead, ctrl };
    inFlight = mine;
    const t0 = now();
    let res = null;
    let failure = null;
    try {
      res = await post(body, ctrl?.signal);
    } catch (err) {
      failure = err;
    }
    if (inFlight !== mine) return; // an ahead request given up for a real one: nothing to do
    inFlight = null;
    const { isAhead: stillAhead } = mine; // a guess the user has since asked for is real now
    if (res?.ok) remember(key, res.json);
    if (next) {
      // Settings moved on while this one was out: ask for the newest (its answer may be here now).
      const body2 = next;
      next = null;
      want(body2);
      return;
    }
    if (!stillAhead && key === current) {
      if (failure) onError(`no answer: ${failure.message ?? failure}`, body);
      else if (!res.ok) onError(errorDetail(res.json, res.status), body, scaleRefusal(res.json?.detail));
      else onReply(res.json, body, now() - t0, false);
    }
    pump();
  }

  function pump() {
    if (inFlight) return;
    for (const queue of [guesses, ahead]) {
      while (queue.length && cache.has(keyOf(queue[0]))) queue.shift();
      if (queue.length) return void send(queue.shift(), true);
    }
  }

  function want(body) {
    const key = keyOf(body);
    current = key;
    guesses = [];
    ahead = []; // what was one click from the old settings may be two from the new
    if (cache.has(key)) {
      next = null;
      const json = cache.get(key);
      remember(key, json);
      onReply(json, body, 0, true);
      return;
    }
    if (inFlight?.key === key) {
      // Asked ahead and on its way (typed, then Enter): its answer is drawn when it comes.
      inFlight.isAhead = false;
      next = null;
      return;
    }
    if (inFlight?.isAhead) {
      // A guess is out and the user asked for something else: drop the guess, ask for this now.
      inFlight.ctrl?.abort();
      inFlight = null;
    }
    if (inFlight) next = body;
    else send(body, false);
  }

  return {
    want,
    /**
     * What the user is about to ask for, most likely first: asked before anything else, and the
     * first of them now if only a guess of the page's own (not a wanted answer) is out.
     */
    guess(bodies) {
      guesses = bodies.filter((b) => !cache.has(keyOf(b)));
      if (inFlight?.isAhead && guesses.length && !guesses.some((b) => keyOf(b) === inFlight.key)) {
        inFlight.ctrl?.abort();
        inFlight = null;
      }
      pump();
    },
    /** Ask for these while nothing else is out, after the guesses; a new `want` drops the rest. */
    prefetch(bodies) {
      ahead = bodies.filter((b) => !cache.has(keyOf(b)));
      pump();
    },
    busy: () => inFlight !== null,
    cached: (body) => cache.has(keyOf(body)),
  };
}

/** A refusal as one line (refusal.js reads which field it names). */
export function errorDetail(json, status) {
  return json?.detail ? scaleRefusal(json.detail).message : `the server answered ${status}`;
}

/**
 * The same question over the websocket (`scale` query, docs/protocol.md) — connect()'s socket, the
 * page's only one: a round trip of about a millisecond, where a browser's HTTP request took 7–17 ms
 * here. Answers {ok, status, json} as postScale does; while the socket is down, through postScale.
 */
export function socketScale() {
  let seq = 0;
  let status = "closed";
  let api = null;
  let opened = null; // resolves true/false when a connecting socket opens or fails
  let settle = () => {};
  const pending = new Map(); // seq → resolve
  function onStatus(s) {
    status = s;
    if (s === "open" || s === "closed") settle(s === "open");
    if (s === "connecting") opened = new Promise((resolve) => (settle = resolve));
    if (s !== "closed") return;
    for (const [k, done] of pending) pending.delete(k), done(null); // those go over HTTP instead
  }
  function onMessage(msg) {
    const done = msg?.type === "scale" && pending.get(msg.seq);
    if (!done) return;
    pending.delete(msg.seq);
    done(msg.result ? { ok: true, status: 200, json: msg.result } : { ok: false, status: 422, json: { detail: msg.detail } });
  }
  function ask(body, signal) {
    const mine = (seq = (seq + 1) % 2 ** 31);
    return new Promise((resolve) => {
      pending.set(mine, resolve);
      signal?.addEventListener?.("abort", () => pending.delete(mine) && resolve(null));
      if (!api.send({ type: "scale", seq: mine, request: body })) pending.delete(mine), resolve(null);
    }).then((answer) => {
      if (signal?.aborted) throw new DOMException("aborted", "AbortError");
      return answer ?? postScale(body, signal);
    });
  }
  return function post(body, signal) {
    // An open socket sends now, in the caller's task: not a microtask later, behind the rest of the
    // change's handler.
    if (status === "open") return ask(body, signal);
    api ??= connect({ hello: () => null, onMessage, onStatus });
    return (status === "connecting" ? opened : Promise.resolve(false)).then((up) => (up ? ask(body, signal) : postScale(body, signal)));
  };
}

/** The browser's POST /api/scale (`signal` gives up on it). */
export async function postScale(body, signal) {
  const res = await fetch("/api/scale", {
    method: "POST",
    signal,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    cache: "no-store",
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  return { ok: res.ok, status: res.status, json };
}

/** GET /api/scale/presets (the ladder), or null. */
export const fetchPresets = (query = "") => getJson(`/api/scale/presets${query}`);
/** The server's health: its version, torch, and its limits (`max_workers`: --max-workers). */
export const fetchHealth = () => getJson("/api/health");
