import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { locationSearch, MODELS, readLocation } from "../../frontend/config.js";
import { SCHEMA } from "../../frontend/schema.js";

const MODEL_SCHEMAS = SCHEMA.models; // the served schema: the page's only one
import { configChange, fillAreas, goalMet, goalText, hiddenElements, panelRows, panelsPerRow, planStep, progressText, targetConfig } from "../../frontend/lesson.js";
import {
  blockedKeys, commandAllowed, CONTROLS, effectiveControls, groupsFor, joinSearch, pageOptionsSearch, parseList, readPageOptions,
} from "../../frontend/locks.js";
import {
  driveState, initialRoom, joinBase, joinPath, memberLabel, parseJoinCode, reduceRoom, roomLink, rosterView, tokenKey,
} from "../../frontend/room.js";
import { initialState, reduce } from "../../frontend/state.js";
import { runLink } from "../../frontend/views/share.js";

// ---- URL ↔ config ------------------------------------------------------------------------------

/** A config with every key of a model set to something other than its default where possible. */
function everyKey(model) {
  const out = {};
  for (const [k, p] of Object.entries(MODEL_SCHEMAS[model].properties)) {
    if (p.enum) out[k] = p.enum[p.enum.length - 1] === "custom" ? p.enum[0] : p.enum[p.enum.length - 1];
    else if (p.type === "boolean") out[k] = !p.default;
    else if (p.type === "integer") out[k] = Math.min(p.maximum ?? 1e6, (p.minimum ?? 0) + 3);
    else if (p.type === "number") out[k] = Math.min(p.maximum ?? 10, (p.minimum ?? 0) + 0.125);
    else if (p.type === "array") out[k] = p.default;
    else out[k] = p.default;
  }
  return out;
}

test("every config key of every model round-trips through the URL (lists as comma lists)", () => {
  for (const model of MODELS) {
    const configs = [everyKey(model), Object.fromEntries(Object.entries(MODEL_SCHEMAS[model].properties).map(([k, p]) => [k, p.default]))];
    if (model === "neuron") configs[0].features = 2; // the dataset picked above has two features
    if (model === "mlp") configs.push({ ...configs[1], hidden: [8, 3, 1], activation: ["relu", "gelu", "sigmoid"], features: ["x1", "sin_x2", "x1x2"], seed: 2147483647 });
    if (model === "mlp") configs.push({ ...configs[1], hidden: [], features: ["x2"] });
    // a distributed run's split (an object: its fields are the engine's, engine/distributed/parallel.py)
    if (model === "transformer") configs[0].parallel = { dp: 2, tp: 2, zero: 1, micro_batches: 1, schedule: "gpipe" };
    for (const config of configs) {
      delete config.text; // a transformer's own text never travels in a URL (locationSearch leaves it out)
      const search = locationSearch(model, config);
      assert.ok(!search.includes("%2C") && !search.includes("%3A"), search);
      const back = readLocation("/", search, null);
      assert.equal(back.model, model);
      assert.deepEqual(back.ignored, [], `${model}: ${search}`);
      // a null (none: the server's default, e.g. `parallel`) travels as the key left out
      for (const [k, v] of Object.entries(config)) if (v === null) assert.equal(MODEL_SCHEMAS[model].properties[k].default, null, k);
      const sent = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null));
      assert.deepEqual(back.config, sent, `${model}: ${search}`);
    }
  }
});

test("page options in the URL are not settings: never reported as unknown", () => {
  const r = readLocation("/room/ab2cd", "?model=line&seed=4&presenter=1&lock=lr,seed&hide=settings&lesson=find-a&lstep=2&name=Ana", null);
  assert.deepEqual(r.config, { seed: 4 });
  assert.deepEqual(r.ignored, []);
  assert.equal(r.room, "AB2CD");
});

// ---- locks and hidden controls -----------------------------------------------------------------

