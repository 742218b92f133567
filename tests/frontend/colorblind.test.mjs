// Colour-blind safety of the palettes (render/colors.js, render/fieldcolors.js, styles/app.css).
//
// Method: each colour is simulated as a viewer with protanopia or deuteranopia sees it, with the
// severity-1.0 matrices of Machado, Oliveira & Fernandes, "A Physiologically-based Model for
// Simulation of Color Vision Deficiency", IEEE TVCG 15(6), 2009 (their Table, applied to linear
// sRGB), then compared in CIELAB (D65) by ΔE*76 (Euclidean distance; ≈2.3 is a just-noticeable
// difference, Sharma 2003). We ask much more: any two class colours ≥ 30 apart (told apart at a
// glance, across a room), and each half of a diverging heatmap ordered (ΔE from its white middle
// grows with |value|) with its two ends ≥ 30 apart.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { CLASS_COLORS, LOSS_LINE, TEST_LINE } from "../../frontend/render/colors.js";
import { BINARY_LUT, CLASS_RGB, VALUE_LUT, VALUE_LUT_SOFT } from "../../frontend/render/fieldcolors.js";

const MACHADO = {
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};
const MIN_DE = 30;

const toLinear = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const hexRgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

function lab([r, g, b]) {
  // linear sRGB → XYZ (D65) → CIELAB
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** An sRGB triple (0–255) as seen with `kind`, in CIELAB. */
function seen(rgb, kind) {
  const m = MACHADO[kind];
  const l = rgb.map(toLinear);
  return lab(m.map((row) => Math.min(1, Math.max(0, row[0] * l[0] + row[1] * l[1] + row[2] * l[2]))));
}

const dE = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const lutAt = (lut, i) => [lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]];

test("the simulation behaves as published: pure red is much darker to a protanope, grey stays grey", () => {
  // Machado 2009's protanopia matrix maps linear (1,0,0) to (0.152, 0.115, 0) — much darker than red.
  const p = seen([255, 0, 0], "protanopia");
  const n = seen([255, 0, 0], "normal");
  assert.ok(p[0] < n[0] - 10, `L* ${p[0]} vs ${n[0]}`);
  // …and grey stays grey for everyone (each row of every matrix sums to 1).
  for (const kind of Object.keys(MACHADO)) {
    const g = seen([128, 128, 128], kind);
    assert.ok(Math.abs(g[1]) < 0.5 && Math.abs(g[2]) < 0.5, `${kind}: ${g}`);
  }
});

test("class colours stay ≥ 30 ΔE*76 apart for protanopes and deuteranopes", () => {
  assert.deepEqual(CLASS_COLORS.map(hexRgb), CLASS_RGB.slice(0, CLASS_COLORS.length), "canvas and heatmap classes agree");
  for (const kind of Object.keys(MACHADO)) {
    for (let i = 0; i < CLASS_RGB.length; i++) {
      for (let j = i + 1; j < CLASS_RGB.length; j++) {
        const d = dE(seen(CLASS_RGB[i], kind), seen(CLASS_RGB[j], kind));
        assert.ok(d >= MIN_DE, `${kind}: class ${i} vs ${j} ΔE ${d.toFixed(1)}`);
      }
    }
  }
});

test("the stylesheet's class colours are the canvas's", () => {
  const css = readFileSync(new URL("../../frontend/styles/app.css", import.meta.url), "utf8");
  CLASS_RGB.forEach((rgb, k) => {
    const m = css.match(new RegExp(`--c${k}:\\s*(#[0-9a-fA-F]{6})`));
    assert.ok(m, `--c${k} in app.css`);
    assert.deepEqual(hexRgb(m[1]), rgb);
  });
});

test("train and test loss lines stay apart too", () => {
  for (const kind of Object.keys(MACHADO)) assert.ok(dE(seen(hexRgb(LOSS_LINE), kind), seen(hexRgb(TEST_LINE), kind)) >= MIN_DE, kind);
});

test("diverging heatmaps: ends ≥ 30 apart and each half ordered, for protanopes and deuteranopes", () => {
  for (const [name, lut] of Object.entries({ VALUE_LUT, VALUE_LUT_SOFT, BINARY_LUT })) {
    for (const kind of Object.keys(MACHADO)) {
      const n = lut.length / 3;
      const mid = seen(lutAt(lut, (n - 1) >> 1), kind);
      const lo = seen(lutAt(lut, 0), kind);
      const hi = seen(lutAt(lut, n - 1), kind);
      assert.ok(dE(lo, hi) >= MIN_DE, `${name} ${kind}: ends ΔE ${dE(lo, hi).toFixed(1)}`);
      // Walking out from the middle, every 16th entry is farther from white than the one before.
      for (const dir of [-1, 1]) {
        let prev = 0;
        for (let k = 16; k < n / 2; k += 16) {
          const d = dE(seen(lutAt(lut, ((n - 1) >> 1) + dir * k), kind), mid);
          assert.ok(d > prev, `${name} ${kind}: not ordered at ${dir * k}`);
          prev = d;
        }
      }
    }
  }
});

test("discretize output: every pixel in the full colour of the likelier answer", async () => {
  const { paintDiscrete, CLASS_RGB } = await import("../../frontend/render/fieldcolors.js");
  const one = paintDiscrete(new Uint8ClampedArray(8), { shape: [1, 2, 1], data: [0.49, 0.51] }, "classification");
  assert.deepEqual([...one.slice(0, 3)], CLASS_RGB[0]);
  assert.deepEqual([...one.slice(4, 7)], CLASS_RGB[1]);
  const three = paintDiscrete(new Uint8ClampedArray(4), { shape: [1, 1, 3], data: [0.2, 0.3, 0.5] }, "classification");
  assert.deepEqual([...three.slice(0, 3)], CLASS_RGB[2]);
});
