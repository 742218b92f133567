// Tricks → the learning-rate schedule: pick constant / step / warmup / cosine and see η over the
// steps, each racer's curve in its own colour and dash (racers may run at different η), a line at
// the race's step and a marker at the η each racer used last.

import { drawMarker, frame, prepare, scale, ticks, trace } from "../render/canvas.js";
import { decadeTicks, fmtDecade, logDomain, logScale } from "../render/logscale.js";
import { INK } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { boundAttrs, choiceTitle } from "../config.js";
import { SETTINGS } from "./race.js";
import { racerLine, racerStyle, sameKey } from "./chartbits.js";
import { onPress } from "../render/dom.js";

// The schedules, their words and the settings each reads are the engine's (engine/schedule.py), as served.
const SCHEDULE = SETTINGS.schedule;
export const SCHEDULES = SCHEDULE.enum;
const READS = SCHEDULE["x-facts"].reads;

/** The curve to draw for one racer: its state.schedule, or a flat line at its η (constant). */
export function scheduleCurve(racer, config, upTo = 0) {
  const s = racer?.state?.schedule;
  if (s && Array.isArray(s.steps) && s.steps.length > 1) return { steps: s.steps, lr: s.lr };
  const lr = [racer?.lr, racer?.state?.config?.lr, config?.lr].find(isNum) ?? null;
  const end = Math.max(100, Math.ceil(upTo * 1.2));
  return { steps: [0, end], lr: [lr, lr] };
}

/** The η racer used in its last step, and that step (null before any). */
export function lastLr(racer) {
  const lrs = racer?.lrs ?? [];
  const steps = racer?.steps ?? [];
  for (let i = lrs.length - 1; i >= 0; i--) if (isNum(lrs[i])) return { step: steps[i], lr: lrs[i] };
  return null;
}

/** A log axis when the racers' rates differ by more than 3×, so every curve's shape shows. */
export function wantsLog(curves) {
  const tops = curves.map((c) => Math.max(...c.lr.filter(isNum))).filter((v) => isNum(v) && v > 0);
  return tops.length > 1 && Math.max(...tops) / Math.min(...tops) > 3;
}

