// Drawing helpers of the transformer page: attention heatmaps (one colour ramp for every map, so
// maps compare), the loss colour of a character, small line charts. Stateless.

import { INK, MUTED } from "../render/colors.js";
import { FONT_SMALL, gridFrame } from "../render/canvas.js";
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

/** A polyline through finite (x, y) points; gaps (null) lift the pen. */
export function polyline(ctx, xs, ys, sx, sy) {
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    if (!isNum(ys[i]) || !isNum(xs[i])) {
      pen = false;
      continue;
    }
    const px = sx(xs[i]);
    const py = sy(ys[i]);
    if (pen) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    pen = true;
  }
  ctx.stroke();
}

/** A frame with a few tick labels, for the small charts whose panels name their axes. */
export function miniAxes(ctx, box, xTicks, yTicks, sx, sy, fmtX, fmtY) {
  gridFrame(ctx, box, yTicks, sy, fmtY);
  ctx.save();
  ctx.fillStyle = MUTED;
  ctx.font = FONT_SMALL;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of xTicks) ctx.fillText(fmtX(t), sx(t), box.y + box.h + 3);
  ctx.restore();
}

/** A vertical marker line with a label at its top (a phase switch, "you are here"). */
export function vmark(ctx, x, box, label, color = INK, dash = [6, 4], where = "top") {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(Math.round(x) + 0.5, box.y);
  ctx.lineTo(Math.round(x) + 0.5, box.y + box.h);
  ctx.stroke();
  ctx.setLineDash([]);
  if (label) {
    ctx.font = `700 ${FONT_SMALL}`;
    ctx.fillStyle = color;
    ctx.textBaseline = "top";
    const w = ctx.measureText(label).width;
    const right = x + 4 + w <= box.x + box.w;
    ctx.textAlign = right ? "left" : "right";
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    const y = where === "top" ? box.y + 2 : box.y + box.h - 20;
    ctx.fillRect(right ? x + 2 : x - w - 6, y, w + 4, 18);
    ctx.fillStyle = color;
    ctx.fillText(label, right ? x + 4 : x - 4, y + 1);
  }
  ctx.restore();
}
