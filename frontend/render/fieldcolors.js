// Colour scales for a network's pictures of the plane, written straight into ImageData bytes:
// the decision boundary (100×100) and the node heatmaps (24×24). Pure (no DOM), so tested in node.
//
// Two scales, both safe for the common colour-vision deficiencies and never relying on hue alone
// (the plot's points also differ by shape, the edges by dash):
// - values (unit activations, weights, regression ŷ): blue = positive, orange = negative, white 0;
// - classes: each class its colour (0 blue, 1 orange, 2 green), mixed by probability.

export const POSITIVE = [31, 119, 180]; // #1f77b4
export const NEGATIVE = [230, 97, 0]; // #e66100
export const CLASS_RGB = [[31, 119, 180], [230, 97, 0], [0, 158, 115]]; // #1f77b4 #e66100 #009e73
const WHITE = [255, 255, 255];
const STEPS = 256;

/**
 * 256 RGB entries for t in [−1, 1]: white at 0, `neg` at −1, `pos` at +1, each reaching `strength`
 * of the full colour (the boundary map stays light so the data points on it stand out).
 */
export function divergingLut(neg, pos, strength = 1) {
  const lut = new Uint8ClampedArray(STEPS * 3);
  for (let i = 0; i < STEPS; i++) {
    const t = (i / (STEPS - 1)) * 2 - 1;
    const c = t < 0 ? neg : pos;
    const s = Math.abs(t) * strength;
    for (let k = 0; k < 3; k++) lut[3 * i + k] = Math.round(WHITE[k] + (c[k] - WHITE[k]) * s);
  }
  return lut;
}

export const VALUE_LUT = divergingLut(NEGATIVE, POSITIVE, 0.95);
export const VALUE_LUT_SOFT = divergingLut(NEGATIVE, POSITIVE, 0.7);
// Probability of class 1 (K = 1 output): p = 0 → class 0's blue, p = 1 → class 1's orange.
export const BINARY_LUT = divergingLut(CLASS_RGB[0], CLASS_RGB[1], 0.7);
export const BINARY_LUT_STRONG = divergingLut(CLASS_RGB[0], CLASS_RGB[1], 0.95);

function lutIndex(t) {
  if (!(t === t)) return (STEPS - 1) >> 1; // NaN: white, never a colour it did not earn
  const c = t < -1 ? -1 : t > 1 ? 1 : t;
  return Math.round(((c + 1) / 2) * (STEPS - 1));
}

/** A number → "rgb(…)" on a LUT, `lo`…`hi` spread over −1…1 (for SVG strokes and legends). */
export function lutCss(lut, v, lo = -1, hi = 1) {
  const i = 3 * lutIndex(((v - lo) / (hi - lo || 1)) * 2 - 1);
  return `rgb(${lut[i]}, ${lut[i + 1]}, ${lut[i + 2]})`;
}

/**
 * Paint channel `ch` of an (H, W, C) tensor into RGBA bytes `out` (H·W·4) through `lut`, mapping
 * `lo`…`hi` onto the scale's −1…1.
 */
export function paintChannel(out, tensor, ch, lut, lo = -1, hi = 1) {
  const [h, w, c] = tensor.shape;
  const d = tensor.data;
  const span = hi - lo || 1;
  for (let p = 0, n = h * w; p < n; p++) {
    const i = 3 * lutIndex(((d[p * c + ch] - lo) / span) * 2 - 1);
    const o = 4 * p;
    out[o] = lut[i];
    out[o + 1] = lut[i + 1];
    out[o + 2] = lut[i + 2];
    out[o + 3] = 255;
  }
  return out;
}

/**
 * K class probabilities per pixel → the class colours mixed by probability, faded towards white
 * where the network is unsure (max p near 1/K), so confident regions read as solid areas.
 */
export function paintClasses(out, tensor, strength = 0.75) {
  const [h, w, k] = tensor.shape;
  const d = tensor.data;
  for (let p = 0, n = h * w; p < n; p++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let best = 0;
    for (let j = 0; j < k; j++) {
      const q = d[p * k + j] || 0;
      const col = CLASS_RGB[j % CLASS_RGB.length];
      r += q * col[0];
      g += q * col[1];
      b += q * col[2];
      if (q > best) best = q;
    }
    const conf = Math.max(0, Math.min(1, (best - 1 / k) / (1 - 1 / k))) * strength;
    const o = 4 * p;
    out[o] = 255 + (r - 255) * conf;
    out[o + 1] = 255 + (g - 255) * conf;
    out[o + 2] = 255 + (b - 255) * conf;
    out[o + 3] = 255;
  }
  return out;
}

/** max |v| of a regression target list (the ŷ colour scale's half-range), at least a tiny bit. */
export function valueRange(values) {
  let m = 0;
  for (const v of values ?? []) if (typeof v === "number" && Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m || 1;
}

/**
 * The network's output picture: `task` "classification" with K = 1 (σ's probability of class 1),
 * K ≥ 2 (softmax), or "regression" (ŷ on the value scale over ±`range`).
 */
export function paintOutput(out, tensor, task, range = 1, strong = false, discrete = false) {
  const k = tensor.shape[2] ?? 1;
  if (discrete) return paintDiscrete(out, tensor, task);
  if (task === "regression") return paintChannel(out, tensor, 0, strong ? VALUE_LUT : VALUE_LUT_SOFT, -range, range);
  if (k === 1) return paintChannel(out, tensor, 0, strong ? BINARY_LUT_STRONG : BINARY_LUT, 0, 1);
  return paintClasses(out, tensor, strong ? 0.95 : 0.75);
}

/**
 * TF Playground's "discretize output": each pixel in the full colour of the answer the network
 * would give there — the likelier class (p ≥ ½ for one output, the largest p of several), or ŷ's
 * sign — so the decision boundary is a sharp edge.
 */
export function paintDiscrete(out, tensor, task) {
  const [h, w, k = 1] = tensor.shape;
  const d = tensor.data;
  for (let p = 0, n = h * w; p < n; p++) {
    let col;
    if (task === "regression") col = d[p * k] >= 0 ? POSITIVE : NEGATIVE;
    else if (k === 1) col = CLASS_RGB[d[p] >= 0.5 ? 1 : 0];
    else {
      let best = 0;
      for (let j = 1; j < k; j++) if (d[p * k + j] > d[p * k + best]) best = j;
      col = CLASS_RGB[best % CLASS_RGB.length];
    }
    const o = 4 * p;
    out[o] = col[0];
    out[o + 1] = col[1];
    out[o + 2] = col[2];
    out[o + 3] = 255;
  }
  return out;
}

// One output unit of a softmax: its probability p_k, from white (0) to class k's colour (1).
export const CLASS_LUTS = CLASS_RGB.map((c) => divergingLut(WHITE, c, 0.95));

/** The picture of output unit `ch`: same colours as the big map, so the two are read alike. */
export function paintOutputUnit(out, tensor, ch, task, range = 1) {
  const k = tensor.shape[2] ?? 1;
  if (task === "regression") return paintChannel(out, tensor, ch, VALUE_LUT, -range, range);
  if (k === 1) return paintChannel(out, tensor, ch, BINARY_LUT_STRONG, 0, 1);
  return paintChannel(out, tensor, ch, CLASS_LUTS[ch % CLASS_LUTS.length], -1, 1);
}
