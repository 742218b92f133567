// Per layer group (embeddings, each block, the output head), from the last step: the gradient's
// size ‖g‖ and how far the update moved the weights relative to their size, ‖Δθ‖/‖θ‖ (around 10⁻³
// is the healthy range usually quoted for Adam; 10⁻¹ means the weights are thrown about). Below,
// ‖g‖ of every step against the clip threshold: every step above the line was scaled down to it.

import { clipTo, frame, hmark, prepare, scale, ticks, trace } from "../render/canvas.js";
import { DOT } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { explain } from "./glossary.js";
import { el } from "../render/dom.js";

const LOG_LO = -5; // the ratio bar spans 10⁻⁵ … 10⁻¹
const LOG_HI = -1;

export function ratioWidth(r) {
  if (!isNum(r) || r <= 0) return 0;
  return Math.max(0, Math.min(1, (Math.log10(r) - LOG_LO) / (LOG_HI - LOG_LO)));
}

export function Layers(root) {
  root.classList.add("gpt-layers");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Per layer</span><span class="panel-value gy-clip"></span></div>
    <table class="gy-table">
      <thead><tr><th></th><th title="the size (norm) of each part's gradient">‖g‖</th><th title="how far the last update moved the weights, relative to their size (| marks 10⁻³)">‖Δθ‖/‖θ‖</th></tr></thead>
      <tbody></tbody>
    </table>
    <div class="gy-spark-head">‖g‖ each step · <span class="gy-line">— clip at <b class="gy-max"></b></span></div>
    <canvas class="gy-spark" aria-label="gradient norm by step, with the clip threshold"></canvas>`;
  const body = root.querySelector("tbody");
  const clipEl = root.querySelector(".gy-clip");
  const maxEl = root.querySelector(".gy-max");
  const canvas = root.querySelector("canvas");
  let last = {};

  function rows(stats) {
    const g = stats?.layer_grad_norms ?? {};
    const r = stats?.update_ratios ?? {};
    const names = Object.keys(g);
    const top = Math.max(1e-12, ...names.map((n) => g[n]).filter(isNum));
    return names.map((n) => {
      const tr = document.createElement("tr");
      tr.dataset.group = n;
      tr.innerHTML = `<th></th><td><span class="gy-bar"><span class="gy-fill g"></span></span><span class="gy-num"></span></td>` +
        `<td><span class="gy-bar log"><span class="gy-fill r"></span><span class="gy-ok" title="10⁻³"></span></span><span class="gy-num"></span></td>`;
      tr.querySelector("th").textContent = n;
      tr.querySelector("th").title = explain(n); // A1, M1: plain words
      tr.querySelector(".gy-fill.g").style.width = `${(100 * (g[n] ?? 0)) / top}%`;
      tr.querySelectorAll(".gy-num")[0].textContent = fmt(g[n], 2);
      tr.querySelector(".gy-fill.r").style.width = `${100 * ratioWidth(r[n])}%`;
      tr.querySelector(".gy-ok").style.left = `${100 * ratioWidth(1e-3)}%`;
      tr.querySelectorAll(".gy-num")[1].textContent = fmt(r[n], 2);
      return tr;
    });
  }

  function spark(g, clip) {
    const { ctx, w, h } = prepare(canvas);
    const { steps, values } = g.gradNorms;
    if (!steps.length) return;
    let top = isNum(clip) && clip > 0 ? clip * 1.5 : 0;
    for (const v of values) if (v > top) top = v;
    top *= 1.05;
    const box = { x: 40, y: 4, w: w - 46, h: h - 24 };
    const x0 = steps[0];
    const x1 = Math.max(steps[steps.length - 1], x0 + 1);
    const sx = scale(x0, x1, box.x, box.x + box.w);
    const sy = scale(0, top, box.y + box.h, box.y);
    frame(ctx, box, sx, sy, ticks(x0, x1, 3), ticks(0, top, 2), (t) => fmt(t, 2), (t) => fmt(t, 3));
    clipTo(ctx, box);
    ctx.strokeStyle = "#4b5563";
    ctx.lineWidth = 1.5;
    trace(ctx, steps, values, sx, sy);
    if (isNum(clip) && clip > 0) hmark(ctx, sy(clip), box, "", { color: DOT, dash: [] });
    ctx.restore();
  }

  function update(state) {
    const g = state.gpt;
    if (!g) return;
    const stats = g.info?.last ?? null;
    const clip = state.session?.config?.grad_clip;
    if (stats !== last.stats) {
      last.stats = stats;
      body.replaceChildren(...(stats ? rows(stats) : [el("tr", {}, el("td", { colspan: 3, class: "gy-none" }, "after the first step"))]));
    }
    const recent = g.clip.recent;
    const n = recent.reduce((a, b) => a + b, 0);
    // Clipping most steps is normal with the defaults (clip 1, small batches): say so calmly.
    const clipText = !isNum(clip) || clip <= 0 ? "clipping off" : recent.length
      ? `${n}/${recent.length} steps capped at ‖g‖ = ${fmt(clip, 3)}` : "";
    if (clipText !== last.clipText) {
      last.clipText = clipText;
      clipEl.textContent = clipText;
      clipEl.title = `${g.clip.total} of ${g.clip.steps} steps clipped since the page opened. Clipping scales a too-large ` +
        "gradient down to the threshold and keeps its direction: with the defaults most steps are clipped, which is normal.";
    }
    maxEl.textContent = isNum(clip) && clip > 0 ? fmt(clip, 3) : "off";
    root.dataset.clipped = String(g.clip.total);
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (g.gradNorms !== last.norms || clip !== last.clip || w !== last.w || h !== last.h) {
      Object.assign(last, { norms: g.gradNorms, clip, w, h });
      spark(g, clip);
    }
  }

  return { update };
}
