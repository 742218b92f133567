// The Transformer page's short labels get plain words (gpt/glossary.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { explain } from "../../frontend/gpt/glossary.js";

test("short labels a first-timer meets are explained", () => {
  assert.match(explain("A1"), /attention of block 1/);
  assert.match(explain("M2"), /MLP .* block 2/);
  assert.match(explain("attn 2"), /attention of block 2/);
  assert.match(explain("wte + wpe"), /token embedding[\s\S]*position embedding/);
  assert.match(explain("block 1 W_qkv[1,1]"), /query, key and value[\s\S]*row i, column j/);
  assert.match(explain("‖Δθ‖/‖θ‖"), /relative to their size/);
  assert.match(explain("embedding"), /embedding tables/);
  assert.match(explain("block 3"), /attention layer and one MLP/);
});

test("words that need no help get none", () => {
  assert.equal(explain("Loss"), "");
  assert.equal(explain(""), "");
  assert.equal(explain(undefined), "");
  assert.equal(explain("A1B"), "");
});
