// The optimizer's side of training. Top: the learning-rate schedule (linear warmup, then a cosine
// down to a floor; fine-tuning starts its own) with "you are here". Below: Adam's memory for one
// weight — m, the running mean of its gradient, and v, of its square — with the bias-corrected m̂,
// v̂ and the step they make, η·m̂/(√v̂ + ε); a strip plots m inside ±√v over the last updates.
// Every number is the engine's (optimizer_state's `update`): this view formats and draws only.

import { frame, prepare, scale, ticks, trace, vmark } from "../render/canvas.js";
import { DOT, LOSS_LINE } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { SCHEMA } from "../schema.js";
import { DEFAULT_WEIGHT } from "./gptstate.js";
import { explain } from "./glossary.js";
import { el, onPress } from "../render/dom.js";

/** The weights one can follow: [label, name, index]; embeddings by character, from the vocabulary. */
export function weightChoices(vocab) {
  const out = [
    ["block 1 W_qkv[1,1]", DEFAULT_WEIGHT.name, DEFAULT_WEIGHT.index],
    ["block 1 W_fc[1,1]", "blocks.0.mlp.fc.weight", [0, 0]],
    ["block 1 LayerNorm γ[1]", "blocks.0.ln1.weight", [0]],
    ["head W[1,1]", "lm_head.weight", [0, 0]],
  ];
  for (const c of ["e", "Q", "+"]) {
    const id = (vocab ?? []).indexOf(c);
    if (id >= 0) out.push([`embedding of ‘${c}’ [1]`, "wte.weight", [id, 0]]);
  }
  return out;
}

