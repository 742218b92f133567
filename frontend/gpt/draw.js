// Colours of the transformer page: attention heatmaps (one colour ramp for every map, so maps
// compare) and the loss colour of a character. Its charts draw with render/canvas.js. Stateless.

import { isNum } from "../render/format.js";

/** The colour of an attention weight w ∈ [0, 1]: white → deep blue; √ lifts the small ones. */
export function attnRGB(w) {
  const t = Math.sqrt(Math.max(0, Math.min(1, w)));
  return [Math.round(255 - t * (255 - 8)), Math.round(255 - t * (255 - 48)), Math.round(255 - t * (255 - 107))];
}

export const MASKED = [229, 231, 235]; // the future, which the causal mask hides: grey, not "0"

const scratch = typeof document !== "undefined" ? document.createElement("canvas") : null;

/**
 * A T×T map (row-major Float32Array or nested rows) as square cells into ctx at (x, y), size px.
 * Cells above the diagonal (key after query) are the causal mask's: grey.
 */
export function heatmap(ctx, map, T, x, y, size) {
  if (!scratch || T < 1) return;
  scratch.width = T;
  scratch.height = T;
  const sctx = scratch.getContext("2d");
  const img = sctx.createImageData(T, T);
  const at = Array.isArray(map) ? (i, j) => map[i]?.[j] ?? 0 : (i, j) => map[i * T + j];
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const [r, g, b] = j > i ? MASKED : attnRGB(at(i, j));
      const o = 4 * (i * T + j);
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  }
  sctx.putImageData(img, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = false; // a cell is a cell: no blur between characters
  ctx.drawImage(scratch, x, y, size, size);
  ctx.restore();
}

/** Background colour of a character by its loss: green (predicted) → yellow → red (surprised). */
export function lossColor(loss, uniform = 4.5) {
  if (!isNum(loss)) return "transparent";
  const t = Math.max(0, Math.min(1, loss / uniform));
  const stops = [[187, 247, 208], [254, 240, 138], [252, 165, 165]];
  const [a, b, u] = t < 0.5 ? [stops[0], stops[1], t / 0.5] : [stops[1], stops[2], (t - 0.5) / 0.5];
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * u));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
