// Issue 19 on the Scale page's pure parts: the utilization is given once (MFU or HFU) and both are
// shown, the published rows carry HFU and days, the implied utilization says it is this page's FLOP
// count, each setting's source (or "assumed") is listed, the verdict names the engine's advice rather
// than "does not fit on any number of these GPUs", and memory shows GiB beside decimal GB.
import "./served.mjs"; // answers the page's fetch of /api/schema (schema.js) with what the server serves
import { test } from "node:test";
import assert from "node:assert/strict";
import { readWhere, whereSearch, withSetting, buildRequest, UTILIZATIONS, ATTENTION_FLOPS } from "../../frontend/scale/where.js";
import { utilizationText } from "../../frontend/scale/compute.js";
import { impliedText, publishedRows, sourceRows } from "../../frontend/scale/published.js";
import { verdict } from "../../frontend/scale/memory.js";
import { fmtGiB } from "../../frontend/scale/units.js";

test("the utilization is given once: MFU or HFU", () => {
  assert.deepEqual(UTILIZATIONS, ["mfu", "hfu"]);
  assert.deepEqual(ATTENTION_FLOPS, ["full", "causal"]);
  let w = readWhere("?preset=bloom-176b&hfu=0.48&attn=causal");
  assert.equal(w.hardware.hfu, 0.48);
  assert.equal(w.training.attention_flops, "causal");
  w = withSetting(w, "hardware", "mfu", 0.36);
  assert.deepEqual(buildRequest(w).hardware, { mfu: 0.36 });
  w = withSetting(w, "hardware", "hfu", 0.5);
  assert.deepEqual(buildRequest(w).hardware, { hfu: 0.5 });
  assert.match(whereSearch(w), /hfu=0.5/);
  assert.doesNotMatch(whereSearch(w), /mfu=/);
  assert.equal(readWhere("?mfu=0.3&hfu=0.4").hardware.hfu, undefined); // both: the address keeps MFU
});

test("both utilizations are shown, and which was given", () => {
  assert.equal(utilizationText({ mfu: 0.3607, hfu: 0.4808, utilization_given: "hfu" }), "MFU 36.1% · HFU 48.1% (HFU given)");
  assert.equal(utilizationText({ mfu: 0.4 }), "");
});

test("published rows carry HFU and days; the implied utilization is this page's count", () => {
  const reply = {
    days: 85.0, hardware: { n_gpus: 3072, mfu: 0.39, hfu: 163 / 312 }, params: { total: 1.008e12 }, tokens: 450e9,
    published: { days: 84, hfu: 163 / 312, n_gpus: 3072, ratios: { days: 85 / 84, hfu: 1, n_gpus: 1 } },
  };
  const keys = publishedRows(reply).map((r) => r[0]);
  assert.deepEqual(keys, ["days", "n_gpus", "hfu"]);
  const text = impliedText({ implied_mfu: 0.4617, implied_hfu: 0.4731 });
  assert.match(text, /MFU of 46.2%/);
  assert.match(text, /HFU 47.3%/);
  assert.match(text, /this page's FLOP count/);
});

test("each setting's source, or assumed", () => {
  const rows = sourceRows({ sources: [
    { setting: "parallel.sp", value: false, source: "BigScience's training script" },
    { setting: "hardware.n_gpus", value: 1024, source: "assumed" },
    { setting: "training.tokens", value: 300e9, source: "GPT-3 paper" },
  ] });
  assert.deepEqual(rows, [["parallel.sp", "off", "BigScience's training script", false], ["hardware.n_gpus", "1024", "assumed", true],
    ["training.tokens", "3e11", "GPT-3 paper", false]]);
});

test("the verdict names the engine's advice when no dp fits", () => {
  const reply = {
    fits: false, min_gpus: null, memory_per_gpu: { total: 1.2e11 }, hardware: { memory_bytes: 40e9, name: "A100 40 GB", n_gpus: 16384 },
    advice: { summary: "blocked by the activations, 67.1 GB per GPU; the smallest setting that fits: tp 8 … = 184 GPUs" },
  };
  const v = verdict(reply);
  assert.match(v.text, /blocked by the activations, 67.1 GB/);
  assert.doesNotMatch(v.text, /any number of these GPUs/);
});

test("GiB beside decimal GB", () => {
  assert.equal(fmtGiB(80e9), "74.5 GiB");
});
