// Asking the engine: POST /api/scale with one request in flight at a time, and the newest settings
// win. A change while a request is out waits as "next" (a newer change replaces it), and the reply
// to settings that are already stale is dropped rather than drawn for one frame. `post` is injected
// so node tests can drive it; the page passes postScale below.

/**
 * `post(body)` → Promise of {ok, status, json}; `onReply(reply, body, ms)` gets each reply that is
 * still current; `onError(detail, body)` gets a refusal (422: the field it names) or a failure.
 * Returns {want(body), busy() → bool}.
 */
export function Requester({ post, onReply, onError, now = () => Date.now() }) {
  let inFlight = null; // the body being answered
  let next = null; // the newest body asked for while one was out

  async function send(body) {
    inFlight = body;
    const t0 = now();
    let res = null;
    let failure = null;
    try {
      res = await post(body);
    } catch (err) {
      failure = err;
    }
    inFlight = null;
    if (next) {
      // Settings moved on while this one was out: its answer is stale, ask for the newest instead.
      const body2 = next;
      next = null;
      send(body2);
      return;
    }
    if (failure) onError(`no answer: ${failure.message ?? failure}`, body);
    else if (!res.ok) onError(errorDetail(res.json, res.status), body);
    else onReply(res.json, body, now() - t0);
  }

  return {
    want(body) {
      if (inFlight) next = body;
      else send(body);
    },
    busy: () => inFlight !== null,
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

/** The browser's POST /api/scale. */
export async function postScale(body) {
  const res = await fetch("/api/scale", {
    method: "POST",
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
