// The page's one refusal path (frontend/refusal.js): for each kind of request the server may refuse
// (create, configure, switch, load, join, scale queries) the error is matched to its request, the
// setting it names is found, and the state keeps the reason until that setting changes. The error
// texts are the server's (dispatch.py describe, runner.py explain, protocol.py validate_config);
// tests/e2e/test_refusal_page.py drives the real server with them.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { KINDS, Refusals, clearRefusals, noteRefusal, refusalText, refusedKey, scaleRefusal, unreadRefusal, withoutRefused } from "../../frontend/refusal.js";
import { initialState, reduce } from "../../frontend/state.js";

const err = (message, code = "bad_message") => ({ type: "error", message, code });
const session = { type: "session", id: "K7QXP", model: "line", role: "owner", config: { lr: 0.02, batch_size: 4 }, plan: [] };

test("the setting a refusal names, in each form the server writes it", () => {
  assert.equal(refusedKey("config.lr: Input should be less than or equal to 10"), "lr"); // create (describe, prefix config)
  assert.equal(refusedKey("config lr: Input should be less than or equal to 10"), "lr"); // configure (runner.explain)
  assert.equal(refusedKey("config workers: 4 workers asked for; this server allows at most 2 (its --max-workers)"), "workers");
  assert.equal(refusedKey("The saved run 'ab12' cannot be loaded: config.batch_size: Input should be greater than or equal to 1"), "batch_size");
  assert.equal(refusedKey("Room K7QXP is full"), null);
  assert.deepEqual([...KINDS], ["create", "configure", "switch", "load", "join", "scale"]);
});

test("create: the refusal answers the create, and the run starts again without the refused setting", () => {
  const r = Refusals();
  const create = { type: "create", model: "line", config: { batch_size: 0, seed: 3 } };
  r.sent(create);
  const got = r.heard(err("config.batch_size: Input should be greater than or equal to 1"));
  assert.equal(got.kind, "create");
  assert.equal(got.key, "batch_size");
  assert.deepEqual(withoutRefused(create.config, got), { seed: 3 });
  assert.equal(withoutRefused({ seed: 3 }, got), null, "nothing to take out: no retry loop");
  assert.equal(r.heard(err("config.batch_size: again")), null, "answered once");
});

test("configure: matched by the setting it names even after states of earlier steps, and the field goes back", () => {
  const r = Refusals();
  r.sent({ type: "configure", config: { lr: 100 } }, { lr: 0.02, batch_size: 4 });
  assert.equal(r.heard({ type: "state", step: 7 }), null);
  assert.equal(r.heard(err("config seed: something else")), null, "another setting's error is not this configure's");
  const got = r.heard(err("config lr: Input should be less than or equal to 10"));
  assert.equal(got.kind, "configure");
  assert.deepEqual(got.before, { lr: 0.02 });
  let s = reduce(reduce(initialState(), session), { type: "_configured", config: { lr: 100 } });
  s = reduce(s, { type: "_refused", refusal: got });
  assert.equal(s.session.config.lr, 0.02, "the last good value, not the refused one");
  assert.equal(s.refusals.lr.message, "config lr: Input should be less than or equal to 10");
  assert.equal(s.refusals.lr.value, 100);
  const text = refusalText("lr", s.refusals.lr, s.session.config.lr);
  assert.match(text, /lr = 100/);
  assert.match(text, /less than or equal to 10/);
  assert.match(text, /Running with lr = 0\.02/);
  s = reduce(s, { type: "_configured", config: { lr: 0.05 } });
  assert.deepEqual(s.refusals, {}, "changing the setting clears its refusal");
});

test("a create's refusal outlives the session it then starts; a join's does not", () => {
  let s = reduce(initialState(), { type: "_refused", refusal: { kind: "create", key: "lr", message: "config.lr: too big", request: { config: { lr: 100 } } } });
  s = reduce(s, { type: "_refused", refusal: { kind: "join", key: null, message: "Room K7QXP is full" } });
  assert.deepEqual(Object.keys(s.refusals).sort(), [":join", "lr"]);
  s = reduce(s, session);
  assert.deepEqual(Object.keys(s.refusals), ["lr"]);
  assert.equal(s.refusals.lr.value, 100);
});

