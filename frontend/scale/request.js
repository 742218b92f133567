// Asking the engine: POST /api/scale with one request in flight at a time, and the newest settings
// win. A change while a request is out waits as "next" (a newer change replaces it), and the reply
// to settings that are already stale is dropped rather than drawn for one frame.
//
// A round trip takes longer than a frame, so the page also keeps the engine's recent replies and
// asks ahead: first its guesses (the number being typed, keystroke by keystroke, and the values the
// arrow keys would give a focused number box), then, while idle, the settings one click away (the
// next rungs, each choice of each select). A change to one of those is drawn at once from the
// engine's own answer; a change whose answer is on its way waits for that answer rather than asking
// again. Nothing is computed here. `post` is injected so node tests can drive it; the page passes
// socketScale below.

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
      else if (!res.ok) onError(errorDetail(res.json, res.status), body);
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

/** A refusal as one line: FastAPI's 422 lists `{loc, msg}`; ours may be a plain string. */
export function errorDetail(json, status) {
  const d = json?.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d) && d.length) {
    return d.map((e) => {
      const loc = Array.isArray(e.loc) ? e.loc.filter((p) => p !== "body").join(".") : "";
      return loc ? `${loc}: ${e.msg}` : String(e.msg ?? "");
    }).join("; ");
  }
  return `the server answered ${status}`;
}

/**
 * The same question over the websocket (`scale` query, docs/protocol.md): one round trip of about a
 * millisecond, where a browser's HTTP request took 7–17 ms here — the difference between a typed
 * number drawn in the next frame or three frames later. Answers { ok, status, json } as postScale
 * does; when the socket can't open, it answers through postScale.
 */
export function socketScale(url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`) {
  let ws = null;
  let seq = 0;
  const pending = new Map(); // seq → resolve
  function open() {
    ws = new WebSocket(url);
    ws.onmessage = (ev) => {
      let msg = null;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      const done = msg?.type === "scale" && pending.get(msg.seq);
      if (!done) return;
      pending.delete(msg.seq);
      done(msg.result ? { ok: true, status: 200, json: msg.result } : { ok: false, status: 422, json: { detail: msg.detail } });
    };
    ws.onclose = () => {
      ws = null;
      for (const [k, done] of pending) done(null), pending.delete(k); // those go over HTTP instead
    };
    return new Promise((resolve) => {
      ws.onopen = () => resolve(true);
      ws.onerror = () => resolve(false);
    });
  }
  let ready = null;
  function ask(body, signal) {
    const mine = (seq = (seq + 1) % 2 ** 31);
    return new Promise((resolve) => {
      pending.set(mine, resolve);
      signal?.addEventListener?.("abort", () => pending.delete(mine) && resolve(null));
      ws.send(JSON.stringify({ type: "scale", seq: mine, request: body }));
    }).then((answer) => {
      if (signal?.aborted) throw new DOMException("aborted", "AbortError");
      return answer ?? postScale(body, signal);
    });
  }
  return function post(body, signal) {
    // An open socket sends now, in the caller's task: not a microtask later, behind the rest of the
    // change's handler.
    if (ws?.readyState === 1) return ask(body, signal);
    if (!ws) ready = open();
    return ready.then((up) => (up && ws?.readyState === 1 ? ask(body, signal) : postScale(body, signal)));
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
export async function fetchPresets(query = "") {
  try {
    const res = await fetch(`/api/scale/presets${query}`, { cache: "no-store" });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}
