// The training loop as boxes: forward stages left→right along the top, the backward stages
// (gradients, update) right→left along a return path underneath, closing back into Weights.
// A short dot animation shows the value travelling into the stage that just ran. The boxes, their
// words and their direction are the served plan's (state.js planOf): one box per plan entry.

import { planOf, visibleTrace } from "../state.js";
import { fmt, fmtBrief } from "../render/format.js";
import { directionClass } from "../render/stagestyle.js";
import { keyLabel } from "./formula.js";
import { planKey } from "./ribbon.js";
import { keepInView } from "../render/inview.js";
import { el, svgEl } from "../render/dom.js";

const ANIM_MS = 250;
const TOP_H = 80; // a box's height; presenter mode's larger type asks for more (CSS --stage-h)
// The gaps between the forward row and the return path, and between boxes (the arrows' length);
// a short screen asks for less (CSS --row-gap, --col-gap).
const ROW_GAP = 22;
const COL_GAP = 44;
const ARC_UNDER = 26; // one row: the room under the boxes for the arc back into Weights
const ENTRY = 34; // room on the left for the "data in" arrow

/** One line of the stage's numbers for its box (the formula panel has them all). */
function summary(name, values, model) {
  if (!values) return "";
  const sym = (key) => keyLabel(key, model); // the model's own symbols (the line's a and ŷ)
  const w = sym("w");
  switch (name) {
    case "input": {
      const xs = Array.isArray(values.x) ? values.x : [];
      if (xs.length > 1) return `${xs.length} samples`;
      const x0 = Array.isArray(xs[0]) && xs[0].length > 1 ? `(${xs[0].map((v) => fmt(v, 2)).join(", ")})` : fmt(xs[0]?.[0] ?? xs[0], 3);
      return `x = ${x0}, y = ${fmtBrief(values.y)}`;
    }
    case "weights":
    case "update": {
      const ws = Array.isArray(values.w) ? values.w : [values.w];
      const wText = ws.length > 1 ? `(${ws.map((v) => fmt(v, 3)).join(", ")})` : fmt(ws[0], 3);
      // b is absent where it is not a parameter (a line with its bias off): say nothing rather than 0
      return typeof values.b === "number" ? `${w} = ${wText}, b = ${fmt(values.b, 3)}` : `${w} = ${wText}`;
    }
    case "linear":
      return `${sym("z")} = ${fmtBrief(values.z)}`;
    case "activation":
      return `a = ${fmtBrief(values.a)}`;
    case "loss":
      return `L = ${fmtBrief(values.loss)}`;
    case "gradients":
      return `${sym("grad_w")} = ${fmtBrief(values.grad_w)}`;
    default:
      return "";
  }
}

/**
 * Box rectangles (CSS px, relative to the view) by stage name, for a plan ([{stage, direction}]) and
 * a width; `rows` 1 or 2 says which the layout used. Two rows: the forward stages along the top, the
 * return path underneath. `rows: 1` (a short screen: a 1024×768 projector beside a lesson) asks for
 * the backward stages to follow Loss in the same row, the loop closed by a "next step" arc under it;
 * granted only when every box keeps its words (`minWords`, measured; two rows keep `minBox`).
 */
export function layout(plan, width, boxH = TOP_H, minBox = 120, { rowGap = ROW_GAP, colGap = COL_GAP, rows = 2, minWords = minBox } = {}) {
  const fwd = plan.filter((e) => e.direction !== "backward").map((e) => e.stage);
  const back = plan.filter((e) => e.direction === "backward").map((e) => e.stage);
  // Boxes never narrower than their words (`minBox`, measured): on a narrow screen the arrows
  // shorten first, then the loop grows wider than its panel and scrolls sideways.
  const across = (n, g) => (width - ENTRY - 12 - g * (n - 1)) / n;
  const short = Math.min(colGap, 26);
  const line = (names, y, row, least) => {
    const n = Math.max(1, names.length);
    const gap = across(n, colGap) >= least ? colGap : short;
    const boxW = Math.max(least, across(n, gap));
    const col = (i) => ENTRY + i * (boxW + gap);
    return { col, at: Object.fromEntries(names.map((name, i) => [name, { x: col(i), y, w: boxW, h: boxH, row }])) };
  };
  if (rows === 1 && back.length && across(plan.length, short) >= minWords) {
    const { at } = line([...fwd, ...back], 8, 0, minWords);
    return { rects: at, height: 8 + boxH + ARC_UNDER, rows: 1 };
  }
  const { col, at: rects } = line(fwd, 8, 0, minBox);
  const n = Math.max(1, fwd.length);
  // The return path runs right→left: the first backward stage sits under the next-to-last forward
  // box, the last one under Weights, so "update" visibly feeds the new weights back in.
  const from = Math.max(1, n - 2);
  const to = Math.min(1, n - 1);
  const boxW = rects[fwd[0]]?.w ?? minBox;
  back.forEach((name, j) => {
    const t = back.length === 1 ? 0 : j / (back.length - 1);
    const c = from + (to - from) * t;
    rects[name] = { x: col(c), y: 8 + boxH + rowGap, w: boxW, h: boxH, row: 1 };
  });
  return { rects, height: 8 + boxH + rowGap + (back.length ? boxH : 0) + 8, rows: 2 };
}

