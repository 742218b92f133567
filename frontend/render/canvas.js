// The one chart kit every page draws with: crisp drawing on HiDPI screens, scales (linear and log),
// ticks, axes and small charts' frames, traces, marker lines, the class and racer markers.
// Everything here is stateless; each view owns its canvas.

import { AXIS, CLASS_COLORS, GRID, INK, MUTED } from "./colors.js";
import { finiteBounds, fmt, isNum } from "./format.js";

export const FONT = '16px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const FONT_SMALL = '14px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** The text drawing state in one call: font, colour, alignment, baseline. */
export function textStyle(ctx, font, fillStyle, textAlign, textBaseline) {
  Object.assign(ctx, { font, fillStyle, textAlign, textBaseline });
}

/**
 * How much larger a chart draws everything (type, ticks, lines, markers) than its 14–16 px
 * constants: presenter mode on a projector wants ≈ 24 px tick labels (14 px × 1.75 = 24.5 px at
 * 1920×1080); on a smaller presenter screen up to 1.3, less in a narrow chart (under 312 px), so
 * its plotting area is not all margins. 1 elsewhere.
 */
export function chartZoom(presenter, viewportWidth, canvasWidth = Infinity) {
  if (!presenter) return 1;
  return viewportWidth >= 1600 ? 1.75 : Math.max(1, Math.min(1.3, canvasWidth / 240));
}

/**
 * Match the backing store to the element's CSS size × devicePixelRatio; returns the size to draw
 * in (CSS pixels ÷ the chart zoom), so every font and line of the view grows with the zoom.
 */
export function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const cw = Math.max(1, Math.round(canvas.clientWidth));
  const zoom = chartZoom(document.documentElement.classList.contains("presenter"), window.innerWidth, cw);
  const chh = Math.max(1, Math.round(canvas.clientHeight));
  if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(chh * dpr)) {
    canvas.width = Math.round(cw * dpr);
    canvas.height = Math.round(chh * dpr);
  }
  canvas.dataset.zoom = String(zoom); // canvasPoint() reads it back for clicks
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr * zoom, 0, 0, dpr * zoom, 0, 0);
  const w = cw / zoom;
  const h = chh / zoom;
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

/** A pointer event's position in the drawing's coordinates (CSS pixels ÷ the chart zoom). */
export function canvasPoint(canvas, ev) {
  const r = canvas.getBoundingClientRect();
  const zoom = Number(canvas.dataset.zoom) || 1;
  return { x: (ev.clientX - r.left) / zoom, y: (ev.clientY - r.top) / zoom };
}

export function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  const f = (v) => r0 + ((v - d0) / span) * (r1 - r0);
  f.invert = (p) => d0 + ((p - r0) / (r1 - r0)) * span;
  return f;
}

/** [min, max] of the finite numbers, padded by `pad` of the span (never an empty range). */
export function extent(values, pad = 0.08) {
  const bounds = finiteBounds(values);
  if (!bounds) return [0, 1];
  const [lo, hi] = bounds;
  if (lo === hi) return [lo - 1, hi + 1];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** About `count` round tick values covering [lo, hi] (1, 2, 5 × 10ⁿ steps). */
export function ticks(lo, hi, count = 5) {
  if (!isNum(lo) || !isNum(hi) || hi <= lo) return [];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    if (out.length > 50) break;
  }
  return out;
}

/**
 * The plotting rectangle inside a w × h canvas, with a left margin as wide as the y tick labels
 * need (1×10¹⁵ is wider than 0.5). Short canvases go compact: no x title, so the plot keeps its
 * height; their panel title names the x axis instead.
 */
export function plotFrame(ctx, w, h, yd, opts = {}) {
  const compact = h < 230;
  const top = 10;
  const right = opts.right ?? 18;
  const bottom = compact ? 26 : 44;
  const plotH = Math.max(10, h - top - bottom);
  const yTicks = opts.yTicks ?? ticks(yd[0], yd[1], Math.max(2, Math.floor(plotH / 50)));
  ctx.save();
  ctx.font = opts.tickFont ?? FONT_SMALL;
  const tickW = Math.max(16, ...yTicks.map((t) => ctx.measureText(fmt(t, 3)).width));
  ctx.restore();
  const left = Math.ceil(tickW) + 34;
  return { x: left, y: top, w: Math.max(10, w - left - right), h: plotH, tickW, compact, yTicks, tickFont: opts.tickFont };
}

