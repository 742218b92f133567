// The training data and what the model currently says about it: for one feature the sigmoid
// curve σ(w·x + b), for two features the decision line w·x + b = 0 with its two half-planes, for
// the line model ŷ = a·x + b with the current batch's errors. Samples of the batch on display
// carry a ring.

import { axes, clipHalfPlane, clipTo, emptyNote, extent, FONT, FONT_SMALL, marker, plotFrame, prepare, ring, scale, textStyle } from "../render/canvas.js";
import { CLASS_COLORS, CLASS_FILLS, INK, MODEL_LINE, MUTED } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { currentBatch, displayParams } from "../state.js";

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

function paramsOk(p) {
  return p && Array.isArray(p.w) && p.w.every(isNum) && (p.b === undefined || p.b === null || isNum(p.b));
}

function column(x, j) {
  return x.map((row) => (Array.isArray(row) ? row[j] : row));
}

function drawSigmoid(ctx, w, h, ds, p, batch) {
  const x = column(ds.x, 0);
  const xd = extent(x, 0.1);
  const yd = [-0.08, 1.08];
  const box = plotFrame(ctx, w, h, yd, { yTicks: [0, 0.5, 1] });
  const sx = scale(xd[0], xd[1], box.x, box.x + box.w);
  const sy = scale(yd[0], yd[1], box.y + box.h, box.y);
  axes(ctx, box, sx, sy, xd, yd, ds.features?.[0] ?? "x", [`${ds.target ?? "y"}  /  σ(w·x + b)`, ds.target ?? "y"]);
  clipTo(ctx, box);
  if (paramsOk(p)) {
    const wv = p.w[0];
    const b = p.b ?? 0;
    let threshold = null;
    ctx.setLineDash([6, 6]);
    ctx.strokeStyle = MUTED;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(box.x, sy(0.5));
    ctx.lineTo(box.x + box.w, sy(0.5));
    if (wv !== 0) {
      const x0 = -b / wv; // where σ crosses 0.5: the decision threshold
      if (x0 > xd[0] && x0 < xd[1]) {
        ctx.moveTo(sx(x0), box.y);
        ctx.lineTo(sx(x0), box.y + box.h);
        threshold = x0;
      }
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.strokeStyle = MODEL_LINE;
    ctx.lineWidth = 3;
    ctx.beginPath();
    const n = 200;
    for (let i = 0; i <= n; i++) {
      const xv = xd[0] + ((xd[1] - xd[0]) * i) / n;
      const yv = sigmoid(wv * xv + b);
      if (i === 0) ctx.moveTo(sx(xv), sy(yv));
      else ctx.lineTo(sx(xv), sy(yv));
    }
    ctx.stroke();
    if (threshold !== null) {
      // Name the dashed line: where σ crosses ½ is where the neuron's answer flips.
      // Put it on the side and height the curve is not: right of the threshold an increasing
      // σ is above ½, so the label goes low there (and high on the left); mirrored for w < 0.
      const right = sx(threshold) < box.x + box.w - 150;
      const low = right === wv > 0;
      const text = `σ = ½ at x = ${fmt(threshold, 3)}`;
      const tx = sx(threshold) + (right ? 6 : -6);
      const ty = sy(low ? 0.22 : 0.78);
      ctx.font = FONT_SMALL;
      ctx.textAlign = right ? "left" : "right";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 4;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeText(text, tx, ty);
      ctx.fillStyle = MUTED;
      ctx.fillText(text, tx, ty);
    }
  }
  x.forEach((xv, i) => isNum(xv) && marker(ctx, sx(xv), sy(ds.y[i]), ds.y[i] >= 0.5 ? 1 : 0));
  if (batch) column(batch.x, 0).forEach((xv, i) => isNum(xv) && ring(ctx, sx(xv), sy(batch.y[i] ?? 0)));
  ctx.restore();
}

function drawBoundary(ctx, w, h, ds, p, batch) {
  const x1 = column(ds.x, 0);
  const x2 = column(ds.x, 1);
  const xd = extent(x1, 0.1);
  const yd = extent(x2, 0.1);
  const box = plotFrame(ctx, w, h, yd);
  const sx = scale(xd[0], xd[1], box.x, box.x + box.w);
  const sy = scale(yd[0], yd[1], box.y + box.h, box.y);
  ctx.save();
  if (paramsOk(p) && p.w.length >= 2) {
    const [a, c] = p.w;
    const b = p.b ?? 0;
    const rect = [[xd[0], yd[0]], [xd[1], yd[0]], [xd[1], yd[1]], [xd[0], yd[1]]];
    // Shade each half-plane in its class colour: where w·x + b > 0 the neuron says class 1.
    for (const [cls, sign] of [[1, 1], [0, -1]]) {
      const poly = clipHalfPlane(rect, sign * a, sign * c, sign * b);
      if (poly.length < 3) continue;
      ctx.fillStyle = CLASS_FILLS[cls];
      ctx.beginPath();
      poly.forEach(([u, v], i) => (i ? ctx.lineTo(sx(u), sy(v)) : ctx.moveTo(sx(u), sy(v))));
      ctx.closePath();
      ctx.fill();
    }
  }
  ctx.restore();
  axes(ctx, box, sx, sy, xd, yd, ds.features?.[0] ?? "x₁", ds.features?.[1] ?? "x₂");
  clipTo(ctx, box);
  if (paramsOk(p) && p.w.length >= 2 && (p.w[0] !== 0 || p.w[1] !== 0)) {
    const [a, c] = p.w;
    const b = p.b ?? 0;
    let pts;
    if (Math.abs(c) >= Math.abs(a)) pts = xd.map((u) => [u, -(a * u + b) / c]);
    else pts = yd.map((v) => [-(c * v + b) / a, v]);
    ctx.strokeStyle = MODEL_LINE;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(sx(pts[0][0]), sy(pts[0][1]));
    ctx.lineTo(sx(pts[1][0]), sy(pts[1][1]));
    ctx.stroke();
  }
  x1.forEach((u, i) => isNum(u) && isNum(x2[i]) && marker(ctx, sx(u), sy(x2[i]), ds.y[i] >= 0.5 ? 1 : 0));
  if (batch) batch.x.forEach((row) => Array.isArray(row) && ring(ctx, sx(row[0]), sy(row[1])));
  ctx.restore();
}

function drawLine(ctx, w, h, ds, p, batch) {
  const x = column(ds.x, 0);
  const xd = extent(x.concat([0]), 0.1);
  const yd = extent(ds.y.concat([0]), 0.1);
  const box = plotFrame(ctx, w, h, yd);
  const sx = scale(xd[0], xd[1], box.x, box.x + box.w);
  const sy = scale(yd[0], yd[1], box.y + box.h, box.y);
  axes(ctx, box, sx, sy, xd, yd, ds.features?.[0] ?? "x", ds.target ?? "y");
  clipTo(ctx, box);
  const ok = paramsOk(p);
  const a = ok ? p.w[0] : 0;
  const b = ok ? p.b ?? 0 : 0;
  if (ok && batch) {
    // The errors the loss squares: from each batch sample to the line.
    ctx.strokeStyle = CLASS_COLORS[1];
    ctx.lineWidth = 2;
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    column(batch.x, 0).forEach((xv, i) => {
      if (!isNum(xv) || !isNum(batch.y[i])) return;
      ctx.moveTo(sx(xv), sy(batch.y[i]));
      ctx.lineTo(sx(xv), sy(a * xv + b));
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (ok) {
    ctx.strokeStyle = MODEL_LINE;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(sx(xd[0]), sy(a * xd[0] + b));
    ctx.lineTo(sx(xd[1]), sy(a * xd[1] + b));
    ctx.stroke();
  }
  x.forEach((xv, i) => isNum(xv) && isNum(ds.y[i]) && marker(ctx, sx(xv), sy(ds.y[i]), 0, 5));
  if (batch) column(batch.x, 0).forEach((xv, i) => isNum(xv) && ring(ctx, sx(xv), sy(batch.y[i] ?? 0)));
  ctx.restore();
  textStyle(ctx, FONT, INK, "left", "top");
  const label = ok ? `ŷ = ${fmt(a, 3)}·x${p.b !== undefined && p.b !== null && p.b !== 0 ? ` + ${fmt(b, 3)}` : ""}` : "ŷ = —";
  ctx.fillText(label.replace("+ −", "− "), box.x + 10, box.y + 8);
}

function legendHtml(ds, model) {
  const ringItem = '<span class="lg"><span class="sym ring-sym"></span>current batch</span>';
  if (model === "line") {
    return `<span class="lg"><span class="sym c0">●</span>data</span><span class="lg"><span class="sym line-sym"></span>model ŷ</span><span class="lg"><span class="sym err-sym"></span>error ŷ − y</span>${ringItem}`;
  }
  const t = ds?.target ?? "y";
  return `<span class="lg"><span class="sym c0">●</span>${t} = 0</span><span class="lg"><span class="sym c1">■</span>${t} = 1</span>${ringItem}`;
}

export function DataPlot(root) {
  root.classList.add("dataplot");
  root.innerHTML = '<div class="panel-head"><span class="panel-title">Data and model</span><span class="legend"></span></div><canvas></canvas>';
  const canvas = root.querySelector("canvas");
  const legend = root.querySelector(".legend");
  let last = {};

  function update(state) {
    const ds = state.dataset;
    const p = displayParams(state);
    const batch = currentBatch(state);
    const model = state.session?.model ?? "";
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (last.ds === ds && last.p === p && last.batchKey === batch?.x && last.w === w && last.h === h && last.model === model) return;
    if (last.ds !== ds || last.model !== model) legend.innerHTML = legendHtml(ds, model);
    last = { ds, p, batchKey: batch?.x, w, h, model };
    const { ctx, w: cw, h: ch } = prepare(canvas);
    if (!ds || !Array.isArray(ds.x) || ds.x.length === 0) {
      emptyNote(ctx, cw, ch, "waiting for data…");
      return;
    }
    const nFeatures = Array.isArray(ds.x[0]) ? ds.x[0].length : 1;
    root.dataset.kind = model === "line" || ds.task === "regression" ? "line" : nFeatures >= 2 ? "boundary" : "sigmoid";
    if (root.dataset.kind === "line") drawLine(ctx, cw, ch, ds, p, batch);
    else if (root.dataset.kind === "boundary") drawBoundary(ctx, cw, ch, ds, p, batch);
    else drawSigmoid(ctx, cw, ch, ds, p, batch);
    root.dataset.rings = batch ? String(batch.x.length) : "0";
  }

  return { update };
}
