// A split run's page part (gpt/split.js) and the Scale page's "Run it here" (scale/holds.js): what they
// choose to show from the engine's state, in words; no number is made here.
import "./served.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";

const { bubbleText, bytesRows, ganttRows, holdsGridOf, memoryRows, rankLabel, segmentTag, splitOf, timeByKind } =
  await import("../../frontend/gpt/split.js");
const { runHere, holdsRowLabel } = await import("../../frontend/scale/holds.js");

const PP = { dp: 1, tp: 1, pp: 2, zero: 0, micro_batches: 4, schedule: "1f1b" };
const info = {
  parallel: {
    spec: PP, name: "pp2·1f1b×4",
    bubble: { formula: 0.2, measured: 0.25, per_rank: [0.3, 0.2] },
    bytes: [{ rank: 0, measured: { sendrecv: 4096 }, formula: { sendrecv: 4096 } },
            { rank: 1, measured: { sendrecv: 4096, allreduce: 8 }, formula: { sendrecv: 4096 } }],
    holds: { blocks: ["wte", "block 0", "lm_head"], ranks: [
      { rank: 0, coords: { dp: 0, pp: 0, tp: 0 }, cells: [{ params: 1, grads: 1, optimizer: 1 }, { params: 1, grads: 1, optimizer: 1 }, { params: 0, grads: 0, optimizer: 0 }] },
      { rank: 1, coords: { dp: 0, pp: 1, tp: 0 }, cells: [{ params: 0, grads: 0, optimizer: 0 }, { params: 0, grads: 0, optimizer: 0 }, { params: 1, grads: 1, optimizer: 1 }] }] },
    calculator: { params: 1000, grads: 1000, optimizer: 2000, gaps: ["the first stage also holds the embeddings"] },
  },
  timeline: [
    { rank: 0, segments: [{ kind: "compute", op: "forward", micro_batch: 0, t0: 0, t1: 0.01 }, { kind: "comm", op: "sendrecv", micro_batch: null, t0: 0.01, t1: 0.012 }] },
    { rank: 1, segments: [{ kind: "idle", op: "wait", micro_batch: null, t0: 0, t1: 0.011 }, { kind: "compute", op: "forward", micro_batch: 0, t0: 0.011, t1: 0.02 }] }],
  workers: [{ rank: 0, coords: { dp: 0, pp: 0, tp: 0 }, memory: { params: 1200, grads: 1200, optimizer: 2400, activations: 5000 } },
            { rank: 1, coords: { dp: 0, pp: 1, tp: 0 }, memory: { params: 800, grads: 800, optimizer: 1600, activations: 3000 } }],
};

test("a split run is tp, pp or ZeRO; plain data parallelism keeps the Workers panel's ring", () => {
  assert.deepEqual(splitOf(info), { name: "pp2·1f1b×4", spec: PP });
  assert.equal(splitOf({ parallel: { spec: { dp: 2, tp: 1, pp: 1, zero: 0 }, name: "dp2" } }), null);
  assert.equal(splitOf({ parallel: { spec: { dp: 2, tp: 1, pp: 1, zero: 1 }, name: "dp2·zero1" } })?.name, "dp2·zero1");
  assert.equal(splitOf(null), null);
});

test("the Gantt rows: one per rank, labelled by the split's dimensions, chunks tagged F/B, collectives by op", () => {
  const g = ganttRows(info);
  assert.equal(g.end, 0.02);
  assert.deepEqual(g.rows.map((r) => r.label), ["w0 · pp0", "w1 · pp1"]);
  assert.deepEqual(g.rows[0].segments.map((s) => s.tag), ["F0", "P2P"]);
  assert.equal(segmentTag({ kind: "compute", op: "backward", micro_batch: 3 }), "B3");
  assert.equal(segmentTag({ kind: "idle", op: "wait" }), "");
  assert.equal(rankLabel(3, { dp: 1, pp: 0, tp: 1 }, { dp: 2, tp: 2, pp: 1 }), "w3 · dp1 · tp1");
  const t = timeByKind(g.rows[1]);
  assert.ok(Math.abs(t.idle - 0.011) < 1e-12 && Math.abs(t.compute - 0.009) < 1e-12);
  assert.equal(ganttRows({ ...info, timeline: null }), null); // before a step: nothing drawn, no placeholder
});

