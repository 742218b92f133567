// When the transformer page asks the server to look inside the model (gpt/queries.js), and the
// small pure helpers of its views.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { dueQueries, EVERY_MS, forShownPanels, GIVE_UP_MS, newMemo, probsPosition, sent, SETTLE_MS, snippets, TASK_PROMPT, wanted } from "../../frontend/gpt/queries.js";
import { gptDefaults, PAGE_DEFAULTS } from "../../frontend/gpt/page.js";
import { sum, topOf } from "../../frontend/gpt/probs.js";
import { ratioWidth } from "../../frontend/gpt/layers.js";
import { initialState, reduce } from "../../frontend/state.js";
import { readLocation } from "../../frontend/config.js";

const VOCAB = ["\\n", "␠", "+", "1", "2", "3", "4", "9", ":", "?", "A", "Q", "T", "a", "c", "d", "e", "h", "i", "l", "n", "o", "p", "r", "s", "t", "u", "w", "."];

function ready(playing = false) {
  let s = reduce(initialState(), { type: "_conn", status: "open" });
  s = reduce(s, { type: "session", id: "K7QXP", model: "transformer", role: "owner", config: { block_size: 32 }, plan: [] });
  s = reduce(s, { type: "dataset", kind: "text", vocab: VOCAB, excerpt: "The test hat is set\n", task_examples: ["Q: 1+2? A: 3"], finetune_task: "add", source: "your text" });
  return reduce(s, { type: "state", step: 0, playing, gpt: { phase: "pretrain", eval_step: 0, eval: {}, switches: [] } });
}

function kinds(qs) {
  return qs.map((q) => q.kind).sort();
}

/** The reducer's count of replies, as if every query sent got its answer. */
function answer(s, qs) {
  for (const q of qs) {
    if (q.kind === "attention") s = reduce(s, { type: "attention", header: { step: s.step, tokens: [] }, tensors: { weights: { shape: [1, 1, 1, 1], data: new Float32Array([1]) } } });
    else if (q.kind === "char_loss") s = reduce(s, { type: "char_loss", chars: [...q.msg.text], loss: [], mean: 0 });
    else s = reduce(s, { type: q.kind, step: s.step, state: {}, probs: [], text: "", prompt: q.msg.prompt });
  }
  return s;
}

test("paused: each query once per step; nothing new until something changes", () => {
  let s = ready();
  const memo = newMemo();
  const first = dueQueries(s, 0, memo);
  assert.deepEqual(kinds(first), ["attention", "char_loss", "optimizer_state", "probs", "sample"]);
  for (const q of first) sent(memo, q, 0);
  s = answer(s, first);
  assert.deepEqual(dueQueries(s, 10_000, memo), [], "the same step: nothing to ask again");
  s = reduce(s, { type: "state", step: 1, playing: false, gpt: { phase: "pretrain", eval_step: 1, eval: {}, switches: [] } });
  assert.deepEqual(dueQueries(s, 10_100, memo), [], "a new step settles first (keys pressed in a row stay quick)");
  assert.equal(dueQueries(s, 10_100 + SETTLE_MS, memo).length, 5, "one step later: everything again");
});

test("only the queries whose panel shows are asked; a hidden panel's wait, unsent, until it shows", () => {
  const s = ready();
  const memo = newMemo();
  // the Scale lesson's step: every other Transformer panel hidden — nothing to ask (five at once
  // were more than a watcher may have out, and one came back refused)
  assert.deepEqual(forShownPanels(dueQueries(s, 0, memo), () => false), []);
  // a step showing the samples only: the sample and its per-character loss
  const some = forShownPanels(dueQueries(s, 0, memo), (id) => id === "gpt-samples");
  assert.deepEqual(kinds(some), ["char_loss", "sample"]);
  for (const q of some) sent(memo, q, 0);
  // the probs panel shows later: its query is still due (never sent), the samples' are not again
  assert.deepEqual(kinds(forShownPanels(dueQueries(s, 10, memo), (id) => id !== "gpt-attention")), ["optimizer_state", "probs"]);
});

test("new data (a lesson step's settings) clears the answers: everything is asked again at once", () => {
  let s = ready();
  const memo = newMemo();
  const first = dueQueries(s, 0, memo);
  for (const q of first) sent(memo, q, 0);
  s = answer(s, first);
  assert.deepEqual(dueQueries(s, 10_000, memo), []);
  s = reduce(s, { type: "dataset", kind: "text", vocab: VOCAB, excerpt: "The test hat is set\n", task_examples: ["Q: 1+2? A: 3"], finetune_task: "add", source: "your text" });
  assert.equal(s.gpt.probs, null, "the reducer drops the old answers");
  assert.deepEqual(kinds(dueQueries(s, 10_100, memo)), ["attention", "char_loss", "optimizer_state", "probs", "sample"]);
});

