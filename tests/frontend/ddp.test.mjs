// Data-parallel helpers: the ring all-reduce's schedule, the Workers panel's rows, the lost spans.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesText, lostSpans, replicasAgree, resumeAfterLoss, ringSchedule, workerRows } from "../../frontend/gpt/ddp.js";
import { initialGpt, reduceGpt } from "../../frontend/gpt/gptstate.js";

test("ring all-reduce: 2(n−1) steps; every chunk is reduced by all n workers, then reaches all of them", () => {
  for (const n of [2, 3, 4]) {
    const steps = ringSchedule(n);
    assert.equal(steps.length, 2 * (n - 1));
    // reduce-scatter: follow the partial sums; after n−1 steps worker (c−1) mod n holds chunk c complete
    const has = [...Array(n).keys()].map((r) => [...Array(n).keys()].map((c) => new Set([r])));
    for (const p of steps.filter((s) => s.kind === "reduce-scatter")) {
      const sent = p.sends.map((s) => [s.to, s.chunk, new Set(has[s.from][s.chunk])]);
      for (const [to, c, got] of sent) for (const x of got) has[to][c].add(x);
    }
    for (let c = 0; c < n; c++) assert.equal(has[(c - 1 + n) % n][c].size, n, `chunk ${c} complete`);
    // all-gather: each worker sends the chunk it has complete, round the ring
    const done = [...Array(n).keys()].map((r) => new Set([(r + 1) % n]));
    for (const p of steps.filter((s) => s.kind === "all-gather")) {
      for (const s of p.sends) assert.ok(done[s.from].has(s.chunk), "only complete chunks travel");
      for (const s of p.sends) done[s.to].add(s.chunk);
    }
    for (const d of done) assert.equal(d.size, n);
  }
});

test("worker rows, agreement and lost spans come from the state as sent", () => {
  const info = {
    workers: [
      { rank: 0, pid: 11, alive: true, stage: "ready", param_checksum: "abc", loss: 3.5, tokens_per_s: 2000 },
      { rank: 1, pid: 12, alive: true, stage: "torch imported", param_checksum: null, loss: null, tokens_per_s: null },
    ],
    ddp: { lost: [{ ranks: [1], from_step: 4, to_step: 6 }] },
  };
  const rows = workerRows(info);
  assert.equal(rows[0].progress, 1);
  assert.equal(rows[1].progress, 0.5);
  assert.equal(rows[1].loss, null);
  assert.equal(replicasAgree(info), true);
  assert.equal(replicasAgree({ workers: [{ param_checksum: "a" }, { param_checksum: "b" }] }), false);
  assert.equal(replicasAgree({ workers: [] }), null);
  assert.deepEqual(lostSpans(info), [{ from: 4, to: 6, ranks: [1] }]);
  assert.equal(bytesText(64384), "62.9 KiB");
});

test("a resume from a checkpoint keeps the curve up to it and sets the lost steps apart", () => {
  let g = { ...initialGpt(), active: true };
  g = reduceGpt(g, { type: "state", step: 6, gpt: { phase: "pretrain", eval: {}, eval_step: -1, switches: [] } });
  g = reduceGpt(g, { type: "metrics", step: 6, steps: [1, 2, 3, 4, 5, 6], losses: [6, 5, 4, 3, 2, 1] });
  const lost = [{ ranks: [1], from_step: 4, to_step: 6 }];
  g = reduceGpt(g, { type: "state", step: 4, gpt: { phase: "pretrain", eval: {}, eval_step: -1, switches: [], ddp: { lost } } });
  assert.deepEqual(g.losses.steps, [1, 2, 3, 4]);
  assert.deepEqual(g.lostLosses, { steps: [5, 6], values: [2, 1] });
  // a plain reset (no lost entry) still clears
  g = reduceGpt(g, { type: "state", step: 0, gpt: { phase: "pretrain", eval: {}, eval_step: -1, switches: [] } });
  assert.deepEqual(g.losses.steps, []);
});

test("each worker's loss is kept per step from the states, once per step", () => {
  let g = { ...initialGpt(), active: true };
  const st = (step, losses) => ({ type: "state", step, gpt: { phase: "pretrain", eval: {}, eval_step: -1, switches: [],
    workers: losses.map((loss, rank) => ({ rank, loss })) } });
  g = reduceGpt(g, st(1, [3, 4]));
  g = reduceGpt(g, st(1, [3, 4]));
  g = reduceGpt(g, st(5, [2, 2.5]));
  assert.deepEqual(g.workerLosses.map((s) => s.values), [[3, 2], [4, 2.5]]);
  assert.deepEqual(g.workerLosses[0].steps, [1, 5]);
  g = reduceGpt(g, st(6, [null, null]));  // starting again: nothing new
  assert.deepEqual(g.workerLosses[1].steps, [1, 5]);
});

test("the one-process overlay keeps each step once, however many states repeat it", () => {
  let g = { ...initialGpt(), active: true };
  const st = (step, steps) => ({ type: "state", step, gpt: { phase: "pretrain", eval: {}, eval_step: -1, switches: [],
    ddp: { lost: [], one_worker: { steps, losses: steps.map((s) => 10 - s) } } } });
  g = reduceGpt(g, st(2, [1, 2]));
  g = reduceGpt(g, st(3, [1, 2, 3]));
  g = reduceGpt(g, st(3, [1, 2, 3]));
  assert.deepEqual(g.oneWorker, { steps: [1, 2, 3], values: [9, 8, 7] });
});

test("a worker lost while playing: play again once a state says the workers are ready (issue 22)", () => {
  const lost = { type: "error", code: "worker_lost", message: "Lost worker 1 (pid 4242) at step 5." };
  const starting = { type: "state", step: 4, playing: false, gpt: { ddp: { ready: false } } };
  const ready = { type: "state", step: 4, playing: false, gpt: { ddp: { ready: true } } };
  let r = resumeAfterLoss(false, true, lost);
  assert.deepEqual(r, { resume: true, play: false });
  r = resumeAfterLoss(r.resume, false, starting);
  assert.deepEqual(r, { resume: true, play: false }, "not while the new workers start");
  r = resumeAfterLoss(r.resume, false, ready);
  assert.deepEqual(r, { resume: false, play: true });
  assert.deepEqual(resumeAfterLoss(r.resume, false, ready), { resume: false, play: false }, "once");
  assert.deepEqual(resumeAfterLoss(false, false, lost), { resume: false, play: false }, "a paused run stays paused");
  assert.deepEqual(resumeAfterLoss(true, false, { ...ready, playing: true }), { resume: false, play: false }, "already playing");
});