/** The "next step" edge from Update back into Weights, and where its label goes. */
function loopPath(u, w) {
  const ux = u.x + u.w / 2;
  const wx = w.x + w.w / 2;
  if (u.row === w.row) { // one row: an arc under the boxes between them
    const low = u.y + u.h + ARC_UNDER * 1.2; // a cubic with both controls here bottoms out at 3/4 of the way
    return { d: `M ${ux} ${u.y + u.h + 2} C ${ux} ${low}, ${wx} ${low}, ${wx} ${w.y + w.h + 2}`,
      label: { x: (ux + wx) / 2, y: u.y + u.h + ARC_UNDER * 0.9 - 6, "text-anchor": "middle" } };
  }
  const d = ux === wx
    ? `M ${ux} ${u.y - 2} L ${wx} ${w.y + w.h + 2}`
    : `M ${ux} ${u.y - 2} C ${ux} ${w.y + w.h + 20}, ${wx} ${u.y - 20}, ${wx} ${w.y + w.h + 2}`;
  return { d, label: { x: ux + 10, y: (u.y + w.y + w.h) / 2 + 5 } };
}

/** SVG path data of the edge that leads into stage `i` of `names`. */
function edgePath(names, i, rects) {
  const r = rects[names[i]];
  if (!r) return null;
  const midY = (q) => q.y + q.h / 2;
  if (i === 0) return `M 2 ${midY(r)} L ${r.x - 2} ${midY(r)}`;
  const p = rects[names[i - 1]];
  if (!p) return null;
  if (p.row === 0 && r.row === 0) return `M ${p.x + p.w} ${midY(p)} L ${r.x - 2} ${midY(r)}`;
  if (p.row === 0 && r.row === 1) {
    // Down from under the last forward box, curving left into the first backward box.
    const sx = p.x + p.w / 2;
    const sy = p.y + p.h;
    const ex = r.x + r.w + 2;
    const ey = midY(r);
    return `M ${sx} ${sy} C ${sx} ${ey}, ${sx} ${ey}, ${ex} ${ey}`;
  }
  if (p.row === 1 && r.row === 1) return `M ${p.x} ${midY(p)} L ${r.x + r.w + 2} ${midY(r)}`;
  return `M ${p.x + p.w / 2} ${p.y + p.h} L ${r.x + r.w / 2} ${r.y - 2}`;
}

/** Whether `next` is the stage right after `prev` in the loop (or the first one we see). */
export function movesForward(prev, next, count) {
  if (!next) return false;
  if (!prev) return true;
  if (next.step === prev.step) return next.index === prev.index + 1;
  return next.step === prev.step + 1 && next.index === 0 && prev.index === count - 1;
}

