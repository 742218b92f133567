// Tricks → gradient clipping: every racer's ‖g‖ per step on a log axis (before clipping), the
// threshold as a dashed line, and a tick under the plot for each step that was clipped — the
// gradient kept its direction but was scaled down to the threshold's length.

import { drawMarker, FONT_SMALL, frame, hmark, prepare, scale, textStyle, ticks, trace, xTickLabels } from "../render/canvas.js";
import { decadeTicks, fmtDecade, logDomain, logScale } from "../render/logscale.js";
import { INK, MUTED } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { boundAttrs, inBounds } from "../config.js";
import { SETTINGS } from "./race.js";
import { racerLine, racerStyle, sameKey } from "./chartbits.js";

/** How many of the racer's steps (those it still keeps) were clipped. */
export function clipCount(racer) {
  const steps = racer?.steps ?? [];
  const first = steps.length ? steps[0] : Infinity;
  const clipped = (racer?.clipped ?? []).filter((s) => s >= first).length;
  return { clipped, total: steps.length };
}

/** "clipped 37 of 120 steps" (or "not clipped yet" / "no steps yet"). */
export function clipText(racer) {
  const { clipped, total } = clipCount(racer);
  if (!total) return "no steps yet";
  return clipped ? `clipped ${clipped} of ${total} step${total === 1 ? "" : "s"}` : `not clipped (${total} step${total === 1 ? "" : "s"})`;
}

/** A threshold worth trying: the median ‖g‖ so far, to one significant digit (null before any). */
export function suggestClip(racers) {
  const all = (racers ?? []).flatMap((r) => r.gradNorms ?? []).filter((v) => isNum(v) && v > 0).sort((a, b) => a - b);
  if (!all.length) return null;
  return Number(all[Math.floor(all.length / 2)].toPrecision(1));
}

const HELP = "‖g‖ over it: g is scaled down to it, same direction.";

/**
 * The ‖g‖ axis: the 2nd to 98th percentile of the norms, and the threshold, in whole decades (at
 * most `maxDecades`, the top kept). One blow-up or a converged run's 10⁻¹⁸ would otherwise squash
 * the decades where the threshold and most steps are; those few points are drawn at the edge.
 */
export function normDomain(norms, clip, maxDecades = 6) {
  const v = norms.filter((x) => isNum(x) && x > 0).sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  const keep = v.length ? [q(0.02), q(0.98)] : [];
  if (clip > 0) keep.push(clip);
  return logDomain(keep, 2, maxDecades);
}

