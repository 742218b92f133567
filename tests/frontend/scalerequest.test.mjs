// The Scale page's requester (frontend/api.js): one question to the engine in flight, the
// newest settings win, stale answers are dropped; answers kept and asked ahead (a number as it is
// typed and its arrow-key steps first, then the settings one click away) are drawn at once. Driven
// by hand-answered promises, no socket.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { Requester, errorDetail } from "../../frontend/api.js";
import { oneClickAway, readWhere, whereSearch } from "../../frontend/scale/where.js";

function deferred() {
  let resolve;
  const p = new Promise((r) => (resolve = r));
  return { p, resolve };
}
const tick = () => new Promise((r) => setTimeout(r, 0));
const ok = (n) => ({ ok: true, status: 200, json: { n } });

/** A requester whose questions ({n}) the test answers by hand: what was sent, each one's pending
 * answer and abort signal, and what was drawn as [n, cached]. */
function answeredByHand() {
  const out = { sent: [], pending: [], drawn: [], signals: [] };
  out.req = Requester({
    post: (body, signal) => {
      out.sent.push(body.n);
      out.signals.push(signal);
      const d = deferred();
      out.pending.push(d);
      return d.p;
    },
    onReply: (json, body, ms, cached) => out.drawn.push([json.n, cached]),
    onError: () => {},
  });
  return out;
}

test("one request in flight; changes meanwhile collapse to the newest, and stale answers are dropped", async () => {
  const sent = [];
  const pending = [];
  const drawn = [];
  const req = Requester({
    post: (body) => {
      sent.push(body);
      const d = deferred();
      pending.push(d);
      return d.p;
    },
    onReply: (json, body) => drawn.push([json.n, body.n]),
    onError: (d) => drawn.push(["error", d]),
  });
  req.want({ n: 1 });
  req.want({ n: 2 });
  req.want({ n: 3 });
  assert.deepEqual(sent.map((b) => b.n), [1]); // one in flight
  assert.equal(req.busy(), true);
  pending[0].resolve({ ok: true, status: 200, json: { n: 1 } });
  await tick();
  assert.deepEqual(drawn, []); // the answer to 1 is stale: 3 was asked since
  assert.deepEqual(sent.map((b) => b.n), [1, 3]); // 2 was never sent
  pending[1].resolve({ ok: true, status: 200, json: { n: 3 } });
  await tick();
  assert.deepEqual(drawn, [[3, 3]]);
  assert.equal(req.busy(), false);
  req.want({ n: 4 });
  pending[2].resolve({ ok: false, status: 422, json: { detail: [{ loc: ["body", "parallel", "dp"], msg: "dp·tp·pp = 12 ≠ n_gpus = 8" }] } });
  await tick();
  assert.deepEqual(drawn[1], ["error", "parallel.dp: dp·tp·pp = 12 ≠ n_gpus = 8"]);
});

test("answers asked ahead are drawn at once, from the engine's own reply; a new change drops the rest", async () => {
  const { req, sent, pending, drawn, signals } = answeredByHand();
  req.want({ n: 1 });
  pending[0].resolve(ok(1));
  await tick();
  assert.deepEqual(drawn, [[1, false]]);
  req.prefetch([{ n: 2 }, { n: 3 }, { n: 1 }]); // 1 is already known: not asked again
  assert.deepEqual(sent, [1, 2]); // one at a time
  pending[1].resolve(ok(2));
  await tick();
  assert.deepEqual(sent, [1, 2, 3]);
  assert.deepEqual(drawn, [[1, false]]); // asked ahead: not drawn
  req.want({ n: 2 }); // one click away: drawn at once, no request
  assert.deepEqual(drawn.at(-1), [2, true]);
  req.want({ n: 4 }); // while 3 (ahead) is out: 3 is given up, 4 goes at once
  assert.deepEqual(sent, [1, 2, 3, 4]);
  assert.equal(signals[2].aborted, true);
  pending[2].resolve(ok(3)); // an answer to the abandoned guess changes nothing
  await tick();
  assert.deepEqual(drawn.at(-1), [2, true]);
  assert.equal(req.cached({ n: 3 }), false);
  req.prefetch([{ n: 5 }]);
  assert.deepEqual(sent, [1, 2, 3, 4]); // nothing ahead while the real request is out
  pending[3].resolve(ok(4));
  await tick();
  assert.deepEqual(drawn.at(-1), [4, false]);
  assert.deepEqual(sent, [1, 2, 3, 4, 5]); // now the one ahead
  assert.equal(signals[3].aborted, false); // a real request is never given up
  req.want({ n: 2 }); // known: drawn at once even while 5 is out …
  assert.deepEqual(drawn.at(-1), [2, true]);
  pending[4].resolve(ok(5));
  await tick();
  assert.deepEqual(drawn.at(-1), [2, true]); // … and 5's answer does not replace it
  assert.equal(req.cached({ n: 5 }), true);
});

