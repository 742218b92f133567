// The Scale page's pure parts: the address (round trip, junk refused), the POST /api/scale body
// built from it (only what is set; a parallel layout carries its GPU count), the unit formatting,
// the figures split by panel, the memory bar and verdict, the published rows, and the measurement's
// create message and rows (the requester: scalerequest.test.mjs). The reply is a hand-written fixture that
// follows the contract (tests/frontend/fixtures/scale-llama-3.1-8b.json).
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  buildRequest, presetsQuery, readWhere, scaleHref, stepRung, transformerModel, whereSearch, withPreset, withSetting,
} from "../../frontend/scale/where.js";
import {
  fmtBytes, fmtCount, fmtDays, fmtEnergy, fmtFlops, fmtFlopsPrefixed, fmtHours, fmtParams, fmtPercent, fmtRatio, fmtSeconds,
  fmtUnit, fmtUsd,
} from "../../frontend/scale/units.js";
import { groupFigures, panelOf } from "../../frontend/scale/figures.js";
import { conventionText, memoryBar, verdict } from "../../frontend/scale/memory.js";
import { paramShares } from "../../frontend/scale/params.js";
import { publishedRows } from "../../frontend/scale/published.js";
import { tokenAxis } from "../../frontend/scale/compute.js";
import { MeasureRunner, createMessage, measureRows } from "../../frontend/scale/measure.js";
import { dividesText } from "../../frontend/scale/parallel.js";

const REPLY = JSON.parse(readFileSync(new URL("./fixtures/scale-llama-3.1-8b.json", import.meta.url), "utf8"));

// ---- the address -----------------------------------------------------------------------------------

test("an address with every setting reads back to the same settings and writes back the same", () => {
  const search = "?preset=llama-3.1-405b&n_kv_head=4&d_ff=20000&mlp=gelu&norm=layernorm&tied=1&tokens=15000000000000&mb=2"
    + "&precision=fp32&optimizer=adam8bit&recompute=full&dp=64&tp=8&pp=16&zero=3&sp=1&gpu=h200&mfu=0.38&usd=2.5&pue=1.1&gbps=3200&presenter=1";
  const w = readWhere(search);
  assert.equal(w.preset, "llama-3.1-405b");
  assert.deepEqual(w.model, { n_kv_head: 4, d_ff: 20000, mlp: "gelu", norm: "layernorm", tied_embeddings: true });
  assert.deepEqual(w.training, { tokens: 15e12, micro_batch: 2, precision: "fp32", optimizer: "adam8bit", recompute: "full" });
  assert.deepEqual(w.parallel, { dp: 64, tp: 8, pp: 16, zero: 3, sp: true });
  assert.deepEqual(w.hardware, { gpu: "h200", mfu: 0.38, usd_per_gpu_hour: 2.5, pue: 1.1, interconnect_gbps: 3200 });
  assert.equal(w.presenter, true);
  assert.equal(whereSearch(w), search);
  assert.deepEqual(readWhere(whereSearch(w)), w);
});

test("an empty address leaves every setting to the engine", () => {
  const w = readWhere("");
  assert.equal(w.preset, null);
  assert.deepEqual([w.model, w.training, w.parallel, w.hardware], [{}, {}, {}, {}]);
  assert.equal(whereSearch(w), "");
  assert.deepEqual(buildRequest(w), {});
});

test("junk in the address is dropped, not sent", () => {
  const w = readWhere("?preset=../../etc&dp=-2&tp=1.5&zero=7&gpu=tpu&precision=fp8&mfu=1.5&usd=-1&tokens=abc&n_layer=0&mlp=relu&tied=maybe");
  assert.equal(w.preset, null);
  assert.deepEqual([w.model, w.training, w.parallel, w.hardware], [{}, {}, {}, {}]);
  assert.equal(readWhere("?zero=0").parallel.zero, 0); // stage 0 is a real choice
  assert.equal(readWhere("?usd=0").hardware.usd_per_gpu_hour, 0); // free GPUs are a fine question
});

