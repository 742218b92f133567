import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";

import { runHref } from "../../frontend/api.js";
import { readLocation } from "../../frontend/config.js";
import { ownerKey } from "../../frontend/tokens.js";

function fakeStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k), m };
}

test("a browser's saved-runs key is made once, random, in the server's alphabet, and kept", () => {
  const shared = fakeStorage();
  const key = ownerKey(shared);
  assert.match(key, /^[A-Za-z0-9_-]{32}$/); // 24 random bytes, base64url: the server's owner key (16–64)
  assert.equal(ownerKey(shared), key); // every room, every tab of this browser: the same key
  assert.notEqual(ownerKey(fakeStorage()), key); // another browser: another key
  const off = { getItem() { throw new Error("storage off"); }, setItem() { throw new Error("storage off"); } };
  assert.equal(ownerKey(off), null); // saves then belong to the room's owner token
});

test("a trained-run link goes to its page with its key, and the page reads it back", () => {
  const run = { id: "9c2e71aa0b1c2d3e", model: "mlp", share: "00ff11ee22dd33cc44bb55aa" };
  const href = runHref("http://192.168.1.20:8000", run);
  assert.equal(href, "http://192.168.1.20:8000/run/9c2e71aa0b1c2d3e?model=mlp&key=00ff11ee22dd33cc44bb55aa");
  const url = new URL(href);
  const where = readLocation(url.pathname, url.search);
  assert.deepEqual(where.run, { id: run.id, key: run.share });
  assert.equal(where.model, "mlp");
  assert.deepEqual(where.ignored, []); // the key is the page's, not a setting
  assert.equal(where.room, null);
  assert.equal(readLocation("/run/9c2e71aa0b1c2d3e", "?key=").run, null); // no key: no run to open
  assert.equal(readLocation("/", "?key=abc").run, null);
  assert.equal(new URL(runHref("", { id: "ab", model: "neuron", share: "cd" }), "http://x").search, "?key=cd");
});

test("Ctrl+Z (⌘Z) is undo; other modified keys stay the browser's", async () => {
  const { keyCommand } = await import("../../frontend/views/controls.js");
  const key = (k, mods = {}) => keyCommand({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
  assert.equal(key("z", { ctrlKey: true }), "undo");
  assert.equal(key("z", { metaKey: true }), "undo");
  assert.equal(key("Z", { ctrlKey: true, shiftKey: true }), null); // redo is not offered
  assert.equal(key("r", { ctrlKey: true }), null); // the browser's reload
  assert.equal(key("z"), null);
});

test("a teacher's name replaces the browser's runs key; forgetting it drops the rooms held under it", async () => {
  const { OwnerTokens, ownerKey, ownerName, setOwner } = await import("../../frontend/tokens.js");
  const shared = fakeStorage();
  const mine = ownerKey(shared);
  setOwner(shared, "named-owner-key-0123456789abcdef", "Ms Rivera");
  assert.equal(ownerKey(shared), "named-owner-key-0123456789abcdef");
  assert.equal(ownerName(shared), "Ms Rivera");
  const rooms = OwnerTokens(shared, fakeStorage());
  rooms.set("ABCDE", "named-owner-key-0123456789abcdef"); // a run loaded under the name
  rooms.set("FGHJK", "a-room-token-of-its-own-000000");
  rooms.dropHolding("named-owner-key-0123456789abcdef");
  setOwner(shared, null);
  assert.equal(rooms.get("ABCDE"), null);
  assert.equal(rooms.get("FGHJK"), "a-room-token-of-its-own-000000");
  assert.equal(ownerName(shared), null);
  const fresh = ownerKey(shared);
  assert.match(fresh, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(fresh, mine); // a new key of this browser's own
});
