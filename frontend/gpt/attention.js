// Attention maps of the probe: one T×T map per layer and head (row i: how much position i looks at
// each earlier position j; grey above the diagonal: the future, hidden by the causal mask). The one
// in focus is drawn large, every map small beside it (click one to focus it). A slider plays back
// the maps received so far — the last ATTENTION_KEEP — so the patterns can be watched forming.

import { fmt } from "../render/format.js";
import { canvasPoint, prepare, textStyle } from "../render/canvas.js";
import { INK, MUTED } from "../render/colors.js";
import { attentionMap, glyph, shownAttention } from "./gptstate.js";
import { heatmap } from "./draw.js";
import { onPress } from "../render/dom.js";

const GAP = 6;
const LABEL = 18;
const AXIS = 14; // the token labels' strip left of and above the large map

/** The tokens along the large map's left edge (its rows) and top edge (its columns), every one where
 * a cell holds a letter, else every k-th; returns the labels drawn, in order ("" where skipped). */
function tokenAxes(ctx, tokens, x, y, size) {
  const T = tokens.length;
  const cell = size / Math.max(1, T);
  const every = Math.max(1, Math.ceil(8 / cell));
  textStyle(ctx, `600 ${Math.round(Math.min(12, Math.max(8, cell * 0.9)))}px ui-monospace, monospace`, INK, "center", "middle");
  const shown = tokens.map((t, i) => (i % every === 0 ? t : ""));
  shown.forEach((t, i) => {
    if (!t) return;
    const c = (i + 0.5) * cell;
    ctx.fillText(t, x - AXIS / 2, y + c); // row i: position i looks
    ctx.fillText(t, x + c, y - AXIS / 2); // column i: looked at
  });
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  return shown.join("\u0001");
}