test("lock/hide lists: known names only, lower-cased, each once", () => {
  assert.deepEqual(parseList("lr, Seed,,lr,bogus,network-editor"), ["lr", "seed", "network-editor"]);
  assert.deepEqual(parseList(null), []);
  assert.deepEqual(parseList(["settings", "x"]), ["settings"]);
  const o = readPageOptions("?presenter=1&lock=lr,step&hide=settings,data-editor&lesson=neuron-flow&lstep=3&name=%20Ana%20");
  assert.deepEqual(o, { presenter: true, lock: ["lr", "step"], hide: ["settings", "data-editor"], lesson: "neuron-flow", lstep: 3, name: "Ana" });
  assert.deepEqual(readPageOptions("?lesson=../etc&lstep=-1"), { presenter: false, lock: [], hide: [], lesson: null, lstep: 0, name: null });
  assert.equal(pageOptionsSearch(o), "lesson=neuron-flow&lstep=3&presenter=1&lock=lr,step&hide=settings,data-editor&name=Ana");
  assert.deepEqual(readPageOptions(`?${pageOptionsSearch(o)}`), o);
  assert.equal(joinSearch("?a=1", "", "b=2"), "?a=1&b=2");
  assert.equal(joinSearch("", ""), "");
});

test("effective controls: the link's, presenter mode's and the lesson step's", () => {
  const e = effectiveControls({ lock: ["lr", "step"], hide: ["reset"], presenter: true, lessonControls: ["stage", "back", "step", "reset"] });
  assert.deepEqual([...e.locked].sort(), ["lr", "step"]);
  for (const g of ["reset", "settings", "network-editor", "data-editor", "play", "epoch"]) assert.ok(e.hidden.has(g), g);
  assert.ok(!e.hidden.has("stage") && !e.hidden.has("back"));
  assert.equal(commandAllowed("stage", e), true);
  assert.equal(commandAllowed("step", e), false); // locked
  assert.equal(commandAllowed("play", e), false); // not in the lesson step
  const none = effectiveControls({ lessonControls: [] });
  assert.equal(none.hidden.size, 0); // an empty list means all of them
  assert.ok(CONTROLS.every((g) => commandAllowed(g, none)));
});

test("a locked setting or group refuses the config keys that belong to it", () => {
  const e = effectiveControls({ lock: ["seed", "network-editor"] });
  assert.deepEqual(blockedKeys("neuron", { seed: 3, lr: 0.1 }, e), ["seed"]);
  assert.deepEqual(blockedKeys("mlp", { hidden: [3], init: "he", lr: 0.2 }, e), ["hidden", "init"]);
  assert.deepEqual(blockedKeys("mlp", { lr: 0.2 }, effectiveControls({ lock: ["settings"] })), ["lr"]);
  assert.deepEqual(blockedKeys("mlp", { dataset: "xor" }, effectiveControls({ lock: ["data-editor"] })), ["dataset"]);
  assert.deepEqual(groupsFor("neuron").controls, ["stage", "back", "step", "play", "reset", "settings"]);
  assert.ok(groupsFor("mlp").controls.includes("network-editor"));
  assert.ok(groupsFor("line").settings.includes("bias"));
});

// ---- lessons -----------------------------------------------------------------------------------

const STAGES = ["input", "weights", "linear", "activation", "loss", "gradients", "update"];
const at = (over) => ({ ...initialState(), session: { id: "K7QXP", model: "neuron", role: "owner", config: {}, plan: STAGES.map((stage) => ({ stage })) }, ...over });

