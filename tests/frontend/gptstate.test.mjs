// The transformer page's pure parts: its reducer slice (gpt/gptstate.js), through the app's own
// reduce() so the wiring in state.js is covered too.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  appendSeries, ATTENTION_KEEP, attentionMap, CLIP_WINDOW, defaultProbe, evalSeries, glyph, glyphText,
  initialGpt, rawChar, reduceGpt, SAMPLES_KEEP, shownAttention, shownChar, tokenize,
} from "../../frontend/gpt/gptstate.js";
import { initialState, reduce } from "../../frontend/state.js";

const VOCAB = ["\\n", "␠", "+", "0", "1", "2", "3", "4", "9", ":", "?", "A", "Q", "T", "a", "e", "h", "s", "t"];

function session(model = "transformer") {
  return { type: "session", id: "K7QXP", model, role: "owner", config: { block_size: 32 }, plan: [{ stage: "input" }, { stage: "update" }] };
}

function gptState(step, ev, extra = {}) {
  return {
    type: "state", step, params: {}, lr: 0.001, loss: ev?.train ?? null, playing: false, cursor: null,
    gpt: { phase: "pretrain", eval: ev, eval_step: step, switches: [], tokens_per_s: 1000, ...extra },
  };
}

/** An attention frame as api.js hands it over: header + tensors (Float32Array, C order). */
function attention(step, L = 2, H = 2, T = 3) {
  const data = new Float32Array(L * H * T * T);
  for (let m = 0; m < L * H; m++) {
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) data[m * T * T + i * T + j] = 1 / (i + 1);
  }
  return { type: "attention", header: { type: "attention", step, tokens: ["T", "h", "e"].slice(0, T) }, tensors: { weights: { shape: [L, H, T, T], data } } };
}

function started() {
  let s = reduce(initialState(), session());
  s = reduce(s, { type: "dataset", kind: "text", vocab: VOCAB, excerpt: "****\nThe test: a hat is set at the east.\n", task_examples: ["Q: 1+2? A: 3"], finetune_task: "add" });
  return reduce(s, gptState(0, { train: 4.5, val: 4.6, task_train: 4.4, task_val: 4.5 }));
}

test("the slice starts inactive, and only a transformer session switches it on", () => {
  assert.equal(initialState().gpt.active, false);
  assert.equal(reduce(initialState(), session("mlp")).gpt.active, false);
  const s = started();
  assert.equal(s.gpt.active, true);
  assert.deepEqual(s.gpt.evals, [{ step: 0, phase: "pretrain", train: 4.5, val: 4.6, task_train: 4.4, task_val: 4.5 }]);
  // An inactive slice ignores the transformer's messages.
  const other = reduce(reduce(initialState(), session("mlp")), attention(3));
  assert.equal(other.gpt.attention.length, 0);
});

test("attention frames: kept oldest first, capped, one map read out by layer and head", () => {
  let s = started();
  for (let k = 1; k <= ATTENTION_KEEP + 5; k++) s = reduce(s, attention(k));
  const frames = s.gpt.attention;
  assert.equal(frames.length, ATTENTION_KEEP);
  assert.equal(frames[0].step, 6);
  assert.equal(shownAttention(s.gpt).step, ATTENTION_KEEP + 5);
  const map = attentionMap(frames[0], 1, 1);
  assert.equal(map.length, 9);
  for (let i = 0; i < 3; i++) {
    const row = [...map.slice(i * 3, i * 3 + 3)];
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, "each row sums to 1");
    for (let j = i + 1; j < 3; j++) assert.equal(row[j], 0, "the future is masked");
  }
  assert.equal(attentionMap(frames[0], 2, 0), null);
  assert.equal(s.gpt.replies.attention, ATTENTION_KEEP + 5);
});

test("the time-lapse shows the chosen step, and falls back to live when that frame is dropped", () => {
  let s = started();
  for (let k = 1; k <= 3; k++) s = reduce(s, attention(k * 10));
  s = reduce(s, { type: "_gpt", ui: { lapse: 20 } });
  assert.equal(shownAttention(s.gpt).step, 20);
  for (let k = 4; k <= ATTENTION_KEEP + 2; k++) s = reduce(s, attention(k * 10));
  assert.equal(s.gpt.ui.lapse, null);
  assert.equal(shownAttention(s.gpt).step, (ATTENTION_KEEP + 2) * 10);
});

