// A room whose checkpoint can't be written says so until it is saved again (server: Runner.checkpoint
// sends `not_saved` once, then `saved_again`): the page keeps the first in view, the second clears it.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce } from "../../frontend/state.js";

test("not_saved stays until saved_again", () => {
  let s = initialState();
  s = reduce(s, { type: "error", code: "not_saved", message: "Room K7QXP is not being saved: OSError: read-only" });
  assert.match(s.unsaved, /not being saved/);
  s = reduce(s, { type: "error", code: "bad_message", message: "count must be ≤ 10000" });
  assert.match(s.unsaved, /not being saved/, "another error does not clear it");
  s = reduce(s, { type: "error", code: "saved_again", message: "Room K7QXP is saved again (at step 150)." });
  assert.equal(s.unsaved, null);
});