export function Optim(root, { dispatchUi, configure, canEdit }) {
  root.classList.add("gpt-optim");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Learning rate</span>
      <label class="go-peak" title="the schedule's peak η (applies at once; fine-tuning has its own, finetune_lr)">peak
        <input type="number" name="lr" step="any" inputmode="decimal"></label></div>
    <div class="go-now"><span class="go-lr"></span></div>
    <canvas class="go-sched" aria-label="learning-rate schedule"></canvas>
    <div class="go-adam-head"><b class="go-opt">Adam</b> on <select class="go-weight" aria-label="which weight"></select></div>
    <div class="go-lines"></div>
    <canvas class="go-mv" aria-label="m inside ±√v over the last updates"></canvas>`;
  const lrEl = root.querySelector(".go-lr");
  const sched = root.querySelector(".go-sched");
  const select = root.querySelector(".go-weight");
  const lines = root.querySelector(".go-lines");
  const optName = root.querySelector(".go-opt");
  const mv = root.querySelector(".go-mv");
  const peak = root.querySelector(".go-peak input");
  let choices = [];
  let last = {};

  onPress(select, () => {
    const c = choices[Number(select.value)];
    if (c) dispatchUi({ weight: { name: c[1], index: c[2] } });
  }, "change");

  peak.addEventListener("change", () => {
    const v = Number(peak.value);
    peak.blur();
    if (canEdit() && peak.value.trim() !== "" && Number.isFinite(v)) configure({ lr: v }); // the engine says what it allows (refusal.js)
  });
  peak.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") peak.blur();
  });

  function drawSchedule(state, s) {
    const { ctx, w, h } = prepare(sched);
    const curve = s?.curve ?? [];
    if (curve.length < 2) return;
    const xs = curve.map((p) => p[0]);
    const ys = curve.map((p) => p[1]);
    const x0 = xs[0];
    const x1 = Math.max(xs[xs.length - 1], state.step);
    const top = Math.max(...ys) * 1.1 || 1;
    ctx.font = "14px system-ui, sans-serif";
    const left = Math.ceil(ctx.measureText(fmt(Math.max(...ys), 2)).width) + 10;
    const box = { x: left, y: 4, w: w - left - 8, h: h - 24 };
    const sx = scale(x0, x1, box.x, box.x + box.w);
    const sy = scale(0, top, box.y + box.h, box.y);
    frame(ctx, box, sx, sy, ticks(x0, x1, 3), [0, Math.max(...ys)], (t) => fmt(t, 2), (t) => fmt(t, 3));
    ctx.strokeStyle = LOSS_LINE;
    ctx.lineWidth = 2.5;
    trace(ctx, xs, ys, sx, sy);
    const lr = state.lr;
    vmark(ctx, sx(Math.min(state.step, x1)), box, "you are here", DOT, [4, 3], "bottom");
    if (isNum(lr)) {
      ctx.fillStyle = DOT;
      ctx.beginPath();
      ctx.arc(sx(Math.min(state.step, x1)), sy(lr), 5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  function drawMoments(hist) {
    const { ctx, w, h } = prepare(mv);
    const rows = hist.filter((r) => isNum(r.exp_avg) && isNum(r.sqrt_v));
    if (rows.length < 2) return;
    const xs = rows.map((r) => r.step);
    const m = rows.map((r) => r.exp_avg);
    const sd = rows.map((r) => r.sqrt_v); // √v, the engine's
    const top = Math.max(1e-30, ...sd, ...m.map(Math.abs)) * 1.1;
    const box = { x: 52, y: 3, w: w - 58, h: h - 6 };
    const sx = scale(xs[0], Math.max(xs[xs.length - 1], xs[0] + 1), box.x, box.x + box.w);
    const sy = scale(-top, top, box.y + box.h, box.y);
    frame(ctx, box, sx, sy, [], [0], () => "0", () => "");
    ctx.fillStyle = "rgba(107, 114, 128, 0.22)";
    ctx.beginPath();
    xs.forEach((x, i) => (i ? ctx.lineTo(sx(x), sy(sd[i])) : ctx.moveTo(sx(x), sy(sd[i]))));
    for (let i = xs.length - 1; i >= 0; i--) ctx.lineTo(sx(xs[i]), sy(-sd[i]));
    ctx.fill();
    ctx.strokeStyle = LOSS_LINE;
    ctx.lineWidth = 2;
    trace(ctx, xs, m, sx, sy);
  }

  /** [class, text, title] rows of the last update of the weight: the engine's cells as laid out by
   * engine/updatetable.py (optimizer_state → update.cells, note), formatted only. */
  function text(state, g) {
    const opt = state.session?.config?.optimizer;
    optName.textContent = SCHEMA.models.transformer.properties.optimizer["x-titles"][opt] ?? opt ?? "";
    const s = g.opt?.state;
    if (!s) return [["wide", "(waiting for the optimizer's state…)"]];
    const u = s.update;
    if (!u?.cells?.length) return [["", `w = ${fmt(s.value, 3)}`, "the weight now"], ["wide", "no update of this weight to show yet: take a step"]];
    const rows = u.cells.map((c) => ["", Array.isArray(c.value) ? `w: ${fmt(c.value[0], 3)} → ${fmt(c.value[1], 3)}` : `${c.sym} = ${fmt(c.value, 3)}`, c.title]);
    return u.note ? [["wide", u.note, "m and v start at 0; dividing by 1 − βᵗ corrects that"], ...rows] : rows;
  }

  function update(state) {
    const g = state.gpt;
    if (!g) return;
    const s = g.info?.schedule ?? null;
    lrEl.textContent = isNum(state.lr) ? `η = ${fmt(state.lr, 3)}${s ? ` · ${s.phase === "finetune" ? "fine-tuning" : "pre-training"}` : ""}` : "";
    // The peak of the schedule in force: fine-tuning runs its own (finetune_lr until η is changed).
    const curve = s?.curve ?? [];
    const cfgLr = s?.phase === "finetune" && curve.length ? Number(Math.max(...curve.map((p) => p[1])).toPrecision(3)) : state.session?.config?.lr;
    if (document.activeElement !== peak && isNum(cfgLr) && Number(peak.value) !== cfgLr) peak.value = String(cfgLr);
    peak.disabled = !canEdit();
    const vocab = state.dataset?.vocab ?? null;
    if (vocab !== last.vocab) {
      last.vocab = vocab;
      choices = weightChoices(vocab);
      select.replaceChildren(...choices.map(([label], i) => Object.assign(new Option(label, String(i)), { title: explain(label) })));
      select.title = "which single weight the Adam view follows; W_qkv makes queries, keys and values, [1,1] is its first number";
    }
    const w = g.ui.weight;
    const at = choices.findIndex((c) => c[1] === w.name && String(c[2]) === String(w.index));
    if (document.activeElement !== select && at >= 0) select.value = String(at);
    const sw = sched.clientWidth;
    const sh = sched.clientHeight;
    if (s !== last.s || state.step !== last.step || sw !== last.sw || sh !== last.sh) {
      Object.assign(last, { s, step: state.step, sw, sh });
      drawSchedule(state, s);
    }
    if (g.opt !== last.opt || state.lr !== last.lr) {
      last.opt = g.opt;
      last.lr = state.lr;
      lines.replaceChildren(...text(state, g).map(([cls, t, title]) => el("div", { class: cls, title: title ?? "" }, t)));
    }
    const mw = mv.clientWidth;
    if (g.optHistory !== last.hist || mw !== last.mw) {
      last.hist = g.optHistory;
      last.mw = mw;
      drawMoments(g.optHistory);
    }
  }

  return { update };
}