test("the Transformer page's link puts its model on the transformer rung", () => {
  const href = scaleHref({ n_layer: 2, n_head: 2, n_embd: 64, block_size: 32, task: "add", lr: 0.002, batch_size: 16 }, 23);
  assert.equal(href, "/scale?preset=transformer&n_layer=2&n_embd=64&n_head=2&block_size=32&vocab=23&task=add&batch_size=16");
  const w = readWhere(href.slice("/scale".length));
  assert.deepEqual(w.tf, { n_layer: 2, n_embd: 64, n_head: 2, block_size: 32, vocab: 23, batch_size: 16, task: "add" });
  assert.deepEqual(w.model, {});
  assert.deepEqual(w.training, {}); // its batch is the transformer rung's micro-batch, no other rung's
  assert.equal(presetsQuery(w), "?n_layer=2&n_embd=64&n_head=2&block_size=32&vocab=23");
  assert.deepEqual(buildRequest(w), { preset: "transformer", model: { n_layer: 2, d_model: 64, n_head: 2, seq_len: 32, vocab: 23 }, training: { micro_batch: 16 } });
  assert.equal(whereSearch(w), "?preset=transformer&n_layer=2&n_embd=64&n_head=2&block_size=32&vocab=23&batch_size=16&task=add");
  // Up the ladder the Transformer page's model stays the transformer rung (for the walk back) but
  // sends nothing: GPT-2 trains at its own micro-batch.
  const up = withPreset(w, "gpt2-small");
  assert.deepEqual(up.tf, w.tf);
  assert.deepEqual(buildRequest(up), { preset: "gpt2-small" });
  assert.equal(whereSearch(up), "?preset=gpt2-small");
  assert.equal(presetsQuery(up), "?n_layer=2&n_embd=64&n_head=2&block_size=32&vocab=23");
  // An explicit micro-batch wins over the page's batch.
  assert.deepEqual(buildRequest(withSetting(w, "training", "micro_batch", 4)).training, { micro_batch: 4 });
  // An unknown vocabulary stays out rather than being guessed.
  assert.equal(scaleHref({ n_layer: 1, n_head: 1, n_embd: 16, block_size: 8 }, undefined), "/scale?preset=transformer&n_layer=1&n_embd=16&n_head=1&block_size=8");
  assert.deepEqual(transformerModel({}), {});
});

test("the transformer rung's keys only mean its config on that rung", () => {
  const w = readWhere("?preset=gpt2-small&n_layer=6&n_embd=99&block_size=9");
  assert.deepEqual(w.tf, {});
  assert.deepEqual(w.model, { n_layer: 6 }); // n_embd and block_size are the Transformer page's names only
  assert.deepEqual(presetsQuery(w), "");
});

test("a new rung drops the model's edits and keeps every other setting", () => {
  let w = readWhere("?preset=gpt2-small&n_layer=6&dp=4&precision=fp32");
  w = withPreset(w, "llama-2-70b");
  assert.equal(w.preset, "llama-2-70b");
  assert.deepEqual(w.model, {});
  assert.deepEqual(w.parallel, { dp: 4 });
  assert.deepEqual(w.training, { precision: "fp32" });
  w = withSetting(w, "training", "recompute", "none");
  assert.deepEqual(w.training, { precision: "fp32", recompute: "none" });
  assert.equal(whereSearch(w), "?preset=llama-2-70b&precision=fp32&recompute=none&dp=4");
  w = withSetting(w, "training", "precision", undefined);
  assert.deepEqual(w.training, { recompute: "none" });
});

test("walking the ladder stops at its ends", () => {
  const names = ["neuron", "mlp", "transformer", "gpt2-small"];
  assert.equal(stepRung(names, "mlp", 1), "transformer");
  assert.equal(stepRung(names, "neuron", -1), "neuron");
  assert.equal(stepRung(names, "gpt2-small", 1), "gpt2-small");
  assert.equal(stepRung(names, null, 1), "neuron");
  assert.equal(stepRung(names, "custom", -1), "gpt2-small");
  assert.equal(stepRung([], "x", 1), null);
});

// ---- the request -----------------------------------------------------------------------------------

