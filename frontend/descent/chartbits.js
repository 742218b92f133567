// Small pieces the Descent page's update and tricks panels share: how a racer is drawn (its colour,
// a dash and a marker, so hue is never the only cue), log scales for quantities that span decades
// (‖g‖, activation spreads), and keeping typed keys inside the panel's own fields. Nothing here
// touches the DOM at import time, so node --test can load it.

import { MUTED } from "../render/colors.js";
import { FONT_SMALL, gridFrame } from "../render/canvas.js";
import { fmt, isNum } from "../render/format.js";
import { OPTIMIZER_TITLES, SLOTS } from "./race.js";

/** Colour, dash and marker of racer i: the racer's own, else its slot's (race.js holds them once). */
export function racerStyle(racer, i) {
  const slot = SLOTS[i % SLOTS.length];
  return { color: racer?.color ?? slot.color, dash: racer?.dash ?? slot.dash, marker: racer?.marker ?? slot.marker };
}

export function optimizerName(opt) {
  return OPTIMIZER_TITLES[opt] ?? String(opt ?? "?");
}

/** A marker shape centred on (x, y). */
export function drawMarker(ctx, kind, x, y, r = 5) {
  ctx.beginPath();
  if (kind === "square") ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (kind === "triangle") {
    ctx.moveTo(x, y - r * 1.1);
    ctx.lineTo(x + r, y + r * 0.8);
    ctx.lineTo(x - r, y + r * 0.8);
    ctx.closePath();
  } else if (kind === "diamond") {
    ctx.moveTo(x, y - r * 1.2);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + r * 1.2);
    ctx.lineTo(x - r, y);
    ctx.closePath();
  } else ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fill();
}

/** An inline SVG swatch: a short line in the racer's dash with its marker in the middle. */
export function swatch(racer, i) {
  const { color, dash, marker } = racerStyle(racer, i);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 34 16");
  svg.setAttribute("width", "34");
  svg.setAttribute("height", "16");
  svg.setAttribute("class", "dp-swatch");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(ns, "line");
  Object.entries({ x1: 1, y1: 8, x2: 33, y2: 8, stroke: color, "stroke-width": 3, "stroke-dasharray": dash.join(" ") }).forEach(([k, v]) => line.setAttribute(k, String(v)));
  const shapes = {
    circle: ["circle", { cx: 17, cy: 8, r: 5 }],
    square: ["rect", { x: 12.5, y: 3.5, width: 9, height: 9 }],
    triangle: ["polygon", { points: "17,2 23,13 11,13" }],
    diamond: ["polygon", { points: "17,1.5 23,8 17,14.5 11,8" }],
  };
  const [tag, attrs] = shapes[marker] ?? shapes.circle;
  const m = document.createElementNS(ns, tag);
  Object.entries({ ...attrs, fill: color, stroke: "#fff", "stroke-width": 1 }).forEach(([k, v]) => m.setAttribute(k, String(v)));
  svg.append(line, m);
  return svg;
}

/**
 * Whole decades [10^a, 10^b] covering the positive finite values, at least `minDecades` wide and at
 * most `maxDecades` (below that the smallest values sit on the floor: a ‖g‖ of 10⁻¹⁸ after a run has
 * converged must not squash the decades where the story is).
 */
export function logDomain(values, minDecades = 2, maxDecades = Infinity) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!isNum(v) || v <= 0) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === Infinity) return [0.01, 1];
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

/** A frame with y ticks at `yTicks` and x ticks at `xTicks`, for the panels' small charts. */
export function frame(ctx, box, sx, sy, xTicks, yTicks, fmtY = (t) => fmt(t, 3)) {
  gridFrame(ctx, box, yTicks, sy, fmtY);
  ctx.save();
  ctx.fillStyle = MUTED;
  ctx.font = FONT_SMALL;
  xTickLabels(ctx, xTicks, sx, box.x - 4, box.x + box.w + 8, box.y + box.h + 3);
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

function isField(el) {
  const tag = el?.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
}

/**
 * Keys typed into the panel's fields stay there: the page's shortcuts (S, Space, R…) never see
 * them. Enter or Escape ends the edit, so the next key is a shortcut again.
 */
export function keepKeys(root) {
  root.addEventListener("keydown", (ev) => {
    if (!isField(ev.target)) return;
    ev.stopPropagation();
    if (ev.key === "Enter" || ev.key === "Escape") ev.target.blur();
  });
}

/** One line of per-racer numbers after a label: each racer's swatch, then its text (name on hover). */
export function racerLine(root, label, racers, text) {
  const parts = [];
  if (label) parts.push(Object.assign(document.createElement("span"), { className: "tr-count-label", textContent: label }));
  racers.forEach((r, i) => {
    const span = document.createElement("span");
    span.className = "tr-count";
    span.title = optimizerName(r.optimizer);
    span.append(swatch(r, i), text(r, i));
    parts.push(span);
  });
  root.replaceChildren(...parts);
}

/** Disable every control of a panel (a viewer watches, never steers). */
export function setDisabled(root, disabled) {
  for (const el of root.querySelectorAll("input, select, button")) {
    if (!el.dataset.always) el.disabled = disabled;
  }
}

/** Equal draw keys: lists compared item by item (one level of nesting), anything else by identity. */
export function sameKey(a, b) {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((x, i) => (Array.isArray(x) ? Array.isArray(b[i]) && x.length === b[i].length && x.every((y, j) => y === b[i][j]) : x === b[i]));
}