test("switch, load and join: an error while one is out answers it (the server answers them in order)", () => {
  for (const [kind, msg, text, key] of [
    ["switch", { type: "switch", model: "mlp", config: { hidden: [99] } }, "config.hidden.0: Input should be less than or equal to 8", "hidden"],
    ["load", { type: "load", id: "ab12" }, "No saved run with id 'ab12' of yours", null],
    ["join", { type: "join", session: "K7QXP" }, "Room K7QXP is full: 60 people", null],
  ]) {
    const r = Refusals();
    r.sent(msg);
    const got = r.heard(err(text, kind === "join" ? "busy" : "bad_message"));
    assert.equal(got.kind, kind);
    assert.equal(got.key, key);
    assert.equal(r.pending(kind), null);
    const notes = noteRefusal({}, got);
    assert.deepEqual(Object.keys(notes), [key ?? `:${kind}`]);
  }
  const r = Refusals();
  r.sent({ type: "join", session: "K7QXP" });
  assert.equal(r.heard(session), null);
  assert.equal(r.heard(err("config lr: late")), null, "a session answered the join: a later error is not its refusal");
});

test("scale queries: the refused field and its reason, from the websocket reply or the 422 body", () => {
  const r = Refusals();
  const got = r.heard({ type: "scale", seq: 4, detail: [{ loc: ["body", "tp"], msg: "tp 3 does not divide 128 heads" }] });
  assert.deepEqual(got, { kind: "scale", key: "tp", message: "tp: tp 3 does not divide 128 heads" });
  assert.equal(r.heard({ type: "scale", seq: 5, result: { ok: 1 } }), null);
  assert.equal(scaleRefusal("dp must be ≥ 1").message, "dp must be ≥ 1");
});

test("clearRefusals keeps the same object when nothing it holds changed", () => {
  const notes = { lr: { kind: "configure", message: "x" } };
  assert.equal(clearRefusals(notes, { seed: 1 }), notes);
  assert.deepEqual(clearRefusals(notes, { lr: 1 }), {});
});

test("a rule between settings names no `config X`: the first of the request's settings it names is refused", () => {
  const text = "n_embd 65 must be a multiple of n_head 2 (each head gets n_embd/n_head)";
  assert.equal(refusedKey(text, ["n_layer", "n_head", "n_embd"]), "n_embd");
  assert.equal(refusedKey(text, ["n_layer"]), null);
  assert.equal(refusedKey("warmup (50) must be shorter than decay_steps (20)", ["decay_steps", "warmup"]), "warmup");
  const r = Refusals();
  r.sent({ type: "create", model: "transformer", config: { n_layer: 2, n_head: 2, n_embd: 65 } });
  const got = r.heard(err(text));
  assert.equal(got.key, "n_embd");
  assert.deepEqual(withoutRefused(got.request.config, got), { n_layer: 2, n_head: 2 });
});

test("a value outside the served bounds is refused in the page like the server refuses it (issue 22 §1)", async () => {
  const { boundRefusal, outOfBounds } = await import("../../frontend/refusal.js");
  const { modelSchema } = await import("../../frontend/config.js");
  const lr = modelSchema("neuron").properties.lr;
  assert.equal(outOfBounds(lr, lr.maximum), "");
  assert.equal(boundRefusal("lr", lr, lr.maximum), null);
  const r = boundRefusal("lr", lr, lr.maximum * 5);
  assert.equal(r.key, "lr");
  assert.equal(r.message, `Input should be less than or equal to ${lr.maximum}`);
  const text = refusalText("lr", noteRefusal({}, r).lr, 0.1);
  assert.match(text, new RegExp(`lr = ${lr.maximum * 5}`));
  assert.match(text, /Running with lr = 0\.1/);
  assert.match(outOfBounds(lr, 0), /greater than/);
  assert.equal(outOfBounds(lr, NaN), "Input should be a valid number");
});

test("a refused or unreadable transformer `parallel` reads in plain words, never [object Object] (issue 22)", () => {
  const note = noteRefusal({}, { kind: "create", key: "parallel", message: "config.parallel.dp: workers 1 is not a multiple of tp·pp = 3·1 = 3",
    request: { config: { parallel: { tp: 3 } } } }).parallel;
  const text = refusalText("parallel", note, { dp: 1, tp: 1, pp: 1 });
  assert.doesNotMatch(text, /object Object/);
  assert.match(text, /parallel = tp:3\b/);
  assert.match(text, /Running with parallel = dp:1,tp:1,pp:1\./);
  // an address value the page cannot read (JSON instead of name:value pairs) takes the same path
  const bad = unreadRefusal("parallel", '{"tp":3}', { type: "object" });
  const words = refusalText("parallel", noteRefusal({}, bad).parallel, { dp: 1 });
  assert.equal(words, 'Refused from the address: parallel. Could not read "{"tp":3}": write it as name:value pairs, like dp:2,tp:2. Running with parallel = dp:1.');
  assert.match(refusalText("colour", noteRefusal({}, unreadRefusal("colour", "red", undefined)).colour), /no such setting/);
});