/**
 * Grid, tick labels and axis titles. `box` is the plotting rectangle {x, y, w, h} in CSS pixels,
 * `sx`/`sy` the scales, `xd`/`yd` their domains.
 */
export function axes(ctx, box, sx, sy, xd, yd, xLabel, yLabel, opts = {}) {
  const xt = opts.xTicks ?? ticks(xd[0], xd[1], Math.max(2, Math.floor(box.w / 80)));
  const yt = opts.yTicks ?? box.yTicks ?? ticks(yd[0], yd[1], Math.max(2, Math.floor(box.h / 50)));
  ctx.save();
  gridLines(ctx, box, xt, yt, sx, sy);
  textStyle(ctx, box.tickFont ?? FONT_SMALL, MUTED, "center", "top");
  for (const t of xt) ctx.fillText(fmt(t, 3), sx(t), box.y + box.h + 4);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yt) ctx.fillText(fmt(t, 3), box.x - 6, sy(t));
  textStyle(ctx, FONT, INK, "center", "bottom");
  if (xLabel && !box.compact) ctx.fillText(xLabel, box.x + box.w / 2, box.y + box.h + 40);
  if (yLabel) {
    // [long, short]: the long title where it fits along the axis, else the short one.
    const [long, short] = Array.isArray(yLabel) ? yLabel : [yLabel, yLabel];
    yLabel = ctx.measureText(long).width <= box.h ? long : short;
    ctx.translate(Math.max(20, box.x - (box.tickW ?? 44) - 12), box.y + box.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "bottom";
    ctx.fillText(yLabel, 0, 0);
  }
  ctx.restore();
}

/** Class 0 a circle, class 1 a square: the shape says the class even without colour. */
export function marker(ctx, x, y, cls, r = 6) {
  ctx.fillStyle = CLASS_COLORS[cls ? 1 : 0];
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  if (cls) ctx.rect(x - r, y - r, 2 * r, 2 * r);
  else ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
}

/** The ring that marks "this sample is in the current batch". */
export function ring(ctx, x, y, r = 12) {
  ctx.save();
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

export function arrowHead(ctx, x0, y0, x1, y1, size = 10) {
  const ang = Math.atan2(y1 - y0, x1 - x0);
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - size * Math.cos(ang - 0.45), y1 - size * Math.sin(ang - 0.45));
  ctx.lineTo(x1 - size * Math.cos(ang + 0.45), y1 - size * Math.sin(ang + 0.45));
  ctx.closePath();
  ctx.fill();
}

/** Centered message for an empty plot (no data yet, or nothing finite to show). */
export function emptyNote(ctx, w, h, text) {
  ctx.save();
  textStyle(ctx, FONT, MUTED, "center", "middle");
  ctx.fillText(text, w / 2, h / 2);
  ctx.restore();
}

/** Clip a convex polygon to the half-plane a·x + b·y + c ≥ 0 (Sutherland–Hodgman, one edge). */
export function clipHalfPlane(poly, a, b, c) {
  const side = ([x, y]) => a * x + b * y + c;
  const out = [];
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i];
    const q = poly[(i + 1) % poly.length];
    const sp = side(p);
    const sq = side(q);
    if (sp >= 0) out.push(p);
    if ((sp >= 0) !== (sq >= 0)) {
      const t = sp / (sp - sq);
      out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return out;
}

/** Grid lines at the ticks (vertical at `xt`, horizontal at `yt`) and the frame around `box`. */
function gridLines(ctx, box, xt, yt, sx, sy) {
  ctx.lineWidth = 1;
  ctx.strokeStyle = GRID;
  ctx.beginPath();
  for (const t of xt) {
    const x = Math.round(sx(t)) + 0.5;
    ctx.moveTo(x, box.y);
    ctx.lineTo(x, box.y + box.h);
  }
  for (const t of yt) {
    const y = Math.round(sy(t)) + 0.5;
    ctx.moveTo(box.x, y);
    ctx.lineTo(box.x + box.w, y);
  }
  ctx.stroke();
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
}

