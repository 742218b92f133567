// The Workers panel of a data-parallel run (workers ≥ 2; hidden otherwise): one row per worker
// process — its start-up progress (spawned, torch imported, joined the process group, ready), pid,
// its own shard's loss, tokens/s, the checksum of its parameters (equal on every row while the
// replicas agree) and a button that kills it (SIGKILL, the owner's) — the ring all-reduce drawn for
// N workers (animated step by step while the `allreduce` stage is on display), the all-reduce's
// share of the step, and each lost worker with the steps that were lost.

import { frame, prepare, scale, ticks, trace } from "../render/canvas.js";
import { fmt } from "../render/format.js";
import { bytesText, replicasAgree, ringSchedule, workerRows } from "./ddp.js";
import { splitOf } from "./split.js";
import { el, svgEl } from "../render/dom.js";

const PHASE_MS = 900; // one ring step on screen
const RANK_COLORS = ["#1f77b4", "#e66100", "#047857", "#6d28d9", "#b91c1c", "#4b5563", "#0e7490", "#a16207"];

/** Each worker's loss by step, one line per rank (colored as the rank's row). */
function spark(canvas, series) {
  const { ctx, w, h } = prepare(canvas);
  const all = series.flatMap((s) => s.values);
  if (!all.length) return;
  const x0 = Math.min(...series.map((s) => s.steps[0] ?? Infinity));
  const x1 = Math.max(x0 + 1, ...series.map((s) => s.steps.at(-1) ?? 0));
  const lo = Math.min(...all);
  const hi = Math.max(lo + 1e-3, ...all);
  const box = { x: 40, y: 4, w: w - 46, h: h - 22 };
  const sx = scale(x0, x1, box.x, box.x + box.w);
  const sy = scale(lo, hi, box.y + box.h, box.y);
  frame(ctx, box, sx, sy, ticks(x0, x1, 3), ticks(lo, hi, 2), (t) => fmt(t, 3), (t) => fmt(t, 3));
  series.forEach((s, r) => {
    ctx.strokeStyle = RANK_COLORS[r % RANK_COLORS.length];
    ctx.lineWidth = 1.5;
    trace(ctx, s.steps, s.values, sx, sy);
  });
}

