// The browser has no update rule of its own: every optimizer step, bias correction and η·g it shows
// comes from the engine (`explain`, `optimizer_state`). This scans every frontend module for the
// arithmetic of an update and fails on any match — the copies that drifted (the network inspector's
// w − η·g whatever the optimizer, the Descent table's and the GPT panel's Adam terms) looked like these.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../frontend/", import.meta.url));

// What computing an optimizer step looks like in JavaScript (comments are stripped first).
export const PATTERNS = [
  [/\b1\s*-\s*[\w.?]*beta/i, "a bias correction 1 − βᵗ (or 1 − β)"],
  [/\*\*\s*[\w.?]*\bt\b/, "a power βᵗ"],
  [/Math\.sqrt\(\s*[\w.?]*\b(v|vHat|v_hat|s|exp_avg_sq)\b/, "√v, √v̂ or √s of an optimizer's state"],
  [/\blr\s*\*(?!\*)|(?<!\*)\*\s*[\w.?]*\blr\b/, "η times something (a step)"],
  [/\b(mu|momentum|beta1|beta2|alpha)\s*\*(?!\*)/, "a running average's decay times its state"],
];

function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** [[pattern description, line]] of the update arithmetic in one module's source. */
export function updateArithmetic(src) {
  const hits = [];
  stripComments(src).split("\n").forEach((line) => {
    for (const [re, what] of PATTERNS) if (re.test(line)) hits.push([what, line.trim()]);
  });
  return hits;
}

function modules(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "vendor" ? [] : modules(path);
    return name.endsWith(".js") ? [path] : [];
  });
}

test("the patterns catch the update arithmetic the browser used to have", () => {
  const before = [
    "const c1 = 1 - v.beta1 ** v.t;", // descent/update.js
    "step = lr * mHat / (Math.sqrt(vHat) + (v.eps ?? 1e-8));",
    "step = optimizer === \"nesterov\" ? lr * (g + v.mu * v.v) : lr * v.v;",
    "const root = Math.sqrt(v.s);",
    "const old = value + lr * g;", // views/netinspect.js
    "return `${fmt(value - lr * g)}`;",
    "const mHat = m / (1 - beta1 ** t);", // gpt/gptstate.js adamTerms
    "const direction = mHat / (Math.sqrt(vHat) + eps);",
    "return { step: lr === null ? null : -lr * direction };",
  ];
  for (const line of before) assert.ok(updateArithmetic(line).length > 0, `not caught: ${line}`);
  // …and stay quiet on formatting, drawing and comments.
  for (const line of ["const top = Math.max(...ys) * 1.1 || 1;", "sx(Math.min(state.step, x1))", "// w ← w − η·g: lr * g",
    "const sd = rows.map((r) => r.sqrt_v);", "`Δw = ${fmt(-u.step, 3)}`", "const t = Math.sqrt(Math.max(0, w));"]) {
    assert.deepEqual(updateArithmetic(line), [], line);
  }
});

test("no frontend module computes an optimizer step", () => {
  const found = [];
  for (const path of modules(ROOT)) {
    for (const [what, line] of updateArithmetic(readFileSync(path, "utf8"))) found.push(`${relative(ROOT, path)}: ${what}: ${line}`);
  }
  assert.deepEqual(found, [], "the engine computes updates; the browser formats its `explain`/`optimizer_state` replies");
});