/** Horizontal grid lines at `yTicks`, the frame around `box` and the y labels: a small chart's axes
 * (each chart writes its own x labels). */
export function gridFrame(ctx, box, yTicks, sy, fmtY) {
  ctx.save();
  gridLines(ctx, box, [], yTicks, null, sy);
  textStyle(ctx, FONT_SMALL, MUTED, "right", "middle");
  for (const t of yTicks) ctx.fillText(fmtY(t), box.x - 5, sy(t));
  ctx.restore();
}

// ---- small charts (the Descent and Transformer panels): frames, traces, markers (log scales: logscale.js) ----

/** x tick labels kept inside [x0, x1]: the ones at the ends lean inwards rather than get cut. */
export function xTickLabels(ctx, xTicks, sx, x0, x1, y, label = (t) => fmt(t, 3)) {
  ctx.textBaseline = "top";
  for (const t of xTicks) {
    const text = label(t);
    const half = ctx.measureText(text).width / 2;
    const px = sx(t);
    ctx.textAlign = px - half < x0 ? "left" : px + half > x1 ? "right" : "center";
    ctx.fillText(text, ctx.textAlign === "left" ? Math.max(px, x0) : ctx.textAlign === "right" ? Math.min(px, x1) : px, y);
  }
}

/** A frame with y ticks at `yTicks` and x ticks at `xTicks`, for the panels' small charts (whose
 * panels name their axes). */
export function frame(ctx, box, sx, sy, xTicks, yTicks, fmtY = (t) => fmt(t, 3), fmtX = (t) => fmt(t, 3)) {
  gridFrame(ctx, box, yTicks, sy, fmtY);
  ctx.save();
  ctx.fillStyle = MUTED;
  ctx.font = FONT_SMALL;
  xTickLabels(ctx, xTicks, sx, box.x - 4, box.x + box.w + 8, box.y + box.h + 3, fmtX);
  ctx.restore();
}

/** A polyline through finite points; a gap (null) lifts the pen. */
export function trace(ctx, xs, ys, sx, sy) {
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    if (!isNum(xs[i]) || !isNum(ys[i])) {
      pen = false;
      continue;
    }
    if (pen) ctx.lineTo(sx(xs[i]), sy(ys[i]));
    else ctx.moveTo(sx(xs[i]), sy(ys[i]));
    pen = true;
  }
  ctx.stroke();
}

/** A racer's marker shape centred on (x, y) (its shape says which racer without colour), filled
 * with `color` (else the current fill); `outline`: a white ring, for a busy map. */
export function drawMarker(ctx, shape, x, y, r = 5, color = null, outline = false) {
  ctx.beginPath();
  if (shape === "square") ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (shape === "triangle") {
    ctx.moveTo(x, y - r * 1.1);
    ctx.lineTo(x + r, y + r * 0.8);
    ctx.lineTo(x - r, y + r * 0.8);
    ctx.closePath();
  } else if (shape === "diamond") {
    ctx.moveTo(x, y - r * 1.2);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + r * 1.2);
    ctx.lineTo(x - r, y);
    ctx.closePath();
  } else ctx.arc(x, y, r, 0, 2 * Math.PI);
  if (color) ctx.fillStyle = color;
  ctx.fill();
  if (!outline) return;
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 2;
  ctx.stroke();
}

/** Save the context and clip it to the plot box (lines past an axis are cut): the caller restores. */
export function clipTo(ctx, box) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.x, box.y, box.w, box.h);
  ctx.clip();
}

/** A horizontal reference line across the plot (a clip threshold, the uniform guess), its label at
 * the right end: under the line, or over it when `above` and there is room. */
export function hmark(ctx, y, box, label = "", { color = MUTED, dash = [6, 4], width = 2, font = FONT_SMALL, above = false } = {}) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(box.x, y);
  ctx.lineTo(box.x + box.w, y);
  ctx.stroke();
  if (label) {
    const over = above && y - box.y > 20;
    Object.assign(ctx, { fillStyle: color, font, textAlign: "right", textBaseline: over ? "bottom" : "top" });
    ctx.fillText(label, box.x + box.w - 4, y + (over ? -2 : 3));
  }
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
