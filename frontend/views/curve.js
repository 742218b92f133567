// The line model's loss landscape: L as a function of the slope a (other parameters held), the
// current a as a dot on it, and after an update an arrow for the step downhill.

import { arrowHead, axes, clipTo, emptyNote, FONT, plotFrame, prepare, scale, textStyle } from "../render/canvas.js";
import { DOT, INK, LOSS_LINE } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { displayParams } from "../state.js";

/** Linear interpolation of ys at x over increasing xs; null outside the range. */
export function interpolate(xs, ys, x) {
  if (!isNum(x) || xs.length < 2 || x < xs[0] || x > xs[xs.length - 1]) return null;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  const t = (x - xs[lo]) / (xs[hi] - xs[lo] || 1);
  const v = ys[lo] + t * (ys[hi] - ys[lo]);
  return isNum(v) ? v : null;
}

export function Curve(root) {
  root.classList.add("curve");
  root.innerHTML = '<div class="panel-head"><span class="panel-title">Loss landscape L(a)</span><span class="panel-value"></span></div><canvas></canvas>';
  const canvas = root.querySelector("canvas");
  const valueEl = root.querySelector(".panel-value");
  let last = {};

  function update(state) {
    const curve = state.curve;
    root.hidden = !curve && state.session?.model !== "line";
    if (root.hidden) return;
    const p = displayParams(state);
    const showMove = !state.stage || state.stage.stage === "update";
    const move = showMove ? state.move : null;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (last.curve === curve && last.p === p && last.move === move && last.w === w && last.h === h) return;
    last = { curve, p, move, w, h };
    const a = p?.w?.[0];
    valueEl.textContent = `a = ${fmt(a, 3)}`;
    const { ctx, w: cw, h: ch } = prepare(canvas);
    const xs = curve?.a ?? [];
    const ys = curve?.loss ?? [];
    if (xs.length < 2) {
      emptyNote(ctx, cw, ch, "no loss curve yet");
      return;
    }
    const lo = Math.min(xs[0], xs[xs.length - 1]);
    const hi = Math.max(xs[0], xs[xs.length - 1]);
    let top = 0;
    for (const v of ys) if (isNum(v) && v > top) top = v;
    top = top * 1.08 || 1;
    const box = plotFrame(ctx, cw, ch, [0, top]);
    const sx = scale(lo, hi, box.x, box.x + box.w);
    const sy = scale(0, top, box.y + box.h, box.y);
    axes(ctx, box, sx, sy, [lo, hi], [0, top], `slope ${curve.param ?? "a"}`, "loss L");
    clipTo(ctx, box);
    ctx.strokeStyle = LOSS_LINE;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    let pen = false;
    xs.forEach((x, i) => {
      if (!isNum(x) || !isNum(ys[i])) return void (pen = false);
      if (pen) ctx.lineTo(sx(x), sy(ys[i]));
      else ctx.moveTo(sx(x), sy(ys[i]));
      pen = true;
    });
    ctx.stroke();
    const la = interpolate(xs, ys, a);
    const from = move?.from?.w?.[0];
    const lf = interpolate(xs, ys, from);
    if (la !== null && lf !== null && from !== a) {
      ctx.strokeStyle = DOT;
      ctx.fillStyle = DOT;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(sx(from), sy(lf), 5, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(sx(from), sy(lf));
      ctx.lineTo(sx(a), sy(la));
      ctx.stroke();
      arrowHead(ctx, sx(from), sy(lf), sx(a), sy(la), 12);
      // Spell the step out: near the bottom of the valley the arrow itself gets short.
      textStyle(ctx, FONT, INK, "center", "top");
      ctx.fillText(`last step: a ${fmt(from, 3)} → ${fmt(a, 3)}`, box.x + box.w / 2, box.y + 6);
    }
    ctx.restore(); // the current-a dot goes on top, unclipped, even at the very bottom
    if (la !== null) {
      ctx.fillStyle = DOT;
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(sx(a), sy(la), 8, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    if (la === null) {
      ctx.fillStyle = INK;
      ctx.font = FONT;
      ctx.textAlign = "center";
      ctx.fillText(isNum(a) ? `a = ${fmt(a)} is off this chart` : "a is not a number", box.x + box.w / 2, box.y + 24);
    }
  }

  return { update };
}
