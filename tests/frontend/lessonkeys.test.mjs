// The course order, "Next lesson", the clicker keys, the keys list and the phone ribbon's scrolling:
// the pure parts of the classroom's browser side.

import { servedLessons } from "./served.mjs"; // first: the page's schema, as the server serves it
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { clickerMove, nextLesson, taskFor } from "../../frontend/lesson.js";
import { scrollToShow } from "../../frontend/render/inview.js";
import { initialRoom, reduceRoom } from "../../frontend/room.js";
import { keyCommand } from "../../frontend/views/controls.js";
import { KEYS } from "../../frontend/views/keyhelp.js";

const lessonDir = new URL("../../frontend/lessons/", import.meta.url);
const shipped = readdirSync(lessonDir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(readFileSync(new URL(f, lessonDir), "utf8")));

const SERVED = servedLessons(); // GET /api/lessons: in course order (server/lessons.py COURSE)
const COURSE = SERVED.map((l) => l.id);

test("every shipped lesson is served, once, in the course", () => {
  assert.deepEqual([...COURSE].sort(), shipped.map((l) => l.id).sort());
  assert.equal(new Set(COURSE).size, COURSE.length);
  // The models climb with it: a neuron, a line, a network, a transformer, the line again for the
  // optimizers, the transformer for scale, then one over two workers.
  const model = (id) => shipped.find((l) => l.id === id).steps[0].model;
  assert.deepEqual(COURSE.map(model), ["neuron", "line", "line", "mlp", "transformer", "transformer", "line", "transformer",
    "transformer", "transformer"]);
  const workers = shipped.find((l) => l.id === "many-workers").steps.map((s) => s.config.workers);
  assert.deepEqual(workers, [2, 2, 2]);
});

test("the room keeps the server's order for the menu, Next lesson and the clicker", () => {
  const server = [{ id: "neuron-flow" }, { id: "find-a" }, { id: "zz-extra" }, { id: "aa-extra" }];
  const room = reduceRoom(initialRoom(), { type: "_lessons", lessons: server });
  assert.deepEqual(room.lessons.map((l) => l.id), ["neuron-flow", "find-a", "zz-extra", "aa-extra"]);
});

test("next lesson: the one after, none after the last", () => {
  const list = SERVED;
  assert.equal(nextLesson(list, "neuron-flow").id, "find-a");
  assert.equal(nextLesson(list, "learning-rate").id, "xor-hidden-layer");
  assert.equal(nextLesson(list, "pretrain-finetune").id, "descent");
  assert.equal(nextLesson(list, "descent").id, "scale");
  assert.equal(nextLesson(list, "scale").id, "many-workers");
  assert.equal(nextLesson(list, "course-end"), null);
  assert.equal(nextLesson(null, "find-a"), null);
});

test("a clicker's PageDown moves a step, then on to the next lesson; PageUp goes back, into the lesson before", () => {
  const list = COURSE.map((id) => ({ id }));
  assert.deepEqual(clickerMove("PageDown", { id: "find-a", step: 0, n: 4 }, list), { step: 1 });
  assert.deepEqual(clickerMove("PageDown", { id: "find-a", step: 3, n: 4 }, list), { lesson: "learning-rate", step: 0 });
  assert.equal(clickerMove("PageDown", { id: "course-end", step: 0, n: 1 }, list), null);
  assert.deepEqual(clickerMove("PageUp", { id: "find-a", step: 2, n: 4 }, list), { step: 1 });
  // PageUp on a lesson's first step: the previous lesson, at its last step (GET /api/lessons counts them)
  const counted = COURSE.map((id, i) => ({ id, steps: i + 3 }));
  assert.deepEqual(clickerMove("PageUp", { id: "find-a", step: 0, n: 4 }, counted), { lesson: "neuron-flow", step: 2 });
  assert.equal(clickerMove("PageUp", { id: COURSE[0], step: 0, n: 7 }, counted), null, "nothing before the course");
  assert.equal(clickerMove("PageDown", null, list), null);
  assert.equal(clickerMove("b", { id: "find-a", step: 0, n: 4 }, list), null);
});

