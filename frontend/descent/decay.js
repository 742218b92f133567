// Tricks → weight decay: a λ slider, and each racer's weight size ‖θ‖ over the steps, so decay's
// steady pull towards 0 shows against the loss's pull. The race only carries each racer's latest
// parameters, so this section keeps its own short history of ‖θ‖ per racer.

import { clipTo, frame, prepare, scale, textStyle, ticks, trace } from "../render/canvas.js";
import { MUTED } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { racerLine, racerStyle, sameKey } from "./chartbits.js";

export const MAX_POINTS = 1500;

/** ‖θ‖: the Euclidean norm of every parameter — neuron/line {w, b}; mlp {layers: [{W, b}]}. */
export function paramNorm(params) {
  if (!params) return null;
  let sum = 0;
  const add = (v) => {
    if (Array.isArray(v)) v.forEach(add);
    else if (isNum(v)) sum += v * v;
  };
  if (Array.isArray(params.layers)) params.layers.forEach((l) => { add(l.W); add(l.b); });
  else { add(params.w); add(params.b); }
  return Math.sqrt(sum);
}

/**
 * A racer's ‖θ‖ by step. A step that goes backwards (reset, or a rebuild after a setting changed)
 * starts over; past MAX_POINTS every other point is dropped, so the trail spans the whole run.
 */
export function recordNorm(trail, step, norm) {
  const t = trail ?? { steps: [], norms: [] };
  if (!isNum(step) || !isNum(norm)) return t;
  const n = t.steps.length;
  if (n && step < t.steps[n - 1]) return recordNorm({ steps: [], norms: [] }, step, norm);
  if (n && step === t.steps[n - 1]) {
    t.norms[n - 1] = norm;
    return t;
  }
  t.steps.push(step);
  t.norms.push(norm);
  if (t.steps.length > MAX_POINTS) {
    t.steps = t.steps.filter((_, i) => i % 2 === 0 || i === t.steps.length - 1);
    t.norms = t.norms.filter((_, i, a) => i % 2 === 0 || i === a.length - 1);
  }
  return t;
}

/** "↓ 12%" since the trail began (or "" for fewer than two points). */
export function trend(trail) {
  const ns = trail?.norms ?? [];
  if (ns.length < 2 || !isNum(ns[0]) || ns[0] === 0) return "";
  const change = (ns[ns.length - 1] - ns[0]) / ns[0];
  if (Math.abs(change) < 0.005) return "→ steady";
  if (change >= 1) return `↑ ×${fmt(1 + change, 2)}`;
  const pct = Math.abs(change) * 100;
  return `${change < 0 ? "↓" : "↑"} ${pct < 10 ? fmt(pct, 1) : Math.round(pct)}%`;
}

const ADAMW = "Adam: λθ joins g (L2), then ÷√v̂ weakens it. AdamW: θ ← θ − η·λ·θ (decoupled), the same pull on all.";

export function DecaySection(root, { configure }) {
  root.classList.add("tr-sec", "tr-decay");
  root.innerHTML = `
    <div class="tr-head"><span class="tr-title">Weight decay</span>
      <label class="tr-slider">λ <input class="tr-wd" type="range" min="0" max="0.1" step="0.001" aria-label="weight decay λ">
        <output class="tr-wd-out"></output></label>
      <span class="tr-help">${ADAMW}</span></div>
    <canvas aria-label="weight size by step"></canvas>
    <div class="tr-counts tr-norms"></div>`;
  const slider = root.querySelector(".tr-wd");
  const out = root.querySelector(".tr-wd-out");
  const canvas = root.querySelector("canvas");
  const norms = root.querySelector(".tr-norms");
  const trails = new Map(); // racer key → {steps, norms}
  let last = {};

  slider.addEventListener("input", () => { out.textContent = fmt(Number(slider.value), 3); });
  slider.addEventListener("change", () => {
    const v = Number(slider.value);
    if (Number.isFinite(v) && v >= 0 && v <= 1) configure({ weight_decay: v });
  });

  function draw(race) {
    const { ctx, w, h } = prepare(canvas);
    const racers = race.racers ?? [];
    const tr = racers.map((r, i) => trails.get(r.key ?? i));
    const xs = tr.flatMap((t) => t?.steps ?? []);
    const ys = tr.flatMap((t) => t?.norms ?? []);
    if (!ys.length) return;
    const x0 = Math.min(...xs);
    const x1 = Math.max(x0 + 10, ...xs);
    let lo = Math.min(...ys);
    let hi = Math.max(...ys);
    const pad = Math.max((hi - lo) * 0.12, hi * 0.02, 1e-6);
    lo = Math.max(0, lo - pad);
    hi += pad;
    const yTicks = ticks(lo, hi, 3);
    ctx.font = '14px system-ui, sans-serif';
    const left = Math.ceil(Math.max(10, ...yTicks.map((t) => ctx.measureText(fmt(t, 3)).width))) + 10;
    const box = { x: left, y: 6, w: w - left - 10, h: h - 26 };
    if (box.w < 20 || box.h < 20) return;
    const sx = scale(x0, x1, box.x, box.x + box.w);
    const sy = scale(lo, hi, box.y + box.h, box.y);
    frame(ctx, box, sx, sy, ticks(x0, x1, Math.max(2, Math.floor(box.w / 90))), yTicks);
    clipTo(ctx, box);
    tr.forEach((t, i) => {
      if (!t) return;
      const st = racerStyle(racers[i], i);
      ctx.strokeStyle = st.color;
      ctx.lineWidth = 2.5;
      ctx.setLineDash(st.dash);
      trace(ctx, t.steps, t.norms, sx, sy);
    });
    ctx.restore();
    textStyle(ctx, '600 14px system-ui, sans-serif', MUTED, "right", "top");
    ctx.fillText("‖θ‖ by step", box.x + box.w - 4, box.y + 3);
  }

  function update(race) {
    const wd = isNum(race.config?.weight_decay) ? race.config.weight_decay : 0;
    if (wd !== last.wd && document.activeElement !== slider) {
      last.wd = wd;
      slider.value = String(wd);
      out.textContent = fmt(wd, 3);
    }
    const racers = race.racers ?? [];
    let moved = false;
    racers.forEach((r, i) => {
      const k = r.key ?? i;
      const p = r.state?.params;
      if (!p || last.params?.get(k) === p) return;
      (last.params ??= new Map()).set(k, p);
      trails.set(k, recordNorm(trails.get(k), r.state.step, paramNorm(p)));
      moved = true;
    });
    const key = [canvas.clientWidth, canvas.clientHeight, ...racers.map((r) => [r.key, r.color])];
    if (!moved && sameKey(key, last.key)) return;
    last.key = key;
    draw(race);
    racerLine(norms, "‖θ‖:", racers, (r, i) => {
      const t = trails.get(r.key ?? i);
      return `${fmt(t?.norms?.[t.norms.length - 1], 3)} ${trend(t)}`.trim();
    });
  }

  return { update };
}