test("the bubble: measured beside (p−1)/(m+p−1) with the run's p and m; none without a pipeline", () => {
  const b = bubbleText(info.parallel);
  assert.match(b.text, /^Bubble: 0\.25 measured · \(p−1\)\/\(m\+p−1\) = 0\.2$/);
  assert.match(b.detail, /w0 0\.3, w1 0\.2/);
  assert.match(b.detail, /\(2−1\)\/\(4\+2−1\) = 0\.2/);
  assert.equal(bubbleText({ ...info.parallel, spec: { ...PP, pp: 1 } }), null);
  assert.match(bubbleText({ ...info.parallel, bubble: { formula: 0.2, measured: null } }).text, /^Bubble: not measured yet · \(p−1\)\/\(m\+p−1\) = 0\.2$/);
});

test("bytes per step: each op measured beside the formula, flagged equal or not", () => {
  const rows = bytesRows(info.parallel);
  assert.deepEqual(rows.map((r) => [r.rank, r.op, r.equal]), [[0, "sendrecv", true], [1, "allreduce", false], [1, "sendrecv", true]]);
  assert.equal(rows[0].measuredText, "4.0 KiB");
});

test("who holds what and per-rank memory come from the engine's holds, memory and calculator", () => {
  const grid = holdsGridOf(info);
  assert.deepEqual(grid.blocks, ["wte", "block 0", "lm_head"]);
  assert.deepEqual(grid.rows.map((r) => r.label), ["w0 · pp0", "w1 · pp1"]);
  assert.equal(grid.rows[1].cells[2].params, 1);
  const mem = memoryRows(info);
  assert.deepEqual(mem.rows.map((r) => r.label), ["calculator", "w0 · pp0", "w1 · pp1"]);
  assert.deepEqual(mem.rows.map((r) => r.optimizer), ["2.0 KiB", "2.3 KiB", "1.6 KiB"]);
  assert.deepEqual(mem.gaps, ["the first stage also holds the embeddings"]);
  assert.equal(memoryRows({ ...info, workers: [{ rank: 0 }] }), null);
  // the engine's figure per pipeline stage (the first holds the embeddings, the last the head): a row each
  const per_rank = [{ rank: 0, params: 1200, grads: 1200, optimizer: 2400 }, { rank: 1, params: 800, grads: 800, optimizer: 1600 }];
  const staged = memoryRows({ ...info, parallel: { ...info.parallel, calculator: { ...info.parallel.calculator, per_rank } } });
  assert.deepEqual(staged.rows.map((r) => r.label), ["calculator · pp0", "calculator · pp1", "w0 · pp0", "w1 · pp1"]);
  assert.deepEqual(staged.rows.map((r) => r.optimizer), ["2.3 KiB", "1.6 KiB", "2.3 KiB", "1.6 KiB"]);
});

test("Run it here: the page's model split the same way, or the reason in words", () => {
  const live = { workers: 4, parallel: { dp: 2, tp: 2, pp: 1, zero: 0 }, config: { n_layer: 2, n_head: 2 }, refused: null };
  const ok = runHere(live, 4);
  assert.equal(ok.refused, null);
  assert.match(ok.href, /^\/\?model=transformer&n_layer=2&n_head=2&workers=4&parallel=dp:2,tp:2,pp:1,zero:0$/);
  assert.match(runHere(live, 2).refused, /needs 4 worker processes; this server allows 2 \(its --max-workers\)/);
  assert.match(runHere({ ...live, refused: "parallel.tp: tp 4 must divide n_head 2" }, 8).refused, /can't run this split: parallel\.tp/);
  assert.match(runHere({ ...live, workers: 1 }, 8).refused, /nothing to split/);
  assert.equal(holdsRowLabel({ rank: 5, coords: { dp: 0, pp: 1, tp: 1 } }, { dp: 1, tp: 2, pp: 4 }), "w5 · pp1 · tp1");
});