test("the request carries only what is set: the engine fills the rest from the rung", () => {
  const w = readWhere("?preset=llama-3.1-405b&dp=64&zero=1&sp=0&gpu=h100&precision=bf16_mixed&recompute=selective");
  // No tp, pp or GPU count: the preset's own layout stands, and the engine counts dp·tp·pp.
  assert.deepEqual(buildRequest(w), {
    preset: "llama-3.1-405b",
    training: { precision: "bf16_mixed", recompute: "selective" },
    parallel: { dp: 64, zero: 1, sp: false },
    hardware: { gpu: "h100" },
  });
  assert.equal(whereSearch(w), "?preset=llama-3.1-405b&precision=bf16_mixed&recompute=selective&dp=64&zero=1&sp=0&gpu=h100");
  // Model edits override the rung's fields.
  assert.deepEqual(buildRequest(readWhere("?preset=gpt2-small&n_layer=24&tied=0")), { preset: "gpt2-small", model: { n_layer: 24, tied_embeddings: false } });
});

test("the transformer rung sends its whole model from the presets list, edits on top", () => {
  const w = readWhere("?preset=transformer&n_layer=2&n_embd=64&n_head=2&block_size=32&vocab=23&mb=16&d_ff=300");
  const rung = { n_layer: 2, d_model: 64, n_head: 2, n_kv_head: 2, d_ff: 256, vocab: 23, seq_len: 32, mlp: "gelu", tied_embeddings: false, norm: "layernorm", bias: true, position: "learned", embed_norm: false, dropout: false };
  assert.deepEqual(buildRequest(w, rung), { preset: "transformer", model: { ...rung, d_ff: 300 }, training: { micro_batch: 16 } });
  // The small models' presets describe themselves by layer sizes: none of that is a request field.
  assert.deepEqual(buildRequest(readWhere("?preset=transformer"), { kind: "mlp", sizes: [2, 4, 1] }), { preset: "transformer" });
});

// ---- units ---------------------------------------------------------------------------------------

test("parameters, tokens and counts read as people say them", () => {
  assert.equal(fmtParams(2), "2");
  assert.equal(fmtParams(1281), "1,281");
  assert.equal(fmtParams(124439808), "124 M");
  assert.equal(fmtParams(8030261248), "8.03 B");
  assert.equal(fmtParams(405e9), "405 B");
  assert.equal(fmtParams(999.9e6), "1 B"); // not "1000 M"
  assert.equal(fmtUnit(15e12, "tokens"), "15 T tokens");
  assert.equal(fmtCount(16384), "16,384");
  assert.equal(fmtParams(null), "—");
  assert.equal(fmtParams(NaN), "—");
});

test("bytes are decimal: GB as GPU makers count them", () => {
  assert.equal(fmtBytes(8), "8 B");
  assert.equal(fmtBytes(12_300), "12.3 kB");
  assert.equal(fmtBytes(16060522496), "16.1 GB");
  assert.equal(fmtBytes(80e9), "80 GB");
  assert.equal(fmtBytes(6.48e12), "6.48 TB");
  assert.equal(fmtBytes(null), "—");
});

test("FLOPs, time, energy and money", () => {
  assert.equal(fmtFlops(3.14e23), "3.14×10²³ FLOP");
  assert.equal(fmtFlops(120), "120 FLOP");
  assert.equal(fmtFlopsPrefixed(3.14e23), "314 ZFLOP");
  assert.equal(fmtFlopsPrefixed(1.2e15), "1.2 PFLOP");
  assert.equal(fmtHours(30.84e6), "30.8 M h");
  assert.equal(fmtHours(512), "512 h");
  assert.equal(fmtDays(54.2), "54.2 days");
  assert.equal(fmtDays(0.5), "12 hours");
  assert.equal(fmtDays(770), "2.11 years (770 days)");
  assert.equal(fmtSeconds(0.0032), "3.2 ms");
  assert.equal(fmtSeconds(4.12), "4.12 s");
  assert.equal(fmtSeconds(720), "12 min");
  assert.equal(fmtEnergy(12.4), "12.4 kWh");
  assert.equal(fmtEnergy(1234), "1.23 MWh");
  assert.equal(fmtEnergy(0.32), "320 Wh");
  assert.equal(fmtUsd(0.42), "$0.42");
  assert.equal(fmtUsd(1.53e-6), "$1.53×10⁻⁶");
  assert.equal(fmtUsd(1234), "$1,234");
  assert.equal(fmtUsd(4.6e6), "$4.6 M");
  assert.equal(fmtUsd(1.2e9), "$1.2 B");
  assert.equal(fmtRatio(1.0234), "1.02×");
  assert.equal(fmtPercent(0.4), "40%");
  assert.equal(fmtUnit(null, "usd"), "—");
  assert.equal(fmtUnit(3, "furlongs"), "3");
});

