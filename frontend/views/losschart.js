// Loss over training: the whole-set loss after every step (from `metrics`), and a dot at the
// current step, which moves down the curve as the updates land. Where the model has a held-out
// set (networks) the test loss runs beside it, dashed. Steps the server did not evaluate (null)
// are skipped: the line joins the evaluated ones.

import { axes, clipTo, emptyNote, FONT, plotFrame, prepare, scale } from "../render/canvas.js";

// Networks: tick numbers at the page's 16 px minimum (the small chart sits far from the screen's middle).
const TICK_FONT = { mlp: FONT };
import { DOT, INK, LOSS_LINE, TEST_LINE } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";

function maxFinite(values, start = 0) {
  let hi = start;
  for (const v of values) if (isNum(v) && v > hi) hi = v;
  return hi;
}

function line(ctx, xs, ys, sx, sy) {
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    if (!isNum(v)) continue;
    const px = sx(xs[i]);
    const py = sy(v);
    if (pen) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    pen = true;
  }
  ctx.stroke();
}

/**
 * Did the whole set's loss go up on the latest step? (It can: one step fits the sample or batch it
 * saw, and the other points may get worse.) `steps`/`losses`: the evaluated steps; `start`: step 0's.
 */
export function roseLastStep(steps, losses, start) {
  const n = losses.length;
  if (!n || !isNum(losses[n - 1])) return false;
  const before = n >= 2 ? losses[n - 2] : steps[0] === 1 ? start : null;
  return isNum(before) && losses[n - 1] > before + 1e-12;
}

export function LossChart(root) {
  root.classList.add("losschart");
  // The note is the head's last line (styles/panels.css); where the chart has no line to spare (the
  // neuron lesson at a 1024 presenter) it shrinks to its first words, a tag beside the value, and the
  // rest is its tooltip (styles/responsive.css): never over the chart's axes.
  root.innerHTML = '<div class="panel-head"><span class="panel-title">Loss by step</span><span class="panel-value"></span>' +
    '<p class="loss-note" hidden><b class="loss-up">Up on this step</b><span class="loss-why"></span></p></div><canvas></canvas>';
  const canvas = root.querySelector("canvas");
  const noteEl = root.querySelector(".loss-note");
  const whyEl = root.querySelector(".loss-why");
  const valueEl = root.querySelector(".panel-value");
  const titleEl = root.querySelector(".panel-title");
  let last = {};

  function update(state) {
    const m = state.metrics;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (last.m === m && last.step === state.step && last.loss === state.loss && last.w === w && last.h === h && last.start === state.startLoss) return;
    last = { m, step: state.step, loss: state.loss, w, h, start: state.startLoss };
    root.dataset.points = String(m.steps.length);
    const tests = m.testLosses ?? [];
    const withTest = isNum(state.testLoss) || tests.some(isNum);
    // Which loss is which: this chart is the whole training set's; the formula's L at the Loss stage
    // is the sample's (or batch's) just seen.
    titleEl.innerHTML = withTest ? 'Loss: <span class="key-train">— train</span> <span class="key-test">- - test</span>' : "Loss of the whole set";
    valueEl.textContent = withTest ? `${fmt(state.loss, 3)} / ${fmt(state.testLoss, 3)}` : `L = ${fmt(state.loss, 3)}`;
    valueEl.title = "the mean loss over every training point, after the latest step";
    const rose = !withTest && roseLastStep(m.steps, m.trainLosses, state.startLoss);
    noteEl.hidden = !rose;
    const one = Number(state.session?.config?.batch_size) === 1;
    whyEl.textContent = `: the update fitted the ${one ? "one sample" : "batch"} it saw, and other points got a little worse. Over many steps it falls.`;
    noteEl.title = `Up on this step${whyEl.textContent}`;
    const { ctx, w: cw, h: ch } = prepare(canvas);
    if (!state.session) {
      emptyNote(ctx, cw, ch, "waiting for the session…");
      return;
    }
    // The line starts at step 0's loss while the chart still reaches back to the beginning.
    // (Unless the oldest points were dropped: networks keep only evaluated steps, so the first kept
    // one can be step 15 of an epoch and still follow step 0 directly.)
    const fromStart = isNum(state.startLoss) && !m.dropped;
    const xs = fromStart ? [0, ...m.steps] : m.steps;
    const ys = fromStart ? [state.startLoss, ...m.trainLosses] : m.trainLosses;
    const first = xs.length ? Math.min(xs[0], state.step) : 0;
    const newest = Math.max(m.steps.length ? m.steps[m.steps.length - 1] : 0, state.step);
    // A little room at both ends so the dot is never cut in half by the frame.
    const pad = Math.max(0.4, (newest - first) * 0.03);
    const x0 = first - pad;
    const x1 = Math.max(first + 10, newest + pad);
    // Zero at the bottom: the goal the curve heads for, and honest about how far it has come.
    const top = Math.max(maxFinite(ys, isNum(state.loss) ? state.loss : 0), withTest ? maxFinite(tests) : 0) * 1.08 || 1;
    const box = plotFrame(ctx, cw, ch, [0, top], { tickFont: TICK_FONT[state.session.model] });
    const sx = scale(x0, x1, box.x, box.x + box.w);
    const sy = scale(0, top, box.y + box.h, box.y);
    axes(ctx, box, sx, sy, [x0, x1], [0, top], "step", ["loss (whole training set)", "loss"]);
    clipTo(ctx, box);
    ctx.lineJoin = "round";
    if (withTest) {
      ctx.strokeStyle = TEST_LINE;
      ctx.lineWidth = 2.5;
      ctx.setLineDash([8, 5]);
      line(ctx, m.steps, tests, sx, sy);
      ctx.setLineDash([]);
    }
    ctx.strokeStyle = LOSS_LINE;
    ctx.lineWidth = 2.5;
    line(ctx, xs, ys, sx, sy);
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
      const hint = ctx.measureText("press S or Space to train").width < box.w - 8 ? "press S or Space to train" : "S or Space: train";
      ctx.fillText(hint, box.x + box.w / 2, box.y + box.h / 3);
    }
  }

  return { update };
}
