import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { SERVED_SCHEMA } from "./served.mjs";
import { parseList, SETTING_KEYS } from "../../frontend/locks.js";

// issue 22 §3: the settings a link may lock or hide come from the served schema, not a list written
// out in locks.js (it had 14 names; momentum, clip, schedule … could not be locked).
test("every model's setting can be locked or hidden, and nothing else", () => {
  const served = new Set(Object.values(SERVED_SCHEMA.models).flatMap((m) => Object.keys(m.properties)));
  assert.deepEqual(new Set(SETTING_KEYS), served);
  assert.deepEqual(parseList("momentum,clip,schedule,grad_clip,nonsense"), ["momentum", "clip", "schedule", "grad_clip"]);
});