export function ClipSection(root, { configure }) {
  root.classList.add("tr-sec", "tr-clip");
  root.innerHTML = `
    <div class="tr-head"><span class="tr-title">Gradient clipping</span>
      <label class="tr-num">clip ‖g‖ at <input class="tr-clip-at" type="number" ${boundAttrs(SETTINGS.clip)} step="any" inputmode="decimal"></label>
      <span class="tr-state"></span><span class="tr-help"></span></div>
    <canvas aria-label="gradient norm by step"></canvas>
    <div class="tr-counts"></div>`;
  const input = root.querySelector(".tr-clip-at");
  const stateEl = root.querySelector(".tr-state");
  const canvas = root.querySelector("canvas");
  const counts = root.querySelector(".tr-counts");
  const help = root.querySelector(".tr-help");
  let last = {};

  input.addEventListener("change", () => {
    const v = Number(input.value);
    if (inBounds(SETTINGS.clip, v)) configure({ clip: v });
    else input.value = String(last.clip ?? 0);
  });

  function draw(race, clip) {
    const { ctx, w, h } = prepare(canvas);
    const racers = race.racers ?? [];
    const all = racers.flatMap((r) => r.gradNorms ?? []);
    const xs = racers.flatMap((r) => r.steps ?? []);
    const first = Math.min(...racers.map((r) => r.steps?.[0] ?? Infinity));
    const x0 = Number.isFinite(first) ? Math.max(0, first - 1) : 0;
    const x1 = Math.max(race.step ?? 0, x0 + 10, ...racers.map((r) => r.steps?.[r.steps.length - 1] ?? 0));
    const yd = normDomain(all, clip, Math.max(2, Math.min(6, Math.floor((h - 24 - 8 * racers.length) / 16))));
    const yTicks = decadeTicks(yd[0], yd[1], Math.max(1, Math.min(4, Math.floor((h - 30 - 8 * racers.length) / 18))));
    ctx.font = '14px system-ui, sans-serif';
    const left = Math.ceil(Math.max(...yTicks.map((t) => ctx.measureText(fmtDecade(t)).width))) + 10;
    const rows = Math.max(1, racers.length);
    const strip = 8 * rows + 4; // one row of clip ticks per racer, under the plot
    const box = { x: left, y: 6, w: w - left - 10, h: h - 24 - strip };
    if (box.w < 20 || box.h < 20) return;
    const sx = scale(x0, x1, box.x, box.x + box.w);
    const sy0 = logScale(yd[0], yd[1], box.y + box.h, box.y);
    const sy = (v) => Math.max(box.y + 1, Math.min(box.y + box.h - 1, sy0(v))); // outliers ride the edge
    frame(ctx, { ...box, h: box.h + strip }, sx, sy, [], yTicks, fmtDecade);
    ctx.save();
    ctx.fillStyle = MUTED;
    ctx.font = '14px system-ui, sans-serif';
    xTickLabels(ctx, ticks(x0, x1, Math.max(2, Math.floor(box.w / 90))), sx, box.x - 4, box.x + box.w + 8, box.y + box.h + strip + 3);
    ctx.strokeStyle = "#d1d5db";
    ctx.beginPath();
    ctx.moveTo(box.x, box.y + box.h + 0.5);
    ctx.lineTo(box.x + box.w, box.y + box.h + 0.5);
    ctx.stroke();
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h);
    ctx.clip();
    racers.forEach((r, i) => {
      const st = racerStyle(r, i);
      ctx.strokeStyle = st.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(st.dash);
      trace(ctx, r.steps ?? [], r.gradNorms ?? [], sx, sy);
    });
    ctx.setLineDash([]);
    if (clip > 0) hmark(ctx, sy(clip), box, `threshold ${fmt(clip, 3)}`, { color: INK, dash: [7, 5], font: `700 ${FONT_SMALL}`, above: true });
    ctx.restore();
    // The clip events: one mark per clipped step, a row per racer, in the racer's colour and marker.
    racers.forEach((r, i) => {
      const st = racerStyle(r, i);
      const y = box.y + box.h + 6 + i * 8;
      const steps = (r.clipped ?? []).filter((s) => s >= x0);
      ctx.fillStyle = st.color;
      const dense = steps.length > box.w / 6;
      for (const s of steps) {
        if (dense) ctx.fillRect(Math.round(sx(s)), y - 3, 2, 7);
        else drawMarker(ctx, st.marker, sx(s), y, 3.5);
      }
    });
    if (!xs.length) {
      textStyle(ctx, '16px system-ui, sans-serif', MUTED, "center", "middle");
      ctx.fillText("‖g‖ of each step shows here", box.x + box.w / 2, box.y + box.h / 2);
    }
  }

  function update(race) {
    const clip = isNum(race.config?.clip) ? race.config.clip : 0;
    if (clip !== last.clip) {
      last.clip = clip;
      if (document.activeElement !== input) input.value = String(clip);
      stateEl.textContent = clip > 0 ? "on" : "off";
      stateEl.classList.toggle("on", clip > 0);
    }
    const racers = race.racers ?? [];
    const key = [clip, race.step, canvas.clientWidth, canvas.clientHeight, ...racers.map((r) => [r.gradNorms, r.gradNorms?.length, r.clipped?.length, r.color, r.steps?.[0]])];
    if (sameKey(key, last.key)) return;
    last.key = key;
    draw(race, clip);
    const hint = clip > 0 ? null : suggestClip(racers);
    help.textContent = clip > 0 || !hint ? HELP : `Off. Try ${fmt(hint, 1)}, the median ‖g‖: steps over it get clipped.`;
    const many = racers.length > 2;
    racerLine(counts, "clipped:", racers, (r) => {
      const { clipped, total } = clipCount(r);
      return many ? `${clipped} of ${total}` : clipText(r);
    });
  }

  return { update };
}