/** The ring: N workers on a circle, each sending to the next; `phase` (or null) lights one step. */
function drawRing(svg, n, phase) {
  const c = 60;
  const R = 40;
  const at = (r) => [c + R * Math.sin((2 * Math.PI * r) / n), c - R * Math.cos((2 * Math.PI * r) / n)];
  const kids = [];
  for (let r = 0; r < n; r++) {
    const [x0, y0] = at(r);
    const [x1, y1] = at((r + 1) % n);
    const send = phase?.sends.find((s) => s.from === r);
    const lit = !!send;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len = Math.hypot(dx, dy) || 1;
    const pad = 11;
    const off = 4; // to the side: with 2 workers the two directions share a line
    const [ox, oy] = [(-dy / len) * off, (dx / len) * off];
    const a = [x0 + (dx * pad) / len + ox, y0 + (dy * pad) / len + oy];
    const b = [x1 - (dx * pad) / len + ox, y1 - (dy * pad) / len + oy];
    kids.push(svgEl("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: `gw-edge${lit ? " lit" : ""}`, "marker-end": "url(#gw-arrow)" }));
    if (send) {
      const mx = (a[0] + b[0]) / 2 + (-dy / len) * 9;
      const my = (a[1] + b[1]) / 2 + (dx / len) * 9;
      kids.push(svgEl("text", { x: mx, y: my + 3, class: "gw-chunk" }, `c${send.chunk}`));
    }
  }
  for (let r = 0; r < n; r++) {
    const [x, y] = at(r);
    kids.push(svgEl("circle", { cx: x, cy: y, r: 10, class: "gw-node" }), svgEl("text", { x, y: y + 4, class: "gw-label" }, `w${r}`));
  }
  const defs = svgEl("defs");
  const marker = svgEl("marker", { id: "gw-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto" });
  marker.appendChild(svgEl("path", { d: "M0,0 L10,5 L0,10 z", class: "gw-head" }));
  defs.appendChild(marker);
  svg.replaceChildren(defs, ...kids);
}

/** The `allreduce` (and `gradients`) stage's picture: each rank's slice before and after averaging; a split
 * run's collective stages (`slice`, `label`: what the numbers are) the same way. */
export function slicesTable(values) {
  const before = Array.isArray(values.before) ? values.before : (values.workers ?? []).map((w) => ({ rank: w.rank, grad_slice: w.grad_slice }));
  const after = Array.isArray(values.after) ? values.after : [];
  const xs = (r) => r.grad_slice ?? r.slice;
  const name = values.param ?? values.workers?.[0]?.param ?? "";
  const row = (label, cls, vs) => el("tr", cls, el("th", {}, label), ...(vs ?? []).map((v) => el("td", {}, fmt(v, 3))));
  return el("table", "gw-slices", el("caption", {}, values.label ?? `∂L/∂${name}, first ${before[0]?.grad_slice?.length ?? 0} entries`),
    el("tbody", {}, ...before.map((b) => row(`w${b.rank} before`, "before", xs(b))), ...after.map((a) => row(`w${a.rank} after`, "after", xs(a)))));
}

export function Workers(root, { send, canEdit }) {
  root.classList.add("gpt-workers");
  root.hidden = true;
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Workers</span><span class="panel-value gw-sum"></span></div>
    <p class="gw-lost"></p>
    <div class="gw-body">
      <figure class="gw-fig"><svg class="gw-ring" viewBox="0 0 120 120" role="img" aria-label="ring all-reduce"></svg>
        <figcaption class="gw-phase"></figcaption></figure>
      <div class="gw-side">
        <table class="gw-table"><thead><tr><th>worker</th><th>pid</th><th>state</th><th>loss</th><th>tok/s</th><th title="SHA-1 of its parameters: equal while the replicas agree">params</th><th></th></tr></thead><tbody></tbody></table>
        <div class="gw-spark-head">each worker's own loss (its shard) by step</div>
        <canvas class="gw-spark" aria-label="each worker's loss by step"></canvas>
        <p class="gw-comm"></p>
      </div>
    </div>`;
  const sum = root.querySelector(".gw-sum");
  const body = root.querySelector("tbody");
  const svg = root.querySelector("svg");
  const phaseEl = root.querySelector(".gw-phase");
  const comm = root.querySelector(".gw-comm");
  const lostEl = root.querySelector(".gw-lost");
  const sparkEl = root.querySelector(".gw-spark");
  let last = {};
  let timer = null;

  body.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-rank]");
    if (!b || !canEdit()) return;
    b.blur();
    send({ type: "kill_worker", rank: Number(b.dataset.rank) });
  });

  function animate(n, on) {
    if (!on) {
      if (timer) clearInterval(timer);
      timer = null;
      drawRing(svg, n, null);
      phaseEl.textContent = `ring all-reduce: reduce-scatter, then all-gather, ${2 * (n - 1)} steps`;
      return;
    }
    if (timer) return;
    const steps = ringSchedule(n);
    let k = 0;
    const show = () => {
      const p = steps[k % steps.length];
      drawRing(svg, n, p);
      phaseEl.textContent = `${p.kind} ${p.step + 1}/${n - 1}: each worker sends 1/${n} of its gradient to the next`;
      root.dataset.ringPhase = String(k % steps.length);
      k++;
    };
    show();
    timer = setInterval(show, PHASE_MS);
  }

  function update(state) {
    const info = state.gpt?.info;
    const ddp = info?.ddp;
    root.hidden = !ddp;
    document.getElementById("gpt-workspace")?.classList.toggle("ddp", !!ddp);
    if (!ddp) {
      animate(0, false);
      return;
    }
    const n = ddp.workers;
    // the ring of the gradients' all-reduce (a split run's other collectives draw their own table)
    const onStage = (state.stage?.stage === "allreduce" && !state.stage.values?.op) || state.playing;
    if (n !== last.n || onStage !== last.onStage) {
      last.n = n;
      last.onStage = onStage;
      if (timer) clearInterval(timer);
      timer = null;
      animate(n, onStage);
    }
    const rows = workerRows(info);
    const key = JSON.stringify([rows, canEdit(), ddp.ready]);
    if (key !== last.rows) {
      last.rows = key;
      // the rows are made once per set of ranks and then filled in place: made anew at every frame of
      // play, a kill button was replaced under the pointer and a click on it could miss
      const ranks = rows.map((r) => r.rank).join(",");
      if (ranks !== last.ranks) {
        last.ranks = ranks;
        body.replaceChildren(...rows.map((r) => workerRow(r.rank)));
      }
      rows.forEach((r, i) => fillRow(body.children[i], r, canEdit() && ddp.ready));
    }
    const series = state.gpt.workerLosses ?? [];
    const size = [sparkEl.clientWidth, sparkEl.clientHeight];
    if (series !== last.series || size[0] !== last.size?.[0] || size[1] !== last.size?.[1]) {
      Object.assign(last, { series, size });
      spark(sparkEl, series);
    }
    const agree = splitOf(info) ? null : replicasAgree(info); // a split run's ranks hold different parts
    const ready = ddp.ready ? `ready in ${fmt(ddp.ready_seconds, 2)} s` : "starting…";
    sum.textContent = `${n} × gloo · ${ddp.threads_per_worker} thread${ddp.threads_per_worker === 1 ? "" : "s"} each · ${ready}` +
      (agree === null ? "" : agree ? " · replicas agree" : " · replicas DIFFER");
    const c = ddp.comm;
    comm.textContent = c
      ? `All-reduce ${fmt(c.allreduce_s * 1000, 3)} ms of a ${fmt(c.step_s * 1000, 3)} ms step (${fmt(100 * (c.share ?? 0), 2)} % communicating) · ` +
        `${bytesText(c.bytes_per_worker)} sent per worker per step (2(N−1)/N × ${bytesText(c.gradient_bytes)})` +
        (c.tokens_per_s ? ` · ${Math.round(c.tokens_per_s).toLocaleString("en-US")} tokens/s in all` : "") +
        ` · checkpoint every ${ddp.checkpoint_every} steps (last: step ${ddp.checkpoint_step})`
      : `Checkpoint every ${ddp.checkpoint_every} steps. Step (→) to see the shards, each worker's gradient and the all-reduce.`;
    const lost = ddp.lost ?? [];
    lostEl.textContent = lost.map((l) => `Lost worker ${l.ranks.join(", ")} at step ${l.to_step}: restarted from the checkpoint at step ${l.from_step}` +
      (l.to_step > l.from_step + 1 ? `, steps ${l.from_step + 1}–${l.to_step} lost` : l.to_step > l.from_step ? `, step ${l.to_step} lost` : "")).join(" · ");
    root.dataset.ready = String(!!ddp.ready);
    root.dataset.lost = String(lost.length);
  }

  return { update };
}

/** One worker's table row, empty: `fillRow` writes its numbers. */
function workerRow(rank) {
  const tr = document.createElement("tr");
  tr.dataset.rank = String(rank);
  tr.innerHTML = `<th></th><td></td><td><span class="gw-bar"><span class="gw-fill"></span></span><span class="gw-stage"></span></td><td></td><td></td><td class="gw-sha"></td><td></td>`;
  tr.querySelector("th").textContent = `w${rank}`;
  tr.querySelector("th").style.color = RANK_COLORS[rank % RANK_COLORS.length];
  tr.querySelectorAll("td")[5].appendChild(el("button", { type: "button", class: "gw-kill", "data-rank": rank }, "kill"));
  return tr;
}

function fillRow(tr, r, editable) {
  tr.className = r.alive ? "" : "dead";
  const td = tr.querySelectorAll("td");
  td[0].textContent = r.pid ?? "";
  td[1].querySelector(".gw-fill").style.width = `${100 * r.progress}%`;
  td[1].querySelector(".gw-stage").textContent = r.alive ? r.stage : "gone";
  td[2].textContent = r.loss === null ? "—" : fmt(r.loss, 4);
  td[3].textContent = r.tokensPerS === null ? "—" : Math.round(r.tokensPerS).toLocaleString("en-US");
  td[4].textContent = r.checksum ? r.checksum.slice(0, 8) : "—";
  td[4].title = r.checksum ? `SHA-1 of worker ${r.rank}'s parameters: ${r.checksum}…` : "";
  const kill = td[5].querySelector(".gw-kill");
  kill.title = `SIGKILL worker ${r.rank} (pid ${r.pid}): the others' all-reduce fails, and the run restarts from its last checkpoint`;
  kill.disabled = !editable || !r.alive;
}
