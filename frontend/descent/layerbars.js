// Tricks → initialization (networks only): how the weights start, and per layer how spread out the
// activations are and how large the weight gradients are, on log axes — so a signal that fades
// layer by layer (vanishing) or blows up (exploding) shows as bars shrinking or growing with depth.

import { GRID, INK, MUTED } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { emptyNote, prepare, textStyle, xTickLabels } from "../render/canvas.js";
import { decadeTicks, fmtDecade, logBarLength, logDomain, logScale } from "../render/logscale.js";
import { optimizerName, sameKey } from "./chartbits.js";
import { layerLabel } from "./update.js";
import { onPress } from "../render/dom.js";

export const INITS = [
  ["zeros", "zeros"],
  ["uniform", "uniform ±0.5"],
  ["xavier", "Xavier"],
  ["he", "He"],
  ["large", "too large"],
];
const ACT_BAR = "#0f766e"; // teal: the forward signal
const GRAD_BAR = "#6d28d9"; // purple: the backward one (white numbers read on both)
const DRAMATIC = { hidden: [8, 8, 8, 8], activation: "relu" };

const times = (x) => (x < 10 ? fmt(x, 2) : String(Math.round(x)));

/** One row per layer, first hidden layer first: {label, act (σ of a), grad (‖∂L/∂W‖)}. */
export function layerRows(layers) {
  if (!Array.isArray(layers)) return [];
  return layers.map((l, k) => ({ label: layerLabel(k, layers.length), act: l?.activation_std, grad: l?.grad_norm }));
}

/** A sentence on what the bars show: vanishing, exploding, dead, or healthy. */
export function layerVerdict(rows) {
  if (rows.length < 2) return "";
  const hidden = rows.slice(0, -1);
  if (hidden.every((r) => r.act === 0)) return "every hidden unit is 0 and stays so: symmetry is never broken.";
  const g0 = rows[0].grad;
  const gOut = rows[rows.length - 1].grad;
  if (hidden.some((r) => isNum(r.act) && r.act > 5)) return "activations grow layer by layer: too large a start (exploding).";
  if (isNum(g0) && isNum(gOut) && gOut > 0 && g0 / gOut < 1e-2) return `hidden 1's gradient is ${times(gOut / g0)}× smaller than the output's: vanishing.`;
  if (isNum(g0) && isNum(gOut) && gOut > 0 && g0 / gOut > 100) return `hidden 1's gradient is ${times(g0 / gOut)}× the output's: exploding.`;
  return "sizes stay within a few × across layers: a healthy start.";
}