export function Pipeline(root) {
  root.classList.add("pipeline");
  const svg = svgEl("svg", { class: "pipeline-edges", "aria-hidden": "true" });
  const defs = svgEl("defs", {});
  for (const [id, cls] of [["arrow-fwd", "fwd"], ["arrow-back", "back"]]) {
    // Fixed-size heads (userSpaceOnUse), so the thicker active edge does not get a giant arrow.
    const m = svgEl("marker", { id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "18", markerHeight: "18", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" });
    m.appendChild(svgEl("path", { d: "M 0 0 L 10 5 L 0 10 z", class: `arrowhead ${cls}` }));
    defs.appendChild(m);
  }
  svg.appendChild(defs);
  const edgeLayer = svgEl("g", {});
  const dot = svgEl("circle", { r: "9", class: "travel-dot", visibility: "hidden" });
  svg.append(edgeLayer, dot);
  root.appendChild(svg);

  let key = ""; // plan + width: rebuild boxes only when one of them changes
  let boxes = {};
  let edges = [];
  let anim = null; // {path, start}
  let lastSeq = 0;
  let shown = null; // the stage message last animated into

  /**
   * What the plan's words need in this page's type: `minW`, the narrowest box that breaks no word
   * (min-content), and `height(w)`, the tallest box at width w once lines wrap (title, subtitle and a
   * typical value line "w = −0.000, b = −0.000"). CSS px.
   */
  function measure(plan) {
    const probe = el("div", "stage-box");
    probe.style.cssText = "visibility:hidden;left:0;top:0;height:auto";
    const lines = [el("div", "stage-title"), el("div", "stage-sub"), el("div", "stage-value", "w = −0.000, b = −0.000")];
    probe.append(...lines);
    root.appendChild(probe);
    const each = (fn) => plan.map((e) => {
      lines[0].textContent = e.title;
      lines[1].textContent = e.subtitle ?? "";
      return fn();
    });
    probe.style.width = "min-content";
    const minW = Math.max(...each(() => probe.offsetWidth)) + 4; // + the lit box's thicker border
    const height = (w) => {
      probe.style.width = `${w}px`;
      return Math.max(...each(() => probe.offsetHeight)) + 4;
    };
    return { minW, height, done: () => probe.remove() };
  }

  function build(plan, width, boxH, gaps) {
    const names = plan.map((e) => e.stage);
    for (const b of Object.values(boxes)) b.el.remove();
    edgeLayer.replaceChildren();
    boxes = {};
    const m = measure(plan);
    const minBox = Math.max(120, m.minW);
    const opts = { ...gaps, minWords: m.minW };
    const boxW = layout(plan, width, boxH, minBox, opts).rects[plan[0]?.stage]?.w ?? minBox;
    const needH = Math.max(boxH, Math.ceil(m.height(boxW))); // titles and values wrap: the boxes grow
    m.done();
    const { rects, height, rows } = layout(plan, width, needH, minBox, opts);
    root.style.height = `${height}px`;
    root.dataset.rows = String(rows);
    const right = Math.max(...Object.values(rects).map((r) => r.x + r.w)) + 8;
    svg.setAttribute("width", Math.max(width, right));
    svg.setAttribute("height", height);
    plan.forEach((entry) => {
      const name = entry.stage;
      const r = rects[name];
      const box = el("div", `stage-box ${directionClass(entry)}`);
      box.dataset.stage = name;
      box.title = entry.title;
      Object.assign(box.style, { left: `${r.x}px`, top: `${r.y}px`, width: `${r.w}px`, height: `${r.h}px` });
      const title = el("div", "stage-title", entry.title);
      const sub = el("div", "stage-sub", entry.subtitle);
      const val = el("div", "stage-value", "");
      box.append(title, sub, val);
      root.appendChild(box);
      boxes[name] = { el: box, val };
    });
    edges = plan.map((entry, i) => {
      const d = edgePath(names, i, rects);
      if (!d) return null;
      const back = entry.direction === "backward";
      const path = svgEl("path", { d, class: `edge ${back ? "back" : "fwd"}`, "marker-end": `url(#${back ? "arrow-back" : "arrow-fwd"})` });
      edgeLayer.appendChild(path);
      return path;
    });
    // The loop closes: the updated weights are the next step's weights.
    if (rects.update && rects.weights) {
      const { d, label: at } = loopPath(rects.update, rects.weights);
      const loop = svgEl("path", { d, class: "edge back loop", "marker-end": "url(#arrow-back)" });
      const label = svgEl("text", { ...at, class: "edge-label" });
      label.textContent = "next step";
      edgeLayer.append(loop, label);
    }
  }

  function update(state) {
    const plan = planOf(state);
    const names = plan.map((e) => e.stage);
    const model = state.session?.model ?? "";
    const width = root.clientWidth;
    const css = getComputedStyle(root);
    const boxH = parseFloat(css.getPropertyValue("--stage-h")) || TOP_H;
    const num = (name, fallback) => parseFloat(css.getPropertyValue(name)) || fallback;
    const gaps = { rowGap: num("--row-gap", ROW_GAP), colGap: num("--col-gap", COL_GAP), rows: num("--loop-rows", 2) };
    const k = `${planKey(plan)}|${width}|${boxH}|${Object.values(gaps)}`;
    if (k !== key) {
      key = k;
      build(plan, width, boxH, gaps);
    }
    const active = state.stage?.stage ?? "";
    root.dataset.activeStage = active;
    const trace = visibleTrace(state);
    // Between stepped stages (playing, whole steps) the Weights box still shows the live values.
    if (!state.stage && state.params && names.includes("weights")) trace.weights = { values: state.params };
    names.forEach((name, i) => {
      const b = boxes[name];
      if (!b) return;
      const on = name === active;
      b.el.classList.toggle("active", on);
      b.el.classList.toggle("done", !on && !!trace[name]);
      b.val.textContent = summary(name, trace[name]?.values, model);
      edges[i]?.classList.toggle("active", on);
    });
    if (!state.stage) shown = null;
    if (state.stageSeq !== lastSeq) {
      lastSeq = state.stageSeq;
      const i = names.indexOf(active);
      const forward = movesForward(shown, state.stage, names.length);
      shown = state.stage;
      if (boxes[active]) keepInView(root, boxes[active].el); // a phone's loop scrolls sideways
      // Animate only a move along the loop (the next stage, or a new step's input); a jump back
      // through history just relights the box.
      anim = i !== -1 && edges[i] && forward ? { path: edges[i], start: performance.now() } : null;
      if (!anim) dot.setAttribute("visibility", "hidden");
    }
  }

  /** Advance the travelling dot; called every animation frame. */
  function tick(now) {
    if (!anim) return;
    const t = Math.min(1, (now - anim.start) / ANIM_MS);
    const len = anim.path.getTotalLength();
    const p = anim.path.getPointAtLength(len * (1 - (1 - t) * (1 - t)));
    dot.setAttribute("cx", p.x);
    dot.setAttribute("cy", p.y);
    dot.setAttribute("class", `travel-dot ${anim.path.classList.contains("back") ? "back" : "fwd"}`);
    dot.setAttribute("visibility", t < 1 ? "visible" : "hidden");
    if (t >= 1) anim = null;
  }

  return { update, tick };
}