test("goals: a stage reached (or passed), a number of steps, a loss under a bound, or all of them", () => {
  assert.equal(goalMet(null, at({})), null);
  assert.equal(goalMet({}, at({})), null);
  const g = { stage: "linear" };
  assert.equal(goalMet(g, at({})), false);
  assert.equal(goalMet(g, at({ cursor: { step: 0, index: 1, stage: "weights", live: true } })), false);
  assert.equal(goalMet(g, at({ cursor: { step: 0, index: 2, stage: "linear", live: true } })), true);
  assert.equal(goalMet(g, at({ cursor: { step: 0, index: 4, stage: "loss", live: true } })), true);
  assert.equal(goalMet(g, at({ stage: { stage: "linear", index: 2, step: 0 } })), true);
  assert.equal(goalMet({ steps: 5 }, at({ step: 4 })), false);
  assert.equal(goalMet({ steps: 5 }, at({ step: 5 })), true);
  assert.equal(goalMet({ loss_below: 0.35 }, at({ loss: null })), false);
  assert.equal(goalMet({ loss_below: 0.35 }, at({ loss: 0.36 })), false);
  assert.equal(goalMet({ loss_below: 0.35 }, at({ loss: 0.2 })), true);
  assert.equal(goalMet({ steps: 5, loss_below: 0.35 }, at({ step: 9, loss: 0.5 })), false);
  assert.equal(goalText({ stage: "gradients" }, [{ stage: "gradients", stage_title: "Gradients" }]), "Reach the Gradients stage");
  assert.equal(goalText({ steps: 1 }), "Take 1 step");
  assert.equal(goalText({ steps: 5, loss_below: 0.3 }), "Take 5 steps and bring the loss below 0.3");
  assert.equal(progressText(2, 7), "step 3 of 7");
});

const PROPS = Object.fromEntries(Object.entries(MODEL_SCHEMAS.neuron.properties));
const lesson = {
  id: "demo",
  steps: [
    { model: "neuron", config: { dataset: "pass_fail", lr: 0.5, seed: 0 } },
    { model: "neuron", config: { dataset: "and", lr: 0.5, seed: 0 }, views: ["pipeline", "formula"] },
    { model: "line", config: { lr: 0.02 } },
  ],
};

test("a lesson step configures only what differs, over the model's defaults; another model navigates", () => {
  const defaults = Object.fromEntries(Object.entries(PROPS).map(([k, p]) => [k, p.default]));
  const session = { model: "neuron", config: { ...defaults, optimizer: "adam" } };
  const first = planStep(lesson, 0, session, PROPS);
  assert.equal(first.kind, "configure");
  assert.deepEqual(first.change, { optimizer: "sgd" }); // an earlier choice does not leak into the lesson
  assert.equal(planStep(lesson, 0, { model: "neuron", config: targetConfig(lesson.steps[0], PROPS) }, PROPS).kind, "none");
  const second = planStep(lesson, 1, { model: "neuron", config: defaults }, PROPS);
  assert.deepEqual(second.change, { dataset: "and", features: 2 });
  const third = planStep(lesson, 2, session, PROPS);
  assert.deepEqual(third, { kind: "navigate", model: "line", config: { lr: 0.02 } });
  assert.equal(planStep(lesson, 9, session, PROPS), null);
  assert.deepEqual(configChange({ hidden: [4, 2], lr: 0.1 }, { hidden: [4, 2], lr: 0.1 }), {});
  assert.deepEqual(configChange({ hidden: [4] }, { hidden: [4, 2] }), { hidden: [4] });
});

test("a step's views hide the others' panels; the network grid gives their room to neighbours", () => {
  assert.deepEqual(hiddenElements([]), []);
  assert.deepEqual(hiddenElements(undefined), []);
  assert.deepEqual(hiddenElements(["pipeline", "formula", "data"]).sort(),
    ["boundary", "curve", "gpt-attention", "gpt-layers", "gpt-loss", "gpt-optim", "gpt-probe", "gpt-probs", "gpt-samples", "gpt-scale", "gpt-workers", "losschart", "netloss", "network"]);
  const rows = ["data net out", "loss formula formula"];
  assert.deepEqual(fillAreas(rows, new Set(["data", "formula"])), ["net net out", "loss loss loss"]);
  assert.deepEqual(fillAreas(rows, new Set(["loss"])), ["data net out", "formula formula formula"]);
  assert.deepEqual(fillAreas(rows, new Set(["out"])), ["data net net", "loss formula formula"]);
  assert.equal(fillAreas(rows, new Set(["data", "net", "out", "loss", "formula"])), null);
  assert.equal(fillAreas(["a b", "a c"], new Set(["c"])), null); // a would not be a rectangle
});