test("probs, samples and per-character losses land where the views read them", () => {
  let s = started();
  const probs = [0.5, 0.25, 0.25, ...Array(VOCAB.length - 3).fill(0)];
  s = reduce(s, { type: "probs", step: 4, context: "Th", vocab: VOCAB, probs, top: [{ char: "\\n", p: 0.5 }] });
  assert.equal(s.gpt.probs.probs.reduce((a, b) => a + b, 0), 1);
  for (let k = 0; k < SAMPLES_KEEP + 3; k++) s = reduce(s, { type: "sample", step: k, prompt: "\n", text: `text ${k}` });
  assert.equal(s.gpt.samples.length, SAMPLES_KEEP);
  assert.equal(s.gpt.samples.at(-1).text, `text ${SAMPLES_KEEP + 2}`);
  s = reduce(s, { type: "char_loss", step: 5, chars: ["T", "h", "e"], loss: [null, 1.5, 0.5], mean: 1 });
  assert.deepEqual(s.gpt.charLoss.The.loss, [null, 1.5, 0.5]);
  assert.deepEqual(s.gpt.replies, { attention: 0, probs: 1, sample: SAMPLES_KEEP + 3, char_loss: 1, optimizer_state: 0 });
});

test("evaluated losses form one series across both phases; the switch marks it", () => {
  let s = started();
  s = reduce(s, gptState(100, { train: 2.5, val: 2.6, task_train: 4.5, task_val: 4.6 }));
  s = reduce(s, gptState(150, { train: 2.5, val: 2.6, task_train: 4.5, task_val: 4.6 }, { eval_step: 100 })); // no new evaluation
  assert.equal(s.gpt.evals.length, 2);
  const sw = { type: "phase", step: 150, to: "finetune", samples: { text: "the th", task: "1+1? A: 9" }, eval: { train: 2.4, val: 2.5, task_train: 4.4, task_val: 4.5 } };
  s = reduce(s, sw);
  assert.equal(s.gpt.phase, "finetune");
  assert.equal(s.gpt.switches.length, 1);
  // The state after the switch repeats it (from the server's list): still one marker.
  s = reduce(s, gptState(150, sw.eval, { phase: "finetune", switches: [{ step: 150, to: "finetune", samples: sw.samples, eval: sw.eval }] }));
  assert.equal(s.gpt.switches.length, 1);
  s = reduce(s, gptState(250, { train: 3.9, val: 4.0, task_train: 1.2, task_val: 1.3 }, { phase: "finetune", switches: s.gpt.switches }));
  assert.deepEqual(s.gpt.evals.map((e) => [e.step, e.phase]), [[0, "pretrain"], [100, "pretrain"], [150, "finetune"], [250, "finetune"]]);
  // Forgetting: A's held-out loss rises while B's falls.
  assert.deepEqual(evalSeries(s.gpt.evals, "val").map((p) => p.value), [4.6, 2.6, 2.5, 4.0]);
  assert.deepEqual(evalSeries(s.gpt.evals, "task_val", 150).map((p) => p.step), [150, 250]);
});

test("metrics: batch losses, gradient norms and clip events accumulate", () => {
  let s = started();
  s = reduce(s, { type: "metrics", step: 3, steps: [1, 2, 3], losses: [4.5, 4.4, null], grad_norms: [2, 1.5, 0.5], clipped: [1, 2] });
  assert.deepEqual(s.gpt.losses, { steps: [1, 2], values: [4.5, 4.4] });
  assert.deepEqual(s.gpt.gradNorms.values, [2, 1.5, 0.5]);
  assert.deepEqual(s.gpt.clip, { total: 2, steps: 3, recent: [1, 1, 0] });
  const steps = Array.from({ length: CLIP_WINDOW + 10 }, (_, i) => i + 4);
  s = reduce(s, { type: "metrics", step: steps.at(-1), steps, losses: steps.map(() => 3), grad_norms: steps.map(() => 1), clipped: [] });
  assert.equal(s.gpt.clip.recent.length, CLIP_WINDOW);
  assert.equal(s.gpt.clip.recent.reduce((a, b) => a + b, 0), 0);
});