// ---- figures -----------------------------------------------------------------------------------------

test("every figure lands in exactly one panel, in the reply's order; unknown keys go to compute", () => {
  const g = groupFigures(REPLY.figures);
  assert.deepEqual(g.params.map((f) => f.key), ["params.total", "params.attention", "params.mlp"]);
  assert.deepEqual(g.memory.map((f) => f.key), ["memory.weights", "memory.activations"]);
  assert.deepEqual(g.parallel.map((f) => f.key), ["comm.bytes_per_step"]);
  assert.deepEqual(g.compute.map((f) => f.key), ["compute.flops", "compute.days", "compute.cost_usd", "mystery.new"]);
  const total = Object.values(g).reduce((n, l) => n + l.length, 0);
  assert.equal(total, REPLY.figures.length);
  assert.equal(panelOf("memory.optimizer"), "memory");
  assert.deepEqual(groupFigures(null), { params: [], memory: [], parallel: [], compute: [] });
});

test("the parameter bar's shares add up to the whole", () => {
  const shares = paramShares(REPLY.params);
  assert.deepEqual(shares.map((s) => s[0]), ["embedding", "attention", "mlp", "norms", "head"]);
  const sum = shares.reduce((a, s) => a + s[4], 0);
  assert.ok(Math.abs(sum - 1) < 1e-12, sum);
  assert.deepEqual(paramShares({ total: 0 }), []);
});

// ---- memory -----------------------------------------------------------------------------------------

test("the memory bar spans the larger of the total and the GPU, and says when it overflows", () => {
  const bar = memoryBar(REPLY.memory_per_gpu, REPLY.hardware.memory_bytes);
  assert.equal(bar.over, true);
  assert.equal(bar.parts.length, 4);
  const widths = bar.parts.reduce((a, p) => a + p.width, 0);
  assert.ok(Math.abs(widths - 1) < 1e-12); // the total is the span
  assert.ok(bar.capacityAt < 1 && bar.capacityAt > 0.99);
  const small = memoryBar({ weights: 8, gradients: 8, optimizer: 16, activations: 0, total: 32 }, 80e9);
  assert.equal(small.over, false);
  assert.equal(small.capacityAt, 1);
  assert.deepEqual(small.parts.map((p) => p.key), ["weights", "gradients", "optimizer"]); // no empty slice
  assert.equal(memoryBar(null, 80e9), null);
});

test("the verdict is the engine's: fits, or needs at least N GPUs", () => {
  assert.equal(verdict(REPLY).cls, "over");
  assert.match(verdict(REPLY).text, /needs at least 16 GPUs \(now 8\)/);
  const fits = { ...REPLY, fits: true };
  assert.equal(verdict(fits).text, "fits: 80.7 GB of 80 GB on each NVIDIA H100 SXM 80 GB");
  assert.equal(verdict({ ...REPLY, fits: null }).text, "");
  assert.equal(conventionText(REPLY.bytes_per_param).split(".")[0], "2 + 2 + 12 = 16 bytes per parameter (weights + gradients + optimizer)");
});

test("the layout says what each degree divides", () => {
  const lines = dividesText({ dp: 8, tp: 2, pp: 4, zero: 3 });
  assert.match(lines[0], /ZeRO stage 3 splits the optimizer state, gradients and weights over the 8/);
  assert.match(lines[1], /÷ 2/);
  assert.match(lines[2], /1\/4 of the layers/);
});

test("Chinchilla's point and the run's tokens on one log axis", () => {
  const a = tokenAxis(1.5e13, 1.6e11);
  assert.ok(a.tokensAt > a.chinchillaAt && a.tokensAt < 1 && a.chinchillaAt > 0);
  assert.ok(Math.abs(a.times - 93.75) < 1e-9);
  assert.equal(tokenAxis(0, 1), null);
});

// ---- published ----------------------------------------------------------------------------------------

test("published rows: only the figures the paper gives, the engine's ratio beside them", () => {
  const rows = publishedRows(REPLY);
  assert.deepEqual(rows.map((r) => r[0]), ["params", "tokens", "gpu_hours"]);
  assert.deepEqual(rows[2], ["gpu_hours", "GPU-hours", "505 k h", "1.46 M h", "0.346×"]);
  assert.equal(rows[1][4], "—"); // no ratio from the engine: none drawn
  assert.deepEqual(publishedRows({ ...REPLY, published: null }), []);
});

