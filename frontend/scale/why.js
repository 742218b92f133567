// The Scale lesson's panel on the Transformer page (#gpt-scale): for the rung a lesson step names,
// the engine's one sentence (memory first, then time) and its GPUs-vs-days curve, on log–log axes,
// with this run's GPU count marked and the counts whose memory cannot hold the model dashed. Every
// number is the engine's (POST /api/scale → `why`, engine/scale/why.py); this file only draws.

import { fetchPresets, postScale } from "../api.js";
import { AXIS, GRID, LOSS_LINE, MUTED } from "../render/colors.js";
import { fmtDays } from "./units.js";
import { buildRequest, presetsQuery } from "./where.js";

const NS = "http://www.w3.org/2000/svg";

/** The step of the lesson the room is at, or null. */
function lessonStep(room) {
  const l = room?.lesson;
  return l ? room.lessonData?.[l.id]?.steps?.[l.step] ?? null : null;
}

/** The POST /api/scale body for a rung: the ladder's preset as published, or for "transformer" the
 * room's own run — its model as GET /api/scale/presets builds it from the session's settings (kv heads,
 * d_ff and vocabulary included), its batch as the micro-batch (scale/where.js, as the Scale page asks). */
export async function requestFor(rung, config = {}) {
  if (rung !== "transformer") return { preset: rung };
  const where = { preset: "transformer", tf: config ?? {}, model: {} };
  const presets = await fetchPresets(presetsQuery(where));
  return buildRequest(where, presets?.find((p) => p.name === "transformer")?.model ?? null);
}