test("the keys list names every key the page answers to", () => {
  const listed = KEYS.map(([k]) => k).join(" ");
  for (const key of ["ArrowRight", "ArrowLeft", "n", "s", "e", "a", " ", "r"]) {
    const name = keyCommand({ key });
    assert.ok(name, key);
  }
  for (const shown of ["→", "←", "N", "S", "E", "A", "Space", "R", "PgDn", "PgUp", "P", "?"]) assert.ok(listed.includes(shown), shown);
  // …and the README says the same keys.
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  for (const shown of ["PgDn", "PgUp", "Space", "presenter"]) assert.ok(readme.includes(shown), `README: ${shown}`);
});

test("scrollToShow: moves as little as possible and only when the item is out of view", () => {
  assert.equal(scrollToShow(0, 300, 100, 80), 0); // already in view
  assert.equal(scrollToShow(0, 300, 400, 80), 400 + 80 + 12 - 300); // off to the right: its right edge comes in
  assert.equal(scrollToShow(500, 300, 100, 80), 88); // off to the left: its left edge comes in
  assert.equal(scrollToShow(200, 300, 100, 500), 88); // wider than the view: from its start
  assert.equal(scrollToShow(0, 300, 5, 40), 0); // never negative
});

test("a Transformer shape change after training asks first; η, an untrained run and other models do not", async () => {
  const { rebuildLoses } = await import("../../frontend/lesson.js");
  const live = new Set(["lr", "speed"]);
  const gpt = { session: { model: "transformer" }, step: 1444 };
  assert.match(rebuildLoses(gpt, "n_head", live, "heads"), /heads .*1444 trained steps/);
  assert.equal(rebuildLoses(gpt, "lr", live), null);
  assert.equal(rebuildLoses({ ...gpt, step: 0 }, "n_head", live), null);
  assert.equal(rebuildLoses({ session: { model: "neuron" }, step: 40 }, "seed", live), null);
});

test("the loss note: only when the whole set's loss rose on the latest step", async () => {
  const { roseLastStep } = await import("../../frontend/views/losschart.js");
  assert.equal(roseLastStep([1], [0.883], 0.612), true); // the neuron's first step: 0.612 → 0.883 (issue 13)
  assert.equal(roseLastStep([1], [0.5], 0.612), false);
  assert.equal(roseLastStep([1, 2], [0.883, 0.7], 0.612), false);
  assert.equal(roseLastStep([1, 2, 3], [0.883, 0.7, 0.71], 0.612), true);
  assert.equal(roseLastStep([], [], 0.612), false);
  assert.equal(roseLastStep([16], [0.9], 0.612), false); // no step just before it: say nothing
});

test("chart zoom: 1.75 on a 1920 projector (14 px ticks → 24.5 px), at most 1.3 on smaller ones, 1 off presenter", async () => {
  const { chartZoom } = await import("../../frontend/render/canvas.js");
  assert.equal(chartZoom(false, 1920, 600), 1);
  assert.equal(chartZoom(true, 1920, 300), 1.75);
  assert.ok(14 * chartZoom(true, 1920) >= 24);
  assert.equal(chartZoom(true, 1024, 600), 1.3);
  assert.equal(chartZoom(true, 1024, 120), 1);
});

test("a lesson's task is worded for its reader: the driver's keys, a watching student's 'watch'", () => {
  const step = { task: "Press → once: one student goes in." };
  assert.equal(taskFor(step, true), "Press → once: one student goes in.");
  assert.match(taskFor(step, false), /^Watch the teacher's stage/);
  assert.doesNotMatch(taskFor(step, false), /Press|→/);
  assert.equal(taskFor({}, false), "");
});
