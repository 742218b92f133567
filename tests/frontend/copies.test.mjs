// The browser keeps no copy of what the engine or the server serves (issue 22, §3): each listed copy
// is searched for in the page's code, and the page's vocabularies are the served ones.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { VIEW_ELEMENTS } from "../../frontend/lesson.js";
import { COMMANDS, CONTROLS } from "../../frontend/locks.js";
import { PAGE_DEFAULTS } from "../../frontend/gpt/page.js";
import { keyLabel } from "../../frontend/views/formula.js";
import { ACTIVATIONS, INITS, MAX_LAYERS, MAX_UNITS } from "../../frontend/views/neteditor.js";
import { MAX_COUNT } from "../../frontend/descent/race.js";
import { SCHEDULES } from "../../frontend/descent/schedule.js";
import { SERVED_SCHEMA } from "./served.mjs";

const ROOT = fileURLToPath(new URL("../../frontend", import.meta.url));
const FILES = (() => {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".js")) out.push(p.slice(ROOT.length + 1));
    }
  };
  walk(ROOT);
  return out.sort();
})();
/** The code of a file without its comment lines (comments may name what they no longer copy). */
const code = (f) => readFileSync(join(ROOT, f), "utf8").split("\n").filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join("\n");
const holding = (re) => FILES.filter((f) => re.test(code(f)));

test("the engine's settings are read from the served schema, not written out", () => {
  const mlp = SERVED_SCHEMA.models.mlp.properties;
  assert.deepEqual(ACTIVATIONS, mlp.activation.anyOf[0].enum);
  assert.deepEqual(INITS, mlp.init.enum);
  assert.equal(MAX_LAYERS, mlp.hidden.maxItems);
  assert.equal(MAX_UNITS, mlp.hidden.items.maximum);
  assert.deepEqual(SCHEDULES, SERVED_SCHEMA.models.neuron.properties.schedule.enum);
  assert.equal(MAX_COUNT, SERVED_SCHEMA.client.$defs.Step.properties.count.maximum);
  assert.deepEqual({ ...PAGE_DEFAULTS }, SERVED_SCHEMA.starts.transformer);
  assert.equal(keyLabel("w", "line"), "a");
  assert.equal(keyLabel("dz", "line"), "∂L/∂ŷ");
  assert.equal(keyLabel("w", "neuron"), "w");
  // the literals that were copies, anywhere in the page's code
  assert.deepEqual(holding(/\[\s*"relu",\s*"tanh"/), []);
  assert.deepEqual(holding(/\[\s*"zeros",\s*"uniform"/), []);
  assert.deepEqual(holding(/\[\s*"constant",\s*"step"/), []);
  assert.deepEqual(holding(/<=\s*1000\b|max="1000"|0\.000001|1e-6 && v <= 10/), []);
  assert.deepEqual(holding(/MAX_COUNT\s*=\s*\d/), []);
  assert.deepEqual(holding(/n_layer:\s*2,\s*n_head/), []);
  for (const f of ["views/formula.js", "views/pipeline.js"]) assert.doesNotMatch(code(f), /"ŷ"|"∂L\/∂a"|=== "line"/, f); // the line's notation
});

test("one schema source: schema.js is the served reply, fetched once", () => {
  assert.ok(code("schema.js").split("\n").length < 12, "no written-out copy");
  assert.match(code("schema.js"), /await fetchSchema\(\)/);
  assert.deepEqual(holding(/\bFALLBACK_SCHEMA\b/), []);
});

test("the lesson words are the served ones", () => {
  assert.deepEqual(CONTROLS, SERVED_SCHEMA.lessons.controls);
  assert.deepEqual(Object.keys(VIEW_ELEMENTS).sort(), [...SERVED_SCHEMA.lessons.views].sort(), "a view the server accepts is drawn by some element, and no other");
  assert.ok(COMMANDS.every((c) => CONTROLS.includes(c)));
  assert.deepEqual(holding(/\[\s*"stage",\s*"back"/), [], "the command list is controls.js's BUTTONS, once");
});

test("one chart kit, one marker, one formula heading, one activation-padding rule", () => {
  assert.deepEqual(holding(/export function (drawMarker|markerPath|trace|frame|vmark)\b/), ["render/canvas.js"]);
  assert.deepEqual(holding(/export function (logDomain|decadeTicks)\b/), ["render/logscale.js"]); // its log scales
  assert.deepEqual(holding(/export function el\b|^function el\(/m), ["render/dom.js"], "one element factory");
  assert.deepEqual(holding(/\b(polyline|miniAxes)\b/), []);
  assert.deepEqual(holding(/class="stage-name"/), ["views/formula.js"]);
  assert.deepEqual(holding(/while \(\w+\.length < n\)/), ["config.js"]);
});

test("api.js is the only file that talks to the server", () => {
  assert.deepEqual(holding(/new WebSocket\(|\bfetch\(|XMLHttpRequest|EventSource/), ["api.js"]);
  assert.ok(!FILES.includes("scale/request.js"));
});