/** "1", "16", "1,024", "16,384": a GPU count as people write it. */
export function gpuLabel(n) {
  return Number(n).toLocaleString("en");
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/** A power of ten of days as an axis tick: "0.1 d", "1 d", "1,000 d", then "10⁴ d" (narrow enough for the margin). */
export function dayTick(d) {
  const e = Math.round(Math.log10(d));
  if (e < 0) return `${+d.toPrecision(1)} d`; // a curve that ends under a day: 0.1 d, 0.01 d
  return e < 4 ? `${Math.round(d).toLocaleString("en")} d` : `10${[...String(e)].map((c) => SUPERSCRIPT[c]).join("")} d`;
}

/** A power of ten of seconds as an axis tick: "10 ns", "1 ms", "100 s". */
export function secondTick(s) {
  if (s >= 1) return `${Math.round(s).toLocaleString("en")} s`;
  const [scale, unit] = s >= 1e-3 ? [1e3, "ms"] : s >= 1e-6 ? [1e6, "µs"] : [1e9, "ns"];
  return `${Math.round(s * scale)} ${unit}`;
}

const gpus = (n) => `${gpuLabel(n)} GPU${n === 1 ? "" : "s"}`;

/**
 * The curve laid out in a `w` × `h` box (pixels): log10 x (GPUs) and y (days — or seconds when the
 * whole curve is under a day: decades of days would all be fractions), the margins for the labels. Returns {points: [{x, y, gpus, days, holds}], xTicks: [{x, label}], yTicks: [{y, label}],
 * run: the point at `runGpus` or null}. Pure: tested without a DOM.
 */
export function curveLayout(curve, w, h, runGpus, { left = 76, right = 34, top = 12, bottom = 34 } = {}) {
  const pts = (curve ?? []).filter((p) => p.gpus > 0 && p.days > 0);
  if (pts.length < 2 || !(w > left + right) || !(h > top + bottom)) return null;
  const unit = Math.max(...pts.map((p) => p.days)) >= 1 ? "days" : "seconds";
  const per = unit === "days" ? 1 : 86_400; // seconds in a day: a unit, not a figure
  const lx = pts.map((p) => Math.log10(p.gpus));
  const ly = pts.map((p) => Math.log10(p.days * per));
  const [x0, x1] = [Math.min(...lx), Math.max(...lx)];
  const [y0, y1] = [Math.floor(Math.min(...ly)), Math.ceil(Math.max(...ly))];
  const X = (v) => left + ((v - x0) / (x1 - x0 || 1)) * (w - left - right);
  const Y = (v) => top + ((y1 - v) / (y1 - y0 || 1)) * (h - top - bottom);
  const points = pts.map((p, i) => ({ ...p, x: X(lx[i]), y: Y(ly[i]) }));
  // ticks at powers of two only (the run's count and the memory floor are marked apart), as many as
  // fit 64 px apart
  const pow2 = points.filter((p) => Number.isInteger(Math.log2(p.gpus)));
  const xEvery = Math.max(1, Math.ceil(pow2.length / Math.max(2, Math.floor((w - left - right) / 64))));
  const xTicks = pow2.filter((_, i) => i % xEvery === 0).map((p) => ({ x: p.x, label: gpuLabel(p.gpus) }));
  const yEvery = Math.max(1, Math.ceil((y1 - y0) / Math.max(2, Math.floor((h - top - bottom) / 22))));
  const yTicks = [];
  for (let e = y0; e <= y1; e += yEvery) yTicks.push({ y: Y(e), label: (unit === "days" ? dayTick : secondTick)(10 ** e) });
  const run = points.find((p) => p.gpus === runGpus) ?? null;
  const floor = points.find((p) => p.holds) ?? null; // the fewest GPUs whose memory holds the model states
  return { points, xTicks, yTicks, run, floor, unit, box: { left, right: w - right, top, bottom: h - bottom } };
}

function svgEl(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Narrower than this, the marks' words go under the chart (legend), not beside the marks.
const LABELS_MIN_WIDTH = 560;

/** The marks in words: this run's point and the memory floor. */
function marksText(layout) {
  const parts = [];
  if (layout?.run) parts.push(`● ${gpus(layout.run.gpus)}: ${fmtDays(layout.run.days)} (this run)`);
  if (layout?.floor && layout.floor !== layout.points[0]) parts.push(`┆ memory holds it from ${gpus(layout.floor.gpus)}`);
  return parts.join("   ");
}

function drawCurve(svg, layout, why) {
  const w = svg.clientWidth;
  const h = svg.clientHeight;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.replaceChildren();
  if (!layout) return;
  const { box, points, run } = layout;
  for (const t of layout.yTicks) {
    svg.append(svgEl("line", { x1: box.left, x2: box.right, y1: t.y, y2: t.y, stroke: GRID }));
    svg.append(svgEl("text", { x: box.left - 6, y: t.y + 4, "text-anchor": "end", class: "sw-tick" }, t.label));
  }
  for (const t of layout.xTicks) {
    svg.append(svgEl("line", { x1: t.x, x2: t.x, y1: box.top, y2: box.bottom, stroke: GRID }));
    svg.append(svgEl("text", { x: t.x, y: box.bottom + 15, "text-anchor": "middle", class: "sw-tick" }, t.label));
  }
  svg.append(svgEl("line", { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom, stroke: AXIS }));
  svg.append(svgEl("line", { x1: box.left, x2: box.left, y1: box.top, y2: box.bottom, stroke: AXIS }));
  svg.append(svgEl("text", { x: (box.left + box.right) / 2, y: box.bottom + 30, "text-anchor": "middle", class: "sw-axis" }, "GPUs"));
  const mid = (box.top + box.bottom) / 2;
  svg.append(svgEl("text", { x: 12, y: mid, "text-anchor": "middle", transform: `rotate(-90 12 ${mid})`, class: "sw-axis" },
    layout.unit === "days" ? "training days" : "training time"));
  // Where the model states do not fit, dashed: those counts cannot train it at all.
  const path = (pts) => pts.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("");
  const firstHeld = points.findIndex((p) => p.holds);
  const cut = firstHeld === -1 ? points.length : firstHeld;
  if (cut > 0) svg.append(svgEl("path", { d: path(points.slice(0, cut + 1)), fill: "none", stroke: MUTED, "stroke-width": 2, "stroke-dasharray": "5 4", class: "sw-nofit" }));
  if (cut < points.length) svg.append(svgEl("path", { d: path(points.slice(cut)), fill: "none", stroke: LOSS_LINE, "stroke-width": 3, class: "sw-line" }));
  const words = w >= LABELS_MIN_WIDTH;
  if (firstHeld > 0) {
    const p = points[firstHeld];
    const right = p.x > (box.left + box.right) * 0.6;
    svg.append(svgEl("line", { x1: p.x, x2: p.x, y1: box.top, y2: box.bottom, stroke: MUTED, "stroke-dasharray": "2 3" }));
    // at the top, right of the line: the curve is highest at the left, so the space above it there is free
    if (words) {
      svg.append(svgEl("text", { x: p.x + (right ? -6 : 6), y: box.top + 14, "text-anchor": right ? "end" : "start", class: "sw-note" },
        `memory holds it from ${gpus(p.gpus)}`));
    }
  }
  if (run) {
    svg.append(svgEl("circle", { cx: run.x, cy: run.y, r: 6, fill: LOSS_LINE, class: "sw-run" }));
    // the curve falls to the right: above-right of the point and below-left of it are clear of it
    const right = run.x > (box.left + box.right) / 2;
    if (words) {
      svg.append(svgEl("text", { x: run.x + (right ? -10 : 10), y: run.y + (right ? 22 : -10), "text-anchor": right ? "end" : "start", class: "sw-runlabel" },
        `${gpus(run.gpus)}: ${fmtDays(run.days)}`));
    }
  }
}

export function ScaleWhy(root, { getState }) {
  root.classList.add("gpt-scale");
  root.hidden = true;
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Why so many GPUs</span><span class="panel-value sw-title"></span></div>
    <p class="sw-sentence" aria-live="polite"></p>
    <svg class="sw-curve" role="img" aria-label="training days against the number of GPUs"></svg>
    <p class="sw-marks" hidden></p>
    <p class="sw-assumes"></p>`;
  const title = root.querySelector(".sw-title");
  const sentence = root.querySelector(".sw-sentence");
  const svg = root.querySelector("svg");
  const assumes = root.querySelector(".sw-assumes");
  const marks = root.querySelector(".sw-marks");
  let asked = "";
  let reply = null;
  let drawn = "";

  async function ask(rung, config, key) {
    try {
      const res = await postScale(await requestFor(rung, config));
      if (asked !== key) return; // a newer step asked meanwhile
      reply = res.ok ? res.json : null;
      sentence.textContent = reply?.why?.sentence ?? `The calculator could not answer (${res.status}).`;
      title.textContent = reply?.title ?? "";
      assumes.textContent = reply?.why?.assumes ? `Curve: ${reply.why.assumes}.` : "";
      drawn = "";
      draw(); // now: nothing else may change on the page to call update again
    } catch {
      if (asked === key) sentence.textContent = "The calculator could not be reached.";
    }
  }

  function draw() {
    const why = reply?.why;
    const size = `${svg.clientWidth}x${svg.clientHeight}`;
    if (!why || root.hidden || drawn === `${asked}|${size}`) return;
    drawn = `${asked}|${size}`;
    const layout = curveLayout(why.curve, svg.clientWidth, svg.clientHeight, why.n_gpus);
    drawCurve(svg, layout, why);
    marks.hidden = svg.clientWidth >= LABELS_MIN_WIDTH || !layout;
    marks.textContent = marks.hidden ? "" : marksText(layout);
    svg.dataset.points = String(why.curve.length);
  }

  new ResizeObserver(() => draw()).observe(svg); // a relayout alone redraws the curve at its new size

  return {
    update(state) {
      const step = lessonStep(state?.room);
      const rung = step?.scale ?? null;
      root.hidden = !rung;
      if (!rung) return;
      const config = state.session?.config ?? {};
      const key = JSON.stringify([rung, rung === "transformer" ? config : null]);
      if (key !== asked) {
        asked = key;
        reply = null;
        sentence.textContent = "Asking the calculator…";
        title.textContent = "";
        assumes.textContent = "";
        svg.replaceChildren();
        marks.hidden = true;
        ask(rung, config, key);
      }
      draw();
    },
  };
}
