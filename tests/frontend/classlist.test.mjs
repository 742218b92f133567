// The teacher's class list and the students' join page, the pure parts (issue 17 §1, §2).

import "./served.mjs"; // first: the page's schema, as the server serves it
import assert from "node:assert/strict";
import { test } from "node:test";

import { classView, driverText, joinedText } from "../../frontend/classlist.js";
import { rosterView } from "../../frontend/room.js";
import { joinStart, joinTarget } from "../../frontend/join.js";

const roster = [
  { id: "t1", name: null, role: "viewer", teacher: true, state: "following" },
  { id: "a1", name: "Ana", role: "owner", state: "following" },
  { id: "b2", name: "Bo", role: "viewer", state: "forked", step: 12, loss: 0.25 },
  { id: "c3", name: "Cy", role: "viewer", state: "disconnected", step: 4, loss: 0.5 },
  { id: "d4", name: null, role: "viewer", state: "following" },
];

test("the class list: students only (not the teacher), following first, a forked run's numbers only", () => {
  const v = classView(roster, "t1");
  assert.deepEqual(v.rows.map((r) => [r.label, r.state]), [["Ana", "following"], ["guest d4", "following"], ["Bo", "forked"], ["Cy", "disconnected"]]);
  assert.deepEqual([v.here, v.forked, v.gone], [2, 1, 1]);
  const bo = v.rows.find((r) => r.id === "b2");
  assert.deepEqual([bo.step, bo.loss, bo.canGive], [12, 0.25, false]);
  const cy = v.rows.find((r) => r.id === "c3");
  assert.deepEqual([cy.step, cy.loss], [null, null], "a disconnected student's old numbers are not shown as live");
  assert.equal(v.driver, "Ana");
  assert.equal(driverText(v), "You gave control to Ana. Take it back whenever you like.");
  assert.equal(joinedText(v), "2 joined");
  const mine = classView([{ id: "t1", name: null, role: "owner", teacher: true }, { id: "x", name: "Ed", role: "viewer" }], "t1");
  assert.deepEqual([mine.driver, mine.teacherDrives, mine.rows[0].canGive], [null, true, true]);
  assert.equal(driverText(mine), "You drive: the class follows your steps.");
  assert.equal(classView(null, "t1").rows.length, 0);
});

test("a forked student's step and loss are absent until their room reported them", () => {
  const v = classView([{ id: "b2", name: "Bo", role: "viewer", state: "forked", step: null, loss: null }], "t1");
  assert.deepEqual([v.rows[0].step, v.rows[0].loss], [null, null]);
});

test("the join page: the code from the QR link, the name from the device, the server's words", () => {
  assert.deepEqual(joinStart("?code=K7QXP", "Ana"), { code: "K7QXP", name: "Ana", why: "", field: "code" });
  assert.deepEqual(joinStart("?code=K7QXP&why=Too+long&field=name", null), { code: "K7QXP", name: "", why: "Too long", field: "name" });
  assert.deepEqual(joinTarget(" k7q xp ", "  Ana María "), { path: "/room/K7QXP?name=Ana%20Mar%C3%ADa", name: "Ana María" });
  assert.equal(joinTarget("K7QXP", "   ").field, "name");
  assert.equal(joinTarget("K0QXP", "Ana").field, "code"); // never a 0
});

test("the room card's list holds who is in the room now, not the students who left", () => {
  const v = rosterView(roster, "t1", "owner");
  assert.deepEqual(v.rows.map((r) => r.label), ["Ana", "guest d4"]);
  assert.equal(v.count, 2);
});
