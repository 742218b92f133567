// The Split panel of a tensor-, pipeline- or ZeRO-split run (hidden otherwise): the last step's
// timeline as a Gantt chart — one row per rank, compute, communication (tagged with its op) and idle
// (the pipeline bubble) as the engine measured them — the bubble measured beside (p−1)/(m+p−1), who
// holds what (blocks × ranks), and the bytes each rank sent per step beside the formula's.

import { prepare } from "../render/canvas.js";
import { AXIS, GRID, INK, MUTED } from "../render/colors.js";
import { fmt } from "../render/format.js";
import { drawHolds, holdsLegend } from "../render/holds.js";
import { bubbleText, bytesRows, ganttRows, holdsGridOf, memoryRows, OP_WORDS, splitOf } from "./split.js";
import { el } from "../render/dom.js";

export const KIND_COLORS = { compute: "#1f77b4", comm: "#e66100", idle: "#d1d5db" };

/** The Gantt chart of one step: rows = ranks, x = ms from the step's start. */
export function drawGantt(canvas, gantt) {
  const { ctx, w, h } = prepare(canvas);
  if (!gantt) return;
  const left = 78;
  const axisH = 18;
  const n = gantt.rows.length;
  const rowH = Math.min(30, (h - axisH - 4) / Math.max(1, n));
  const span = gantt.end || 1;
  const x = (t) => left + (t / span) * (w - left - 8);
  ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  ctx.textBaseline = "middle";
  gantt.rows.forEach((row, i) => {
    const y = 2 + i * rowH;
    ctx.fillStyle = INK;
    ctx.textAlign = "left";
    ctx.fillText(row.label, 2, y + rowH / 2, left - 6);
    for (const s of row.segments) {
      const x0 = x(s.t0);
      const x1 = Math.max(x0 + 0.6, x(s.t1)); // a collective shorter than a pixel still shows
      ctx.fillStyle = KIND_COLORS[s.kind] ?? GRID;
      const inset = s.kind === "comm" ? 1 : 4; // a collective stands taller than the compute it interrupts
      ctx.fillRect(x0, y + inset, x1 - x0, rowH - 2 * inset);
      if (s.kind === "idle" && x1 - x0 > 3) { // hatched: a wait, not work
        ctx.strokeStyle = "#6b7280";
        ctx.lineWidth = 1;
        ctx.save();
        ctx.beginPath();
        ctx.rect(x0, y + inset, x1 - x0, rowH - 2 * inset);
        ctx.clip();
        for (let k = x0 - rowH; k < x1; k += 5) {
          ctx.moveTo(k, y + rowH);
          ctx.lineTo(k + rowH, y);
        }
        ctx.stroke();
        ctx.restore();
      }
      if (s.tag && x1 - x0 > ctx.measureText(s.tag).width + 4) {
        ctx.fillStyle = "#fff";
        ctx.textAlign = "center";
        ctx.fillText(s.tag, (x0 + x1) / 2, y + rowH / 2);
      }
    }
  });
  const yAxis = 2 + n * rowH + 2;
  ctx.strokeStyle = AXIS;
  ctx.beginPath();
  ctx.moveTo(left, yAxis);
  ctx.lineTo(w - 8, yAxis);
  ctx.stroke();
  ctx.fillStyle = MUTED;
  const endText = `${fmt(span * 1000, 3)} ms`;
  ctx.textAlign = "right"; // the step's end, in ms, flush with the chart's edge
  ctx.fillText(endText, w - 8, yAxis + 9);
  const room = w - 8 - ctx.measureText(endText).width - 6;
  ctx.textAlign = "center";
  for (let k = 0; k < 4; k++) {
    const t = (span * k) / 4;
    const text = fmt(t * 1000, 3);
    if (x(t) + ctx.measureText(text).width / 2 < room) ctx.fillText(text, x(t), yAxis + 9);
  }
}

