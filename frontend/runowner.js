// Whose saved runs this browser lists and saves under: its own random key (tokens.js ownerKey), or —
// once its teacher gave a name and a passphrase (POST /api/owner, server/owners.py) — the key those
// give, the same in any browser. The name and passphrase never stay anywhere; the key does, here.

import { nameOwner } from "./api.js";
import { OwnerTokens, ownerKey, ownerName, setOwner } from "./tokens.js";

const shared = () => globalThis.localStorage;
let key = ownerKey(shared());

/** The owner key to send with save, GET /api/runs and load (null where storage is off). */
export const runsOwner = () => key;

/** The name the runs are kept under here, or null. */
export const runsOwnerName = () => ownerName(shared()) || null;

/** Keep the runs under `name`: this browser's move to it. Resolves a sentence for the page. */
export async function nameRunsOwner(name, passphrase) {
  const r = await nameOwner(name, passphrase, key);
  if (r.error) return r.error;
  setOwner(shared(), r.owner, r.name);
  key = ownerKey(shared()) ?? r.owner;
  const came = r.moved ? ` (this browser's ${r.moved} came along)` : "";
  return `Your runs are kept under “${r.name}”${came}: the same name and passphrase list them in any browser.`;
}

/** Forget the name in this browser (a shared computer): it keeps runs of its own again, and the rooms
 * loaded under the name no longer open as the teacher's here. */
export function forgetRunsOwner() {
  if (runsOwnerName()) OwnerTokens(shared(), globalThis.sessionStorage).dropHolding(key);
  setOwner(shared(), null);
  key = ownerKey(shared());
}