export function ScheduleSection(root, { configure }) {
  root.classList.add("tr-sec", "tr-schedule");
  root.innerHTML = `
    <div class="tr-head"><span class="tr-title">Learning-rate schedule</span>
      <select class="tr-kind" aria-label="schedule">${SCHEDULES.map((s) => `<option value="${s}">${s}</option>`).join("")}</select>
      <label class="tr-num">warmup <input class="tr-warm" type="number" ${boundAttrs(SETTINGS.warmup_steps)} step="1" inputmode="numeric"></label>
      <label class="tr-num"><span class="tr-span-label">over</span> <input class="tr-span" type="number" ${boundAttrs(SETTINGS.schedule_steps)} step="1" inputmode="numeric"></label>
      <span class="tr-help"></span></div>
    <canvas aria-label="learning rate by step"></canvas>
    <div class="tr-counts"></div>`;
  const kind = root.querySelector(".tr-kind");
  const warm = root.querySelector(".tr-warm");
  const span = root.querySelector(".tr-span");
  const spanLabel = root.querySelector(".tr-span-label");
  const help = root.querySelector(".tr-help");
  const canvas = root.querySelector("canvas");
  const now = root.querySelector(".tr-counts");
  let last = {};

  function send() {
    const w = Math.round(Number(warm.value));
    const s = Math.round(Number(span.value));
    const change = { schedule: kind.value };
    if (Number.isFinite(w) && w >= 0) change.warmup_steps = w;
    if (Number.isFinite(s) && s >= 1) change.schedule_steps = s;
    configure(change);
  }
  onPress(kind, () => send(), "change");
  warm.addEventListener("change", send);
  span.addEventListener("change", send);

  function controls(config) {
    const k = config?.schedule ?? "constant";
    if (document.activeElement !== kind) kind.value = k;
    if (document.activeElement !== warm) warm.value = String(config?.warmup_steps ?? 0);
    if (document.activeElement !== span) span.value = String(config?.schedule_steps ?? 1000);
    // Only the inputs this schedule reads are shown (constant needs none; step no warmup).
    warm.parentElement.hidden = !READS[k]?.includes("warmup_steps");
    span.parentElement.hidden = !READS[k]?.includes("schedule_steps");
    spanLabel.textContent = k === "step" ? "every" : "over";
    help.textContent = `η: ${choiceTitle(SCHEDULE, k)}`;
  }

  function draw(race) {
    const { ctx, w, h } = prepare(canvas);
    const racers = race.racers ?? [];
    const step = race.step ?? 0;
    const curves = racers.map((r) => scheduleCurve(r, race.config, step));
    const xEnd = Math.max(step * 1.05, ...curves.map((c) => c.steps[c.steps.length - 1]), 10);
    const log = wantsLog(curves);
    const all = curves.flatMap((c) => c.lr).filter(isNum);
    const top = Math.max(...all, 1e-9);
    const yd = log ? logDomain(all, 1) : [0, top * 1.12];
    const room = Math.max(1, Math.min(4, Math.floor((h - 26) / 18))); // tick labels 18 px apart at least
    const yTicks = log ? decadeTicks(yd[0], yd[1], room) : ticks(0, top, Math.min(3, room));
    const fmtY = log ? fmtDecade : (t) => fmt(t, 2);
    ctx.font = '14px system-ui, sans-serif';
    const left = Math.ceil(Math.max(...yTicks.map((t) => ctx.measureText(fmtY(t)).width), 10)) + 10;
    const box = { x: left, y: 6, w: w - left - 10, h: h - 26 };
    if (box.w < 20 || box.h < 20) return;
    const sx = scale(0, xEnd, box.x, box.x + box.w);
    const sy = log ? logScale(yd[0], yd[1], box.y + box.h, box.y) : scale(yd[0], yd[1], box.y + box.h, box.y);
    frame(ctx, box, sx, sy, ticks(0, xEnd, Math.max(2, Math.floor(box.w / 90))), yTicks, fmtY);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.x, box.y - 4, box.w, box.h + 8);
    ctx.clip();
    curves.forEach((c, i) => {
      const st = racerStyle(racers[i], i);
      ctx.strokeStyle = st.color;
      ctx.lineWidth = 2.5;
      ctx.setLineDash(st.dash);
      // A constant rate runs on to the right edge, however far the race has gone.
      const xs = c.steps.length === 2 && c.lr[0] === c.lr[1] ? [0, xEnd] : c.steps;
      trace(ctx, xs, c.lr, sx, sy);
    });
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(Math.round(sx(step)) + 0.5, box.y);
    ctx.lineTo(Math.round(sx(step)) + 0.5, box.y + box.h);
    ctx.stroke();
    ctx.setLineDash([]);
    racers.forEach((r, i) => {
      const used = lastLr(r);
      if (!used) return;
      const st = racerStyle(r, i);
      ctx.fillStyle = "#fff";
      drawMarker(ctx, st.marker, sx(used.step), sy(used.lr), 8);
      ctx.fillStyle = st.color;
      drawMarker(ctx, st.marker, sx(used.step), sy(used.lr), 6);
    });
    ctx.restore();
    ctx.fillStyle = INK;
    ctx.font = '600 14px system-ui, sans-serif';
    ctx.textBaseline = "bottom";
    const right = sx(step) + 70 < box.x + box.w;
    ctx.textAlign = right ? "left" : "right";
    ctx.fillText(`step ${step}`, sx(step) + (right ? 5 : -5), box.y + box.h - 3);
  }

  function update(race) {
    const cfg = race.config ?? {};
    const ck = JSON.stringify([cfg.schedule, cfg.warmup_steps, cfg.schedule_steps]);
    if (ck !== last.ck) {
      last.ck = ck;
      controls(cfg);
    }
    const racers = race.racers ?? [];
    const key = [race.step, canvas.clientWidth, canvas.clientHeight, cfg.lr, ...racers.map((r) => [r.state?.schedule, r.lrs?.length, r.lr, r.color])];
    if (sameKey(key, last.key)) return;
    last.key = key;
    draw(race);
    const at = racers.map(lastLr).find(Boolean);
    racerLine(now, at ? `η used in step ${at.step}:` : "η:", racers, (r) => {
      const used = lastLr(r);
      return fmt(used ? used.lr : scheduleCurve(r, race.config).lr[0], 3);
    });
  }

  return { update };
}