test("the Transformer's remaining panels fill even rows, every row the grid's width", () => {
  assert.deepEqual(panelRows(3, 3), { rows: 1, spans: [8, 8, 8] });
  assert.deepEqual(panelRows(4, 3), { rows: 2, spans: [12, 12, 12, 12] }); // 2 + 2, not 3 + 1
  assert.deepEqual(panelRows(3, 2), { rows: 2, spans: [12, 12, 24] });
  assert.deepEqual(panelRows(6, 3), { rows: 2, spans: [8, 8, 8, 8, 8, 8] });
  assert.deepEqual(panelRows(5, 3), { rows: 2, spans: [8, 8, 8, 12, 12] });
  assert.deepEqual(panelRows(2, 1), { rows: 2, spans: [24, 24] });
  assert.deepEqual(panelRows(0, 3), { rows: 0, spans: [] });
});

test("the Transformer's panels go as many to a row as suits the workspace's shape", () => {
  // Beside a lesson on a 1024×768 projector (654 × 530 px): the loss chart and the samples one above
  // the other, 654 px wide; the formula and the square attention maps side by side.
  assert.equal(panelsPerRow([1.8, 2], 654, 630), 1);
  assert.equal(panelsPerRow([1.2, 1], 654, 520), 2);
  // Next character, the loss, the samples: two in the first row, the samples the width of the page.
  assert.equal(panelsPerRow([0.9, 1.8, 2], 654, 530), 2);
  // Never narrower than 300 px unless alone in a row; a count means charts of 1.6.
  assert.equal(panelsPerRow(4, 654, 500), 2);
  assert.equal(panelsPerRow(4, 654, 1400), 1, "a tall narrow workspace: one a row");
  assert.equal(panelsPerRow(3, 1400, 500), 3);
  assert.equal(panelsPerRow(2, 500, 800), 1);
  assert.equal(panelsPerRow(0, 900, 600), 3);
});

// ---- rooms -------------------------------------------------------------------------------------

test("the room slice follows session, roster, saved and lesson messages, and survives a new session", () => {
  let s = reduce(initialState(), { type: "session", id: "K7QXP", model: "neuron", role: "owner", you: "aa11", token: "secret", config: {}, plan: STAGES.map((stage) => ({ stage })) });
  assert.deepEqual([s.room.id, s.room.you, s.room.role, s.room.token], ["K7QXP", "aa11", "owner", true]);
  assert.ok(!JSON.stringify(s.room).includes("secret"), "the token itself stays out of the state");
  s = reduce(s, { type: "roster", members: [{ id: "aa11", name: null, role: "owner" }, { id: "bb22", name: "Ana", role: "viewer" }] });
  assert.equal(s.room.roster.length, 2);
  s = reduce(s, { type: "_handover", name: "Ana" });
  s = reduce(s, { type: "session", id: "K7QXP", model: "neuron", role: "viewer", you: "aa11", token: "secret", config: {}, plan: STAGES.map((stage) => ({ stage })) });
  assert.equal(s.room.role, "viewer");
  assert.equal(s.room.driver, "Ana");
  // the teacher (the token holder) keeps the class list while a student drives (the server goes on sending it)
  assert.equal(s.room.roster.length, 2);
  const plain = reduceRoom({ ...s.room, token: false }, { type: "session", id: "K7QXP", role: "viewer", you: "aa11" });
  assert.deepEqual(plain.roster, []); // a plain viewer's would go stale: only owners and the teacher get rosters
  assert.equal(driveState(s.room), "watching");
  s = reduce(s, { type: "lesson", id: "neuron-flow", step: 1 });
  const seq = s.room.lessonSeq;
  assert.equal(reduce(s, { type: "lesson", id: "neuron-flow", step: 1 }), s, "the same move twice changes nothing");
  s = reduce(s, { type: "saved", id: "9c2e71aa", name: "demo", steps: 3 });
  assert.deepEqual(s.room.saved, { id: "9c2e71aa", name: "demo", steps: 3 });
  // A fork: a new room, mine, without a token of the old one; the lesson stays open.
  s = reduce(s, { type: "session", id: "ZZ9YX", model: "neuron", role: "owner", you: "cc33", token: "other", config: {}, plan: STAGES.map((stage) => ({ stage })) });
  assert.deepEqual([s.room.id, s.room.role, s.room.driver, s.room.lessonSeq], ["ZZ9YX", "owner", null, seq]);
  assert.equal(driveState(s.room), "owner");
  s = reduce(s, { type: "_lesson_close" });
  assert.equal(s.room.lesson, null);
  s = reduce(s, { type: "_page", page: { presenter: true } });
  assert.deepEqual(s.room.page, { presenter: true, lock: [], hide: [] });
  // Handed control without the token: "you are driving".
  const r = reduceRoom(initialRoom(), { type: "session", id: "K7QXP", role: "owner", you: "bb22", token: null });
  assert.equal(driveState(r), "driving");
  assert.equal(driveState(initialRoom()), null);
});