test("a long run is thinned by averaging pairs, never by dropping its start", () => {
  let series = { steps: [], values: [] };
  const steps = Array.from({ length: 9 }, (_, i) => i + 1);
  series = appendSeries(series, steps, steps.map((v) => v * 10), 4);
  assert.ok(series.steps.length <= 4);
  assert.equal(series.steps.at(-1), 9);
  assert.equal(series.values[0], 25, "the first pairs are averaged: (10+20)/2, then with (30+40)/2");
});

test("a reset (new dataset, or the step going back) clears the series but keeps the page's choices", () => {
  let s = started();
  s = reduce(s, { type: "_gpt", ui: { probe: "Q: 1+2", temperature: 0.5 } });
  s = reduce(s, attention(5));
  s = reduce(s, gptState(200, { train: 2, val: 2, task_train: 4, task_val: 4 }));
  s = reduce(s, gptState(0, { train: 4.5, val: 4.6, task_train: 4.4, task_val: 4.5 }));
  assert.equal(s.gpt.attention.length, 0);
  assert.equal(s.gpt.evals.length, 1);
  assert.equal(s.gpt.ui.probe, "Q: 1+2");
  assert.equal(s.gpt.ui.temperature, 0.5);
  s = reduce(s, attention(6));
  s = reduce(s, { type: "dataset", kind: "text", vocab: VOCAB });
  assert.equal(s.gpt.attention.length, 0);
});

test("Adam's history belongs to one weight: choosing another clears it", () => {
  let s = started();
  for (const t of [1, 2, 3]) s = reduce(s, { type: "optimizer_state", step: t, state: { value: 0.1, grad: 0.01, step: t, exp_avg: 0.001 * t, exp_avg_sq: 1e-6 * t } });
  assert.equal(s.gpt.optHistory.length, 3);
  s = reduce(s, { type: "optimizer_state", step: 3, state: { value: 0.2, step: 3, exp_avg: 0.5, exp_avg_sq: 1 } });
  assert.equal(s.gpt.optHistory.length, 3, "the same step replaces its row");
  s = reduce(s, { type: "_gpt", ui: { weight: { name: "lm_head.weight", index: [0, 0] } } });
  assert.equal(s.gpt.optHistory.length, 0);
  assert.equal(s.gpt.opt, null);
});

test("the tokenizer: ids are places in the vocabulary; unknown characters are flagged", () => {
  const t = tokenize("Th e", VOCAB);
  assert.deepEqual(t.tokens.map((x) => x.id), [13, 16, 1, 15]);
  assert.deepEqual(t.tokens.map((x) => x.char), ["T", "h", "␣", "e"]);
  assert.equal(t.ok, true);
  const bad = tokenize("Thé", VOCAB);
  assert.equal(bad.ok, false);
  assert.equal(bad.tokens[2].id, null);
  assert.equal(tokenize("", VOCAB).ok, false);
  assert.equal(rawChar("\\n"), "\n");
  assert.equal(rawChar("␠"), " ");
  assert.equal(rawChar("␣"), " ");
  assert.equal(shownChar("\n"), "\\n");
  assert.equal(glyph("␠"), "␣");
  assert.equal(glyphText("'␠' → 1"), "'␣' → 1");
});

test("the default probe: a line of prose that fits the context; a task question when fine-tuning", () => {
  const d = { excerpt: 'The "assert" statement\n*********************\n\nAssert statements are a convenient way to insert debugging assertions\n', task_examples: ["Q: 42+31? A: 73"] };
  assert.equal(defaultProbe(d, "pretrain", 64), 'The "assert" statement');
  assert.equal(defaultProbe({ excerpt: "x\nAssert statements are a convenient way to insert\n" }, "pretrain", 32), "Assert statements are a");
  assert.equal(defaultProbe(d, "finetune", 32), "Q: 42+31? A: 73");
  assert.equal(defaultProbe(null, "pretrain"), "");
});

test("the UI slice survives a new session of the same page (a fork keeps your probe)", () => {
  let g = reduceGpt(initialGpt(), { type: "session", model: "transformer" });
  g = reduceGpt(g, { type: "_gpt", ui: { probe: "abc", lapse: 40 } });
  g = reduceGpt(g, { type: "session", model: "transformer" });
  assert.equal(g.ui.probe, "abc");
  assert.equal(g.ui.lapse, null);
});
