import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";

import { KEEP, OwnerTokens } from "../../frontend/tokens.js";

function fakeStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k), m };
}

test("one browser's tabs share a room's owner token; a tab made to watch joins without it", () => {
  const shared = fakeStorage();
  const tabA = OwnerTokens(shared, fakeStorage());
  const tabB = OwnerTokens(shared, fakeStorage());
  tabA.set("k7qxp", "secret");
  assert.equal(tabB.get("K7QXP"), "secret"); // the teacher's second window finds it
  assert.equal(tabB.forJoin("K7QXP"), "secret");
  tabA.role("K7QXP", "viewer"); // tab B took control: A watches, and keeps watching on a reload
  assert.equal(tabA.forJoin("K7QXP"), null);
  assert.equal(tabA.get("K7QXP"), "secret"); // … yet may take control back
  assert.equal(tabB.forJoin("K7QXP"), "secret");
  tabA.role("K7QXP", "owner");
  assert.equal(tabA.forJoin("K7QXP"), "secret");
  tabA.drop("K7QXP");
  assert.equal(tabB.get("K7QXP"), null);
});

test("a student's browser holds no token: watching marks nothing, joins without one", () => {
  const t = OwnerTokens(fakeStorage(), fakeStorage());
  t.role("ABCDE", "viewer");
  assert.equal(t.forJoin("ABCDE"), null);
});

test("only the newest rooms' tokens are kept", () => {
  const shared = fakeStorage();
  const t = OwnerTokens(shared, fakeStorage());
  for (let i = 0; i < KEEP + 5; i++) t.set(`R${String(i).padStart(4, "0")}`, `tok${i}`);
  assert.equal(t.get("R0000"), null);
  assert.equal(t.get("R0004"), null);
  assert.equal(t.get("R0005"), "tok5");
  t.set("R0005", "tok5"); // used again: the newest now
  for (let i = 0; i < 3; i++) t.set(`S${i}`, "x");
  assert.equal(t.get("R0005"), "tok5");
  assert.equal([...shared.m.keys()].filter((k) => k.startsWith("flowscope.token.")).length, KEEP);
});

test("storage switched off: nothing throws, nothing is held", () => {
  const broken = { getItem() { throw new Error("denied"); }, setItem() { throw new Error("denied"); }, removeItem() { throw new Error("denied"); } };
  const t = OwnerTokens(broken, broken);
  t.set("ABCDE", "x");
  t.role("ABCDE", "viewer");
  t.drop("ABCDE");
  assert.equal(t.get("ABCDE"), null);
  assert.equal(t.forJoin("ABCDE"), null);
});
