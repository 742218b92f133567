// Log scales for the small charts (the Descent and Transformer panels): whole decades, positions,
// bar lengths, one tick a decade, and the powers of ten as students write them.

import { finiteBounds, isNum } from "./format.js";

/**
 * Whole decades [10^a, 10^b] covering the positive finite values, at least `minDecades` wide and at
 * most `maxDecades` (below that the smallest values sit on the floor: a ‖g‖ of 10⁻¹⁸ after a run has
 * converged must not squash the decades where the story is).
 */
export function logDomain(values, minDecades = 2, maxDecades = Infinity) {
  const bounds = finiteBounds(Array.from(values).filter((v) => v > 0));
  if (!bounds) return [0.01, 1];
  const [lo, hi] = bounds;
  let a = Math.floor(Math.log10(lo));
  let b = Math.ceil(Math.log10(hi));
  if (b === a) b += 1;
  while (b - a < minDecades) {
    a -= 1;
    if (b - a < minDecades) b += 1;
  }
  if (b - a > maxDecades) a = b - maxDecades;
  return [Number(`1e${a}`), Number(`1e${b}`)]; // exact decades: 10 ** -4 is 0.00009999…
}

/** Pixel position of v on a log axis [lo, hi] → [r0, r1]; zero or negatives sit at r0. */
export function logScale(lo, hi, r0, r1) {
  const a = Math.log10(lo);
  const span = Math.log10(hi) - a || 1;
  return (v) => (isNum(v) && v > 0 ? r0 + ((Math.log10(v) - a) / span) * (r1 - r0) : r0);
}

/** Length of a log-scale bar that starts at `lo`: 0 for 0, negatives, NaN, or values below lo. */
export function logBarLength(v, lo, hi, width) {
  if (!isNum(v) || v <= lo) return 0;
  return Math.min(width, logScale(lo, hi, 0, width)(v));
}

/** One tick per decade, thinned to about `max` of them. */
export function decadeTicks(lo, hi, max = 6) {
  const a = Math.round(Math.log10(lo));
  const b = Math.round(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a) / max));
  const out = [];
  for (let e = a; e <= b; e += every) out.push(10 ** e);
  return out;
}

/** The powers of ten as students write them: 0.01, 0.1, 1, 10, 100, else 10⁻⁵. */
export function fmtDecade(v) {
  const e = Math.round(Math.log10(v));
  if (e >= 0 && e <= 3) return String(10 ** e);
  if (e >= -2 && e < 0) return `0.${"0".repeat(-e - 1)}1`;
  return `10${String(e).split("").map((c) => SUPER[c]).join("")}`;
}
const SUPER = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