test("playing: each kind at its own pace, and never while its last reply is out", () => {
  let s = ready(true);
  const memo = newMemo();
  let qs = dueQueries(s, 0, memo);
  for (const q of qs) sent(memo, q, 0);
  s = reduce(s, { type: "state", step: 30, playing: true, gpt: { phase: "pretrain", eval_step: 0, eval: {}, switches: [] } });
  assert.deepEqual(dueQueries(s, 600, memo), [], "replies still out");
  s = answer(s, qs);
  assert.deepEqual(kinds(dueQueries(s, 600, memo)), ["optimizer_state"], `only the ${EVERY_MS.optimizer_state} ms kind`);
  assert.deepEqual(kinds(dueQueries(s, 1100, memo)), ["attention", "optimizer_state", "probs"]);
  qs = dueQueries(s, 2100, memo);
  assert.deepEqual(kinds(qs), ["attention", "char_loss", "optimizer_state", "probs", "sample"]);
});

test("a changed probe or temperature is asked for at once, even between paced queries", () => {
  let s = ready(true);
  const memo = newMemo();
  const qs = dueQueries(s, 0, memo);
  for (const q of qs) sent(memo, q, 0);
  s = answer(s, qs);
  s = reduce(s, { type: "_gpt", ui: { temperature: 0.5 } });
  assert.deepEqual(kinds(dueQueries(s, 100, memo)), ["probs"]);
  s = reduce(s, { type: "_gpt", ui: { probe: "The cat" } });
  const q = dueQueries(s, 120, memo);
  assert.deepEqual(kinds(q), ["attention", "probs"]);
  assert.equal(q.find((x) => x.kind === "probs").msg.position, 6);
});

test("a lost reply is given up on; a hidden tab, a closed socket or a probe outside the vocabulary ask nothing", () => {
  let s = ready(true);
  const memo = newMemo();
  for (const q of dueQueries(s, 0, memo)) sent(memo, q, 0);
  s = reduce(s, { type: "state", step: 50, playing: true, gpt: { phase: "pretrain", eval_step: 0, eval: {}, switches: [] } });
  assert.deepEqual(dueQueries(s, GIVE_UP_MS - 1, memo), []);
  assert.equal(dueQueries(s, GIVE_UP_MS + 1, memo).length, 5);
  assert.deepEqual(dueQueries(s, 99_999, newMemo(), false), [], "hidden tab");
  assert.deepEqual(dueQueries(reduce(s, { type: "_conn", status: "closed" }), 99_999, newMemo()), []);
  const bad = reduce(s, { type: "_gpt", ui: { probe: "Thé" } });
  assert.deepEqual(kinds(dueQueries(bad, 99_999, newMemo())), ["char_loss", "optimizer_state", "sample"]);
});

test("after the switch to fine-tuning: a task sample and the task's per-character loss too", () => {
  let s = ready();
  s = reduce(s, { type: "phase", step: 10, to: "finetune", samples: {}, eval: {} });
  const qs = wanted(s);
  assert.deepEqual(qs.filter((q) => q.kind === "sample").map((q) => q.msg.prompt), ["\n", TASK_PROMPT]);
  const { text, task } = snippets(s);
  assert.deepEqual(qs.filter((q) => q.kind === "char_loss").map((q) => q.msg.text), [text, task]);
  assert.equal(task, "Q: 23+19? A: 42");
  assert.equal(text, "The test hat is set", "your own text: a line of it (the server sends no held-out excerpt)");
});

test("probsPosition stays inside the probe", () => {
  assert.equal(probsPosition({ position: null }, "abc"), 2);
  assert.equal(probsPosition({ position: 1 }, "abc"), 1);
  assert.equal(probsPosition({ position: 9 }, "abc"), 2);
});

test("probability bars: the likeliest first, and the whole distribution sums to 1", () => {
  const probs = [0.1, 0.6, 0.3];
  assert.deepEqual(topOf(probs, ["a", "b", "c"], 2).map((t) => t.char), ["b", "c"]);
  assert.ok(Math.abs(sum(probs) - 1) < 1e-12);
});

test("the update-ratio bar is logarithmic: 10⁻³ sits in the middle", () => {
  assert.equal(ratioWidth(1e-3), 0.5);
  assert.equal(ratioWidth(1e-9), 0);
  assert.equal(ratioWidth(1), 1);
  assert.equal(ratioWidth(null), 0);
});


test("the page starts from a small model unless the URL says otherwise", () => {
  const where = readLocation("/", "?model=transformer&n_layer=3", null);
  assert.equal(where.model, "transformer");
  const config = gptDefaults(where.config);
  assert.equal(config.n_layer, 3);
  assert.equal(config.n_embd, PAGE_DEFAULTS.n_embd);
});