// ---- measure ---------------------------------------------------------------------------------------------

test("Measure here creates the rung's own model at the settings on screen", () => {
  const reply = { preset: "transformer", model: { n_layer: 2, d_model: 64, n_head: 2, n_kv_head: 2, d_ff: 256, vocab: 23, seq_len: 32 }, training: { micro_batch: 16, optimizer: "adam" } };
  assert.deepEqual(createMessage("transformer", reply, { task: "add" }), {
    type: "create", model: "transformer", config: { batch_size: 16, optimizer: "adam", n_layer: 2, n_head: 2, n_embd: 64, block_size: 32, threads: 1, task: "add" },
  });
  // 8-bit Adam is the calculator's alone: the session trains with its own default, said in the reply's config.
  assert.deepEqual(createMessage("mlp", { training: { micro_batch: 10, optimizer: "adam8bit" } }), { type: "create", model: "mlp", config: { batch_size: 10 } });
  assert.deepEqual(createMessage("neuron", { training: { micro_batch: 1, optimizer: "momentum" } }), { type: "create", model: "neuron", config: { batch_size: 1, optimizer: "momentum" } });
  assert.deepEqual(createMessage("neuron", null), { type: "create", model: "neuron", config: {} });
  assert.equal(createMessage("llama-3.1-405b", reply), null);
});

const MEASURED = {
  type: "measure", step: 0, model: "transformer", config: { n_layer: 2 }, param_bytes: 400000, optimizer_bytes: 800000, grad_bytes: 400000,
  saved: { plain: 5e6, checkpoint: 1e6, bf16: null }, step_seconds: { plain: 0.02, checkpoint: 0.03 }, flops_per_step: 1e9,
  achieved_flops: 5e10, peak_flops: 1e11, mfu: 0.5,
  predicted: { param_bytes: 400000, optimizer_bytes: 800000, grad_bytes: 400000, saved: { plain: 4.8e6, checkpoint: 1.1e6 }, flops_per_step: 1.01e9 },
  notes: ["bf16 skipped on this CPU"], device: "cpu",
};

test("measured beside predicted: a row per quantity either side has, exact matches marked", () => {
  const rows = measureRows(MEASURED);
  const byPath = Object.fromEntries(rows.map((r) => [r[0], r]));
  assert.deepEqual(byPath.param_bytes, ["param_bytes", "parameters", "400 kB", "400 kB", true]);
  assert.deepEqual(byPath["saved.plain"], ["saved.plain", "saved for backward", "4.8 MB", "5 MB", false]);
  assert.deepEqual(byPath["step_seconds.plain"], ["step_seconds.plain", "step time", "—", "20 ms", false]);
  assert.equal(byPath["saved.bf16"], undefined); // neither side has it: no row of dashes
  assert.deepEqual(measureRows(null), []);
});

test("the measure runner: create, then measure on the session, then close; errors end it too", () => {
  const events = [];
  let handlers = null;
  const sentMsgs = [];
  let closed = 0;
  const open = (h) => {
    handlers = h;
    return { send: (m) => (sentMsgs.push(m), true), close: () => (closed += 1) };
  };
  const runner = MeasureRunner({ open, onChange: (r) => events.push(r.status), now: () => 0, timeoutMs: 10_000 });
  const create = { type: "create", model: "neuron", config: {} };
  assert.equal(runner.start("neuron", create), true);
  assert.equal(runner.start("neuron", create), false); // one at a time
  assert.deepEqual(handlers.hello(), create);
  handlers.onMessage({ type: "session", id: "K7QXP" });
  assert.deepEqual(sentMsgs, [{ type: "measure" }]);
  handlers.onMessage({ type: "state" });
  handlers.onMessage(MEASURED);
  assert.deepEqual(events, ["connecting", "measuring", "done"]);
  assert.equal(closed, 1);
  assert.equal(runner.busy(), false);

  runner.start("mlp", create);
  handlers.onMessage({ type: "error", message: "busy" });
  assert.equal(events.at(-1), "error");
  assert.equal(closed, 2);
  runner.start("mlp", create);
  handlers.onStatus("closed");
  assert.equal(events.at(-1), "error");
  assert.equal(closed, 3);
});
