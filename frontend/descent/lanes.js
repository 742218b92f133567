// The racers' lanes: one row per racer (its colour, dash and marker; its optimizer and its own
// learning rate; its loss, large; its step; what went wrong, in words), "+ racer" / "✕", and under
// them one chart of every racer's whole-set loss by step.

import { axes, clipTo, drawMarker, emptyNote, plotFrame, prepare, scale, trace } from "../render/canvas.js";
import { fmt, isNum } from "../render/format.js";
import { boundAttrs } from "../config.js";
import { boundRefusal } from "../refusal.js";
import { FieldRefusal } from "../views/refusals.js";
import { MAX_RACERS, MIN_RACERS, OPTIMIZERS, OPTIMIZER_TITLES, SETTINGS } from "./race.js";
import { onPress } from "../render/dom.js";

/** A short swatch: the racer's line style with its marker in the middle. */
function paintSwatch(canvas, r) {
  const { ctx, w, h } = prepare(canvas);
  ctx.lineWidth = 3;
  ctx.strokeStyle = r.color;
  ctx.setLineDash(r.dash);
  ctx.beginPath();
  ctx.moveTo(2, h / 2);
  ctx.lineTo(w - 2, h / 2);
  ctx.stroke();
  ctx.setLineDash([]);
  drawMarker(ctx, r.marker, w / 2, h / 2, 6, r.color, true);
}

/** What the lane says about a racer's condition: "" when all is well. */
export function laneStatus(r) {
  if (!r.connected) return r.session ? "reconnecting…" : "connecting…";
  if (r.diverged) return String(r.diverged);
  if (r.error) return r.error;
  if (r.state?.warning) return r.state.warning;
  return "";
}

function Row(r, { onOptimizer, onLr, onRemove }) {
  const el = document.createElement("div");
  el.className = "lane";
  el.dataset.key = r.key;
  el.innerHTML = `
    <canvas class="swatch" aria-hidden="true"></canvas>
    <select class="lane-opt" aria-label="optimizer"></select>
    <label class="lane-lr">η <input type="number" ${boundAttrs(SETTINGS.lr)} step="any" aria-label="learning rate"></label>
    <span class="lane-loss" title="loss on the whole training set">—</span>
    <span class="lane-step">step <b>0</b></span>
    <button type="button" class="lane-remove" title="remove this racer">✕</button>
    <div class="lane-status" role="status"></div>`;
  const select = el.querySelector("select");
  for (const o of OPTIMIZERS) select.add(new Option(OPTIMIZER_TITLES[o], o));
  const input = el.querySelector("input");
  select.addEventListener("change", () => onOptimizer(r.key, select.value));
  const refusal = FieldRefusal(input, el); // under the lane, across it
  input.addEventListener("change", () => {
    const v = input.value === "" ? NaN : Number(input.value);
    const refused = boundRefusal("lr", SETTINGS.lr, v);
    if (refused) return refusal.show(refused, last.lr); // the typed value stays, marked; the race keeps its η
    refusal.clear();
    onLr(r.key, v);
  });
  input.addEventListener("keydown", (ev) => ev.key === "Enter" && input.blur());
  el.querySelector(".lane-remove").addEventListener("click", () => onRemove(r.key));
  let last = {};

  function update(r, canRemove, viewer) {
    const key = [r.optimizer, r.lr, r.state?.loss, r.state?.step, laneStatus(r), r.diverged, canRemove, r.color, viewer].join("|");
    if (key === last.key) return;
    last = { key, lr: r.lr };
    paintSwatch(el.querySelector(".swatch"), r);
    select.value = r.optimizer;
    if (document.activeElement !== input && !refusal.shown) input.value = String(r.lr);
    el.querySelector(".lane-loss").textContent = fmt(r.state?.loss, 3);
    el.querySelector(".lane-step b").textContent = String(r.state?.step ?? 0);
    const status = laneStatus(r);
    const st = el.querySelector(".lane-status");
    st.textContent = status;
    st.hidden = !status;
    el.classList.toggle("bad", !!(r.diverged || r.error));
    el.querySelector(".lane-remove").disabled = !canRemove;
    el.querySelector(".lane-remove").hidden = viewer; // a watcher sees the race, not its levers
    select.disabled = input.disabled = viewer;
  }

  return { el, update };
}