export function LayerSection(root, { configure }) {
  root.classList.add("tr-sec", "tr-init");
  root.innerHTML = `
    <div class="tr-head"><span class="tr-title">Initialization</span>
      <select class="tr-init-kind" aria-label="initialization">${INITS.map(([v, l]) => `<option value="${v}">${l}</option>`).join("")}</select>
      <button type="button" class="tr-try" title="four hidden layers of 8 ReLU units: vanishing and exploding show best">try 8,8,8,8 ReLU</button>
      <span class="tr-help tr-verdict"></span></div>
    <canvas aria-label="activation spread and gradient size per layer"></canvas>
    <div class="tr-only-mlp" hidden>How weights start matters in deep networks: layers that shrink or grow the signal
      compound. This model has one layer — open the network race to see it: <a href="/descent?model=mlp">model=mlp</a>.</div>`;
  const kind = root.querySelector(".tr-init-kind");
  const tryBtn = root.querySelector(".tr-try");
  const verdict = root.querySelector(".tr-verdict");
  const canvas = root.querySelector("canvas");
  const only = root.querySelector(".tr-only-mlp");
  let last = {};

  onPress(kind, () => configure({ init: kind.value }), "change");
  onPress(tryBtn, () => configure({ ...DRAMATIC }));

  function draw(rows) {
    const { ctx, w, h } = prepare(canvas);
    if (!rows.length) {
      emptyNote(ctx, w, h, "take a step: each layer's sizes show here");
      return;
    }
    ctx.font = '14px system-ui, sans-serif';
    const labelW = Math.ceil(Math.max(...rows.map((r) => ctx.measureText(r.label).width))) + 10;
    const gap = 34; // room for the tick labels where the two axes meet
    const colW = (w - labelW - gap - 22) / 2;
    const top = 22;
    const axisH = 18;
    const rowH = Math.min(34, (h - top - axisH) / rows.length);
    const cols = [
      ["activation spread σ(a)", rows.map((r) => r.act)],
      ["gradient ‖∂L/∂W‖", rows.map((r) => r.grad)],
    ];
    cols.forEach(([title, values], c) => {
      const x = labelW + c * (colW + gap);
      const [lo, hi] = logDomain(values, 3);
      const sx = logScale(lo, hi, x, x + colW);
      textStyle(ctx, '700 14px system-ui, sans-serif', INK, "left", "top");
      ctx.fillText(title, x, 2);
      const y1 = top + rowH * rows.length;
      ctx.strokeStyle = GRID;
      ctx.lineWidth = 1;
      ctx.font = '14px system-ui, sans-serif';
      ctx.fillStyle = MUTED;
      const dt = decadeTicks(lo, hi, Math.max(2, Math.floor(colW / 52)));
      for (const t of dt) {
        const px = Math.round(sx(t)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(px, top);
        ctx.lineTo(px, y1);
        ctx.stroke();
      }
      xTickLabels(ctx, dt, sx, x - 14, x + colW + 14, y1 + 2, fmtDecade);
      values.forEach((v, k) => {
        const y = top + k * rowH;
        const len = logBarLength(v, lo, hi, colW);
        ctx.fillStyle = c === 0 ? ACT_BAR : GRAD_BAR;
        ctx.fillRect(x, y + 3, len, rowH - 6);
        if (rowH < 17) return; // too thin for 14 px numbers: they are in the canvas's title instead
        ctx.fillStyle = INK;
        ctx.font = '600 14px system-ui, sans-serif';
        ctx.textBaseline = "middle";
        const text = fmt(v, 2);
        const tw = ctx.measureText(text).width;
        const inside = len > tw + 10;
        ctx.textAlign = inside ? "right" : "left";
        ctx.fillStyle = inside ? "#fff" : INK;
        ctx.fillText(text, inside ? x + len - 4 : x + len + 4, y + rowH / 2);
        ctx.textAlign = "center";
      });
    });
    textStyle(ctx, '14px system-ui, sans-serif', INK, "right", "middle");
    rows.forEach((r, k) => ctx.fillText(r.label, labelW - 8, top + k * rowH + rowH / 2));
  }

  function update(race) {
    const mlp = race.model === "mlp";
    if (mlp !== last.mlp) {
      last.mlp = mlp;
      for (const e of [kind, tryBtn, verdict, canvas]) e.hidden = !mlp;
      only.hidden = mlp;
    }
    if (!mlp) return;
    const init = race.config?.init ?? "uniform";
    if (init !== last.init && document.activeElement !== kind) {
      last.init = init;
      kind.value = init;
    }
    const racer = race.racers?.[0];
    const layers = racer?.state?.layers ?? null;
    const key = [layers, racer?.color, canvas.clientWidth, canvas.clientHeight];
    if (sameKey(key, last.key)) return;
    last.key = key;
    const rows = layerRows(layers);
    const who = racer ? `${optimizerName(racer.optimizer)}, step ${racer.state?.step ?? 0}: ` : "";
    verdict.textContent = rows.length ? who + layerVerdict(rows) : "";
    draw(rows);
    const said = rows.map((r) => `${r.label}: σ(a) ${fmt(r.act, 3)}, ‖∂L/∂W‖ ${fmt(r.grad, 3)}`).join("\n");
    canvas.title = said;
    canvas.setAttribute("aria-label", `activation spread and gradient size per layer. ${said.replace(/\n/g, "; ")}`);
  }

  return { update };
}
