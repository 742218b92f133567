// A Descent link reproduces the whole race (issue 22 §4; the README promises it): the schedule, the
// clipping and each racer's η go into the address and come back from it.
import "./served.mjs"; // answers the page's fetch of /api/schema (schema.js) with what the server serves
import { test } from "node:test";
import assert from "node:assert/strict";
import { readWhere, sharedConfig, whereSearch } from "../../frontend/descent/where.js";

const raceOf = (where) => ({
  model: where.model, view: where.view, span: where.span, speed: where.speed, viewer: false,
  config: { ...sharedConfig(where), lr: where.lr },
  racers: where.racers.map((r) => ({ ...r })),
});

test("schedule, clipping, decay and each racer's η survive a reload", () => {
  const race = raceOf(readWhere("?model=mlp&racers=sgd,adam&lr=0.1"));
  race.config = { ...race.config, schedule: "cosine", warmup_steps: 10, schedule_steps: 300, clip: 1, weight_decay: 0.01, hidden: [8, 8], activation: "relu" };
  race.racers[1].lr = 0.003;
  const back = readWhere(whereSearch(race));
  const config = sharedConfig(back);
  for (const [k, v] of Object.entries({ schedule: "cosine", warmup_steps: 10, schedule_steps: 300, clip: 1, weight_decay: 0.01, activation: "relu" })) {
    assert.equal(config[k], v, k);
  }
  assert.deepEqual(config.hidden, [8, 8]);
  assert.deepEqual(back.racers.map((r) => [r.optimizer, r.lr]), [["sgd", 0.1], ["adam", 0.003]]);
});

test("a race nobody tuned keeps a short address", () => {
  const race = raceOf(readWhere(""));
  const search = whereSearch(race);
  assert.doesNotMatch(search, /schedule|clip|decay|warmup/);
  assert.deepEqual(readWhere(search).tricks, {});
});