/** The points a racer's loss line goes through: step 0's loss, then every evaluated step. */
export function lossSeries(r) {
  const fromStart = isNum(r.startLoss) && (r.steps.length === 0 || r.steps[0] <= 1);
  return { xs: fromStart ? [0, ...r.steps] : r.steps, ys: fromStart ? [r.startLoss, ...r.losses] : r.losses };
}

function drawChart(canvas, race) {
  const { ctx, w, h } = prepare(canvas);
  const racers = race.racers.filter((r) => r.state);
  if (!racers.length) return emptyNote(ctx, w, h, "waiting for the racers…");
  const series = racers.map((r) => ({ r, ...lossSeries(r) }));
  let top = 0;
  let newest = 10;
  // A diverged racer's 10¹⁴ would flatten everyone else: the scale follows the racers still going,
  // and the diverged line runs off the top.
  const scaleBy = series.some((s) => !s.r.diverged) ? series.filter((s) => !s.r.diverged) : series;
  for (const s of series) {
    if (scaleBy.includes(s)) {
      for (const v of s.ys) if (isNum(v) && v > top) top = v;
      if (isNum(s.r.state.loss)) top = Math.max(top, s.r.state.loss);
    }
    newest = Math.max(newest, s.r.state.step, s.xs.at(-1) ?? 0);
  }
  top = top * 1.08 || 1;
  const box = plotFrame(ctx, w, h, [0, top]);
  const x1 = newest * 1.03;
  const sx = scale(0, x1, box.x, box.x + box.w);
  const sy = scale(0, top, box.y + box.h, box.y);
  axes(ctx, box, sx, sy, [0, x1], [0, top], "step", ["loss (whole set)", "loss"]);
  clipTo(ctx, box);
  ctx.lineJoin = "round";
  ctx.lineWidth = 2.5;
  for (const s of series) {
    ctx.strokeStyle = s.r.color;
    ctx.setLineDash(s.r.dash);
    trace(ctx, s.xs, s.ys, sx, sy);
  }
  ctx.setLineDash([]);
  ctx.restore();
  for (const s of series) {
    if (isNum(s.r.state.loss) && s.r.state.loss <= top) drawMarker(ctx, s.r.marker, sx(s.r.state.step), sy(s.r.state.loss), 5, s.r.color, true);
  }
}

export function Lanes(root, { onOptimizer, onLr, onAdd, onRemove }) {
  root.classList.add("lanes");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Racers</span>
      <button type="button" class="lane-add" title="add a racer (up to ${MAX_RACERS})">+ racer</button></div>
    <div class="lane-list"></div>
    <div class="lane-chart"><canvas aria-label="loss by step"></canvas></div>`;
  const list = root.querySelector(".lane-list");
  const addBtn = root.querySelector(".lane-add");
  const canvas = root.querySelector("canvas");
  onPress(addBtn, () => onAdd());
  const rows = new Map();
  let lastChart = "";

  function update(race) {
    const keys = race.racers.map((r) => r.key);
    if (keys.join() !== [...rows.keys()].join()) {
      for (const [k, row] of rows) if (!keys.includes(k)) row.el.remove(), rows.delete(k);
      for (const r of race.racers) if (!rows.has(r.key)) rows.set(r.key, Row(r, { onOptimizer, onLr, onRemove }));
      for (const k of keys) list.appendChild(rows.get(k).el); // keep the race's order
    }
    const canRemove = race.racers.length > MIN_RACERS;
    for (const r of race.racers) rows.get(r.key).update(r, canRemove, !!race.viewer);
    addBtn.disabled = race.racers.length >= MAX_RACERS;
    addBtn.hidden = !!race.viewer;
    const chartKey = race.racers.map((r) => `${r.key}:${r.steps.length}:${r.state?.step}:${r.state?.loss}`).join() + `|${canvas.clientWidth}x${canvas.clientHeight}`;
    if (chartKey !== lastChart) {
      lastChart = chartKey;
      drawChart(canvas, race);
    }
  }

  return { update };
}
