// The owner tokens this browser holds, one per room code, in localStorage: every tab and window of
// the browser shares them, so the teacher's second window (the room link opened again, say on the
// projector) drives too. The server keeps one owner at a time: the tab that joins with the token
// drives, the other is told at once that it watches now. A student's browser never created the
// room: it has no token and watches. Tokens never go into a URL.
//
// One thing stays per tab (sessionStorage): "this tab was made to watch room X". A tab that lost
// control keeps watching when it reloads — when the room moves to another model every page reloads,
// and two tabs with the token would otherwise take the room from each other — until it takes
// control back itself.

import { tokenKey } from "./room.js";

export const KEEP = 50; // the newest rooms' tokens; older ones are dropped (their rooms expire anyway)
const INDEX = "flowscope.tokens"; // the codes that have a token, oldest first
const watchKey = (code) => `flowscope.watching.${String(code).toUpperCase()}`;

function attempt(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback; // storage switched off or full: the owner can still drive, just not come back after a reload
  }
}

/** `shared`: localStorage (or a stand-in with getItem/setItem/removeItem); `tab`: sessionStorage. */
export function OwnerTokens(shared, tab) {
  const codes = () => attempt(() => JSON.parse(shared.getItem(INDEX) ?? "[]"), []).filter((c) => typeof c === "string");

  return {
    /** The token to join room `code` with: none when this browser has none, or this tab was made to watch. */
    forJoin(code) {
      return attempt(() => tab?.getItem(watchKey(code)), null) ? null : this.get(code);
    },
    get(code) {
      return attempt(() => shared.getItem(tokenKey(code)), null);
    },
    set(code, token) {
      attempt(() => {
        const key = String(code).toUpperCase();
        const list = codes().filter((c) => c !== key);
        list.push(key);
        for (const old of list.splice(0, Math.max(0, list.length - KEEP))) shared.removeItem(tokenKey(old));
        shared.setItem(tokenKey(key), token);
        shared.setItem(INDEX, JSON.stringify(list));
      });
    },
    drop(code) {
      attempt(() => {
        const key = String(code).toUpperCase();
        shared.removeItem(tokenKey(key));
        shared.setItem(INDEX, JSON.stringify(codes().filter((c) => c !== key)));
      });
    },
    /** Forget every room whose token is `token` (a teacher's name forgotten on a shared computer:
     * the rooms loaded under it no longer open as theirs here). */
    dropHolding(token) {
      for (const code of codes()) if (token && this.get(code) === token) this.drop(code);
    },
    /** This tab's role in room `code` changed: a tab that watches though the browser holds the
     * token remembers it; one that drives again forgets it. */
    role(code, role) {
      attempt(() => {
        if (role === "owner") tab.removeItem(watchKey(code));
        else if (this.get(code)) tab.setItem(watchKey(code), "1");
      });
    },
  };
}

const OWNER = "flowscope.owner";
const OWNER_NAME = "flowscope.owner.name";

/** The teacher's name this browser keeps its saved runs under (POST /api/owner), or null. */
export function ownerName(shared) {
  return attempt(() => shared.getItem(OWNER_NAME), null);
}

/** Keep the saved runs under a name: the key its name and passphrase gave replaces this browser's own.
 * `key` null forgets the name here (a shared computer): ownerKey makes a fresh key of this browser's. */
export function setOwner(shared, key, name = null) {
  attempt(() => {
    if (key) {
      shared.setItem(OWNER, key);
      shared.setItem(OWNER_NAME, name ?? "");
    } else {
      shared.removeItem(OWNER);
      shared.removeItem(OWNER_NAME);
    }
  }, null);
}

/**
 * This browser's own key for its saved runs (sent with `save`, with GET /api/runs and with `load`): made
 * once — 24 random bytes, base64url — and kept in localStorage, so a run saved in one room lists in
 * every room this browser opens, after the room has long expired. A secret like a token: never in a URL.
 * null where storage is switched off (saves then belong to the room's owner token, as before).
 */
export function ownerKey(shared, random = globalThis.crypto) {
  return attempt(() => {
    const have = shared.getItem(OWNER);
    if (have && /^[A-Za-z0-9_-]{16,64}$/.test(have)) return have;
    const bytes = random.getRandomValues(new Uint8Array(24));
    const key = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    shared.setItem(OWNER, key);
    return shared.getItem(OWNER) === key ? key : null;
  }, null);
}