export function Split(root) {
  root.classList.add("gpt-split");
  root.hidden = true;
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Split run</span><span class="panel-value gx-sum"></span></div>
    <div class="gx-body">
      <div class="gx-time">
        <div class="gx-head">Last step, measured <span class="gx-key gx-compute">compute</span><span
          class="gx-key gx-comm">comm</span><span class="gx-key gx-idle">idle</span></div>
        <canvas class="gx-gantt" role="img" aria-label="timeline of the last step, one row per worker"></canvas>
        <p class="gx-bubble"></p>
      </div>
      <div class="gx-side">
        <div class="gx-head">Who holds what, at rest</div>
        <table class="gx-holds"></table>
        <table class="gx-bytes"><thead><tr><th>sent/step</th><th>op</th><th>measured</th><th>formula</th></tr></thead><tbody></tbody></table>
        <table class="gx-mem"><thead><tr><th>held</th><th>weights</th><th>grads</th><th>optimizer</th><th title="saved for backward, at their peak in the step">activations</th></tr></thead><tbody></tbody></table>
        <ul class="gx-gaps"></ul>
      </div>
    </div>`;
  root.querySelector(".gx-holds").after(holdsLegend());
  const $ = (s) => root.querySelector(s);
  const canvas = $(".gx-gantt");
  let last = {};

  function update(state) {
    const info = state.gpt?.info;
    const split = splitOf(info);
    root.hidden = !split;
    document.getElementById("gpt-workspace")?.classList.toggle("split", !!split);
    if (!split) return;
    const gantt = ganttRows(info);
    const size = [canvas.clientWidth, canvas.clientHeight];
    if (info.timeline !== last.timeline || size[0] !== last.size?.[0] || size[1] !== last.size?.[1]) {
      Object.assign(last, { timeline: info.timeline, size });
      drawGantt(canvas, gantt);
      root.dataset.segments = String(gantt ? gantt.rows.reduce((a, r) => a + r.segments.length, 0) : 0);
      root.dataset.ops = gantt ? [...new Set(gantt.rows.flatMap((r) => r.segments.filter((s) => s.kind === "comm").map((s) => s.op)))].sort().join(",") : "";
    }
    if (info.parallel === last.parallel) return;
    last.parallel = info.parallel;
    $(".gx-sum").textContent = `${split.name} · ${state.gpt.info.workers?.length ?? 0} workers` +
      (gantt ? ` · step ${state.step} took ${fmt(gantt.end * 1000, 3)} ms` : " · take a step to measure one");
    const bubble = bubbleText(info.parallel);
    $(".gx-bubble").hidden = !bubble;
    $(".gx-bubble").textContent = bubble?.text ?? "";
    $(".gx-bubble").title = bubble?.detail ?? "";
    const rows = bytesRows(info.parallel);
    $(".gx-bytes").hidden = !rows.length;
    $(".gx-bytes tbody").replaceChildren(...rows.map((r) => el("tr", { class: r.equal ? "equal" : "", "data-op": r.op },
      ...[[`w${r.rank}`], [r.words], [r.measuredText, `${r.measured.toLocaleString("en-US")} B`],
        [r.formulaText + (r.equal ? " ✓" : ""), `${r.formula.toLocaleString("en-US")} B`]].map(([text, title]) => el("td", { title }, text)))));
    const mem = memoryRows(info);
    $(".gx-mem").hidden = !mem;
    $(".gx-mem tbody").replaceChildren(...(mem?.rows ?? []).map((r) => el("tr", r.label.startsWith("calculator") ? "calc" : "",
      ...[r.label, r.params, r.grads, r.optimizer, r.activations].map((v) => el("td", {}, v)))));
    $(".gx-gaps").replaceChildren(...(mem?.gaps ?? []).map((g) => el("li", {}, g)));
    const grid = holdsGridOf(info);
    drawHolds($(".gx-holds"), grid, grid ? "share of each block's weights, gradients, optimizer state" : "");
    root.dataset.bubble = String(info.parallel?.bubble?.measured ?? "");
  }

  return { update, words: OP_WORDS };
}