test("a number being typed is asked first; committed while its answer is on the way, that answer is drawn, not asked again", async () => {
  const { req, sent, pending, drawn, signals } = answeredByHand();
  req.want({ n: 0 });
  pending[0].resolve(ok(0));
  await tick();
  req.prefetch([{ n: 100 }, { n: 101 }]); // one click away, while idle
  assert.deepEqual(sent, [0, 100]);
  req.guess([{ n: 1 }, { n: 2 }]); // "1" typed: its answer beats the idle guesses to the line
  assert.equal(signals[1].aborted, true);
  assert.deepEqual(sent, [0, 100, 1]);
  req.guess([{ n: 12 }, { n: 13 }]); // "12": the answer to "1" is no longer wanted first
  assert.equal(signals[2].aborted, true);
  assert.deepEqual(sent, [0, 100, 1, 12]);
  req.prefetch([{ n: 100 }, { n: 101 }]); // a reply's idle list does not push the typed value back
  req.want({ n: 12 }); // Enter while 12 is out: no second request, nothing drawn yet
  assert.deepEqual(sent, [0, 100, 1, 12]);
  assert.equal(signals[3].aborted, false);
  assert.deepEqual(drawn, [[0, false]]);
  pending[2].resolve(ok(1)); // the given-up answer to "1" is never drawn
  pending[3].resolve(ok(12));
  await tick();
  assert.deepEqual(drawn, [[0, false], [12, false]]);
  assert.deepEqual(sent, [0, 100, 1, 12]); // the guesses and the idle list went with the commit

  req.guess([{ n: 13 }, { n: 11 }]); // the focused box's arrow-key steps, asked ahead …
  assert.deepEqual(sent, [0, 100, 1, 12, 13]);
  req.prefetch([{ n: 200 }]);
  pending[4].resolve(ok(13));
  await tick();
  assert.deepEqual(sent, [0, 100, 1, 12, 13, 11]); // … guesses first, then the idle list
  pending[5].resolve(ok(11));
  await tick();
  assert.deepEqual(sent, [0, 100, 1, 12, 13, 11, 200]);
  req.want({ n: 13 }); // ↑: drawn at once from the engine's answer
  assert.deepEqual(drawn.at(-1), [13, true]);
  pending[6].resolve(ok(200));
  await tick();
  assert.deepEqual(drawn.at(-1), [13, true]); // the idle guess still out is kept, not drawn
  assert.equal(req.cached({ n: 200 }), true);
});

test("one click away: the rungs beside this one, then each other choice the model has", () => {
  const rungs = ["neuron", "mlp", "transformer", "gpt2-small"];
  const w = readWhere("?preset=gpt2-small&dp=4");
  const big = { training: { precision: "bf16_mixed", recompute: "selective", optimizer: "adam" }, parallel: { zero: 1, sp: false }, hardware: { gpu: "h100" } };
  const near = oneClickAway(w, big, rungs);
  assert.equal(near[0].preset, "transformer"); // no rung above the top one
  assert.deepEqual(near[0].parallel, { dp: 4 });
  const sets = near.slice(1).map((x) => whereSearch(x).replace("?preset=gpt2-small", ""));
  assert.ok(sets.includes("&precision=fp32&dp=4"));
  assert.ok(!sets.some((x) => x.includes("precision=bf16_mixed"))); // the choice on screen is not asked again
  assert.ok(sets.includes("&dp=4&zero=3") && sets.includes("&dp=4&gpu=rtx-4090") && sets.includes("&dp=4&sp=1"));
  assert.equal(near.length, 1 + 4 + 1 + 2 + 3 + 5 + 1); // rungs, optimizers, precision, recompute, zero, gpus, sp
  // A neuron has no GPU: only its rungs and its optimizer.
  const small = oneClickAway(readWhere("?preset=neuron"), { training: { optimizer: "sgd" }, parallel: null, hardware: null }, rungs);
  assert.deepEqual(small.map((x) => whereSearch(x)), ["?preset=mlp", "?preset=neuron&optimizer=adam", "?preset=neuron&optimizer=adamw", "?preset=neuron&optimizer=adam8bit", "?preset=neuron&optimizer=momentum"]);
});

test("a refusal is one line naming the field", () => {
  assert.equal(errorDetail({ detail: "unknown preset 'x'" }, 422), "unknown preset 'x'");
  assert.equal(errorDetail({ detail: [{ loc: ["body", "model", "n_head"], msg: "must divide d_model" }, { loc: ["body"], msg: "bad" }] }, 422),
    "model.n_head: must divide d_model; bad");
  assert.equal(errorDetail(null, 500), "the server answered 500");
});