export function Attention(root, { dispatchUi }) {
  root.classList.add("gpt-attention");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Attention</span><span class="panel-value ga-step"></span></div>
    <canvas class="ga-canvas" aria-label="attention maps, layer by head"></canvas>
    <div class="ga-lapse">
      <input type="range" class="ga-slider" min="0" max="0" value="0" step="1" aria-label="time-lapse: which step's maps">
      <button type="button" class="ga-live" title="Back to the newest maps">Live</button>
    </div>
    <p class="ga-note">Rows: who looks · columns: at whom · <span class="ga-mask">grey</span>: masked</p>`;
  const canvas = root.querySelector("canvas");
  const stepEl = root.querySelector(".ga-step");
  const slider = root.querySelector(".ga-slider");
  const live = root.querySelector(".ga-live");
  let last = {};
  let hits = []; // [{x, y, size, layer, head}] of the last draw, for clicks and hover
  let latest = null;

  slider.addEventListener("input", () => {
    const frames = latest?.gpt.attention ?? [];
    const i = Number(slider.value);
    dispatchUi({ lapse: i >= frames.length - 1 ? null : frames[i]?.step ?? null });
  });
  slider.addEventListener("change", () => slider.blur()); // arrows step the model again
  onPress(live, () => dispatchUi({ lapse: null }));

  function hitAt(ev) {
    const { x, y } = canvasPoint(canvas, ev); // presenter charts draw zoomed
    return { x, y, hit: hits.find((h) => x >= h.x && x < h.x + h.size && y >= h.y && y < h.y + h.size) };
  }
  canvas.addEventListener("click", (ev) => {
    const { hit } = hitAt(ev);
    if (hit) dispatchUi({ map: [hit.layer, hit.head] });
  });
  canvas.addEventListener("mousemove", (ev) => {
    const { x, y, hit } = hitAt(ev);
    const frame = latest && shownAttention(latest.gpt);
    if (!hit || !frame) return (canvas.title = "");
    const T = frame.shape[2];
    const i = Math.floor(((y - hit.y) / hit.size) * T);
    const j = Math.floor(((x - hit.x) / hit.size) * T);
    const w = attentionMap(frame, hit.layer, hit.head)?.[i * T + j];
    const [qi, kj] = [glyph(frame.tokens[i] ?? "?"), glyph(frame.tokens[j] ?? "?")];
    canvas.title = `layer ${hit.layer + 1}, head ${hit.head + 1}: '${qi}' (position ${i + 1}) → '${kj}' (position ${j + 1})` +
      (j > i ? ": the future, masked" : `: ${fmt(w, 3)}`);
  });

  function draw(state, frame) {
    const { ctx, w, h } = prepare(canvas);
    hits = [];
    if (!frame) {
      ctx.fillStyle = MUTED;
      ctx.font = "16px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillText(state.dataset ? "asking for the maps…" : "waiting for the model…", w / 2, h / 2);
      return;
    }
    const [L, H, T] = frame.shape;
    let [fl, fh] = state.gpt.ui.map;
    if (fl >= L || fh >= H) [fl, fh] = [0, 0];
    // The focused map: a square as tall as the canvas (minus its label and its token axes); the rest
    // share what is left. Its rows (who looks) and columns (at whom) are labelled with the tokens.
    const big = Math.max(40, Math.min(h - LABEL - AXIS, w * 0.5 - AXIS));
    const restW = w - AXIS - big - 3 * GAP;
    const cell = Math.max(16, Math.min((restW - (H - 1) * GAP) / H, (h - L * LABEL - (L - 1) * GAP) / L));
    textStyle(ctx, "700 14px system-ui, sans-serif", INK, "left", "top");
    ctx.fillText(big >= 110 ? `layer ${fl + 1}, head ${fh + 1}` : `L${fl + 1} H${fh + 1}`, 0, 0);
    const [mx, my] = [AXIS, LABEL + AXIS];
    canvas.dataset.axis = tokenAxes(ctx, frame.tokens.slice(0, T).map((t) => glyph(t ?? "?")), mx, my, big);
    heatmap(ctx, attentionMap(frame, fl, fh), T, mx, my, big);
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1;
    ctx.strokeRect(mx + 0.5, my + 0.5, big - 1, big - 1);
    hits.push({ x: mx, y: my, size: big, layer: fl, head: fh });
    const x0 = AXIS + big + 3 * GAP;
    for (let l = 0; l < L; l++) {
      for (let hd = 0; hd < H; hd++) {
        const x = x0 + hd * (cell + GAP);
        const y = l * (cell + LABEL + GAP) + LABEL;
        ctx.fillStyle = MUTED;
        ctx.font = "14px system-ui, sans-serif";
        ctx.fillText(cell >= 44 ? `L${l + 1} H${hd + 1}` : `${l + 1}·${hd + 1}`, x, y - LABEL + 2);
        heatmap(ctx, attentionMap(frame, l, hd), T, x, y, cell);
        const on = l === fl && hd === fh;
        ctx.strokeStyle = on ? "#d62728" : "#9ca3af";
        ctx.lineWidth = on ? 3 : 1;
        ctx.strokeRect(x + 0.5, y + 0.5, cell - 1, cell - 1);
        hits.push({ x, y, size: cell, layer: l, head: hd });
      }
    }
  }

  function update(state) {
    latest = state;
    const g = state.gpt;
    if (!g) return;
    const frame = shownAttention(g);
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const key = [g.ui.map.join(","), w, h, !!state.dataset].join("|");
    const frames = g.attention;
    const index = frame ? frames.indexOf(frame) : 0;
    slider.max = String(Math.max(0, frames.length - 1));
    if (document.activeElement !== slider) slider.value = String(Math.max(0, index));
    slider.disabled = frames.length < 2;
    live.hidden = g.ui.lapse === null;
    root.dataset.maps = String(frames.length);
    root.dataset.step = frame ? String(frame.step) : "";
    stepEl.textContent = frame ? `step ${frame.step}${g.ui.lapse === null ? " · live" : ` · ${index + 1} of ${frames.length}`}` : "";
    if (key === last.key && frame === last.frame) return;
    last = { key, frame };
    draw(state, frame);
  }

  return { update };
}
