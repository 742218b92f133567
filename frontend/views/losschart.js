// Loss over training: the whole-set loss after every step (from `metrics`), and a dot at the
// current step, which moves down the curve as the updates land.

import { axes, emptyNote, plotFrame, prepare, scale, FONT } from "../render/canvas.js";
import { DOT, INK, LOSS_LINE } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";

function maxFinite(values, start = 0) {
  let hi = start;
  for (const v of values) if (isNum(v) && v > hi) hi = v;
  return hi;
}

export function LossChart(root) {
  root.classList.add("losschart");
  root.innerHTML = '<div class="panel-head"><span class="panel-title">Loss by step</span><span class="panel-value"></span></div><canvas></canvas>';
  const canvas = root.querySelector("canvas");
  const valueEl = root.querySelector(".panel-value");
  let last = {};

  function update(state) {
    const m = state.metrics;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (last.m === m && last.step === state.step && last.loss === state.loss && last.w === w && last.h === h && last.start === state.startLoss) return;
    last = { m, step: state.step, loss: state.loss, w, h, start: state.startLoss };
    root.dataset.points = String(m.steps.length);
    valueEl.textContent = `L = ${fmt(state.loss, 3)}`;
    const { ctx, w: cw, h: ch } = prepare(canvas);
    if (!state.session) {
      emptyNote(ctx, cw, ch, "waiting for the session…");
      return;
    }
    // The line starts at step 0's loss while the chart still reaches back to the beginning.
    const fromStart = isNum(state.startLoss) && (!m.steps.length || m.steps[0] <= 1);
    const xs = fromStart ? [0, ...m.steps] : m.steps;
    const ys = fromStart ? [state.startLoss, ...m.trainLosses] : m.trainLosses;
    const first = xs.length ? Math.min(xs[0], state.step) : 0;
    const newest = Math.max(m.steps.length ? m.steps[m.steps.length - 1] : 0, state.step);
    // A little room at both ends so the dot is never cut in half by the frame.
    const pad = Math.max(0.4, (newest - first) * 0.03);
    const x0 = first - pad;
    const x1 = Math.max(first + 10, newest + pad);
    // Zero at the bottom: the goal the curve heads for, and honest about how far it has come.
    const top = maxFinite(ys, isNum(state.loss) ? state.loss : 0) * 1.08 || 1;
    const box = plotFrame(ctx, cw, ch, [0, top]);
    const sx = scale(x0, x1, box.x, box.x + box.w);
    const sy = scale(0, top, box.y + box.h, box.y);
    axes(ctx, box, sx, sy, [x0, x1], [0, top], "step", ["loss (whole training set)", "loss"]);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h);
    ctx.clip();
    ctx.strokeStyle = LOSS_LINE;
    ctx.lineWidth = 2.5;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const v = ys[i];
      if (!isNum(v)) {
        pen = false; // a gap, not a line to nowhere, where the loss was not a number
        continue;
      }
      const px = sx(xs[i]);
      const py = sy(v);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
    ctx.restore(); // the dot is drawn unclipped, so a loss of 0 is a whole dot on the axis
    if (isNum(state.loss)) {
      ctx.fillStyle = DOT;
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(sx(state.step), sy(state.loss), 7, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    if (!m.steps.length) {
      ctx.fillStyle = INK;
      ctx.font = FONT;
      ctx.textAlign = "center";
      ctx.fillText("press S or Space to train", box.x + box.w / 2, box.y + box.h / 3);
    }
  }

  return { update };
}