test("roster → the owner's list: everyone but me, by name or as a guest, with give-control buttons", () => {
  const members = [{ id: "aa11", name: null, role: "owner" }, { id: "cc33", name: null, role: "viewer" }, { id: "bb22", name: "Ana", role: "viewer" }];
  const v = rosterView(members, "aa11", "owner");
  assert.equal(v.count, 2);
  assert.deepEqual(v.rows, [
    { id: "bb22", label: "Ana", role: "viewer", canGive: true },
    { id: "cc33", label: "guest cc33", role: "viewer", canGive: true },
  ]);
  const handed = rosterView([{ id: "aa11", name: "T", role: "viewer" }, { id: "bb22", name: "Ana", role: "owner" }], "bb22", "owner");
  assert.deepEqual(handed.rows, [{ id: "aa11", label: "T", role: "viewer", canGive: true }]);
  assert.equal(rosterView(members, "cc33", "viewer").rows.every((r) => !r.canGive), true);
  assert.equal(memberLabel({ id: "x1" }), "guest x1");
});

test("room links: the LAN address in classroom mode, never a token; typed codes are forgiven", () => {
  assert.equal(joinBase({ classroom: true, public_url: "http://192.168.1.20:8000/" }, "http://127.0.0.1:8000"), "http://192.168.1.20:8000");
  assert.equal(joinBase({ classroom: false, public_url: null }, "http://127.0.0.1:8000"), "http://127.0.0.1:8000");
  assert.equal(joinBase(null, "http://localhost:8124"), "http://localhost:8124");
  assert.equal(roomLink("http://h", "K7QXP"), "http://h/room/K7QXP");
  assert.equal(roomLink("http://h", "K7QXP", { hide: ["settings"], lock: "lr,seed" }), "http://h/room/K7QXP?hide=settings&lock=lr,seed");
  assert.equal(parseJoinCode(" k7q xp "), "K7QXP");
  assert.equal(parseJoinCode("http://192.168.1.20:8000/room/k7qxp?name=x"), "K7QXP");
  assert.equal(parseJoinCode("K7QX"), null);
  assert.equal(parseJoinCode("K0QXP"), null); // no 0, O, 1, I, L in codes
  assert.equal(joinPath("K7QXP", " Ana B "), "/room/K7QXP?name=Ana%20B");
  assert.equal(joinPath("K7QXP", ""), "/room/K7QXP");
  assert.equal(tokenKey("k7qxp"), "flowscope.token.K7QXP");
  const run = runLink("http://h", "line", { lr: 0.05, seed: 3, bias: true }, { lock: ["seed"], hide: [] });
  assert.equal(run, "http://h/?model=line&lr=0.05&seed=3&bias=true&lock=seed");
  assert.deepEqual(readLocation("/", run.slice("http://h/".length), null).config, { lr: 0.05, seed: 3, bias: true });
});
