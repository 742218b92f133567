// Loss across both phases. Thin: each step's batch loss (on whatever the model trains on now).
// Solid: the held-out text (A), evaluated every ~100 steps. Dashed: the held-out task (B), from the
// first switch on. A dashed line marks each switch, so forgetting shows: after "fine-tune", B falls
// while A climbs. The button switches phase (the owner's); a dotted line is uniform guessing, ln V.
// A data-parallel run that lost a worker: the lost steps shaded red, their losses dotted; with
// `compare`, the same run in one process dashed over the batch loss (they coincide).

import { clipTo, frame, hmark, plotFrame, prepare, scale, ticks, trace, vmark } from "../render/canvas.js";
import { INK, LOSS_LINE, TEST_LINE } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { evalSeries } from "./gptstate.js";
import { lostSpans } from "./ddp.js";
import { onPress } from "../render/dom.js";

const BATCH_LINE = "#a5b4fc";
const SWITCH = "#047857";
const LOST_FILL = "rgba(220, 38, 38, 0.10)";
const LOST_LINE = "#b91c1c";
const ONE_LINE = "#111827"; // the one-process run's batch loss, dashed over the workers' mean

export function GptLossChart(root, { switchPhase, canEdit }) {
  root.classList.add("gpt-loss");
  root.innerHTML = `
    <div class="panel-head">
      <span class="panel-title">Loss</span>
      <button type="button" class="gl-phase" id="gpt-phase"></button>
    </div>
    <div class="gl-legend">
      <span class="lg"><span class="gl-key batch"></span>batch</span>
      <span class="lg" title="the loss on text the model never trains on"><span class="gl-key a"></span>held-out text A</span>
      <span class="lg gl-one" hidden title="the same run (seed, batches) in one process: it coincides with the workers' mean"><span class="gl-key one"></span>1 worker</span>
      <span class="lg gl-b" hidden title="the loss on task lines the model never trains on"><span class="gl-key b"></span>task B</span>
    </div>
    <canvas aria-label="loss by step, both phases"></canvas>`;
  const canvas = root.querySelector("canvas");
  const button = root.querySelector(".gl-phase");
  const bKey = root.querySelector(".gl-b");
  const oneKey = root.querySelector(".gl-one");
  let last = {};
  let latest = null;

  onPress(button, () => {
    if (!latest || !canEdit()) return;
    switchPhase(latest.gpt.phase === "finetune" ? "pretrain" : "finetune");
  });

  function update(state) {
    latest = state;
    const g = state.gpt;
    if (!g) return;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const fine = g.phase === "finetune";
    // An action, not a phase: the button says what pressing it does.
    const label = fine ? "Switch back to pre-training" : "Switch to fine-tuning";
    if (button.textContent !== label) button.textContent = label;
    button.classList.toggle("fine", fine);
    button.disabled = !canEdit() || !state.dataset;
    button.title = fine
      ? "Go back to the text (A): the same weights continue on it"
      : `Continue training the same weights on the task (B: ${state.dataset?.finetune_task ?? "add"}), with its own smaller learning rate`;
    const key = [g.losses, g.oneWorker, g.evals, g.switches, w, h, state.step, state.dataset?.vocab?.length, g.info?.ddp?.lost?.length];
    if (last.key && key.every((v, i) => v === last.key[i])) return;
    last.key = key;
    draw(state, g, w, h);
  }

  function draw(state, g, w, h) {
    const { ctx, w: cw, h: ch } = prepare(canvas);
    const firstSwitch = g.switches.find((s) => s.to === "finetune")?.step ?? null;
    bKey.hidden = firstSwitch === null;
    const a = evalSeries(g.evals, "val");
    const b = firstSwitch === null ? [] : evalSeries(g.evals, "task_val", firstSwitch);
    const V = state.dataset?.vocab?.length ?? 0;
    const uniform = V > 1 ? Math.log(V) : null;
    root.dataset.points = String(g.losses.steps.length);
    root.dataset.switches = String(g.switches.length);
    const newest = Math.max(state.step, g.losses.steps[g.losses.steps.length - 1] ?? 0, 10);
    let top = uniform ?? 1;
    for (const v of [...g.losses.values, ...a.map((p) => p.value), ...b.map((p) => p.value)]) if (isNum(v) && v > top) top = v;
    top = Math.min(top * 1.05, (uniform ?? top) * 2.5);
    const box = plotFrame(ctx, cw, ch, [0, top], { right: 12 });
    box.h = ch - box.y - 22; // the step numbers under the frame; the panel title says what x is
    const sx = scale(0, newest * 1.02, box.x, box.x + box.w);
    const sy = scale(0, top, box.y + box.h, box.y);
    const yt = ticks(0, top, Math.max(2, Math.floor(box.h / 45)));
    frame(ctx, box, sx, sy, ticks(0, newest, Math.max(2, Math.floor(box.w / 90))), yt, (t) => fmt(t, 3), (t) => fmt(t, 3));
    clipTo(ctx, box);
    if (uniform !== null) hmark(ctx, sy(uniform), box, `guessing: ln ${V} = ${fmt(uniform, 3)}`, { dash: [2, 4], width: 1.5 });
    // data parallel: the steps a lost worker took with it, shaded, with their losses dotted
    const spans = lostSpans(g.info);
    root.dataset.lostSpans = String(spans.length);
    for (const s of spans) {
      ctx.fillStyle = LOST_FILL;
      ctx.fillRect(sx(s.from), box.y, Math.max(2, sx(s.to) - sx(s.from)), box.h);
    }
    const lost = g.lostLosses ?? { steps: [], values: [] };
    ctx.strokeStyle = LOST_LINE;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([2, 3]);
    trace(ctx, lost.steps, lost.values, sx, sy);
    ctx.setLineDash([]);
    ctx.lineJoin = "round";
    ctx.strokeStyle = BATCH_LINE;
    ctx.lineWidth = 1.5;
    trace(ctx, g.losses.steps, g.losses.values, sx, sy);
    const one = g.oneWorker ?? { steps: [], values: [] };
    oneKey.hidden = !one.steps.length;
    root.dataset.onePoints = String(one.steps.length);
    ctx.strokeStyle = ONE_LINE;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 4]);
    trace(ctx, one.steps, one.values, sx, sy);
    ctx.setLineDash([]);
    ctx.strokeStyle = LOSS_LINE;
    ctx.lineWidth = 3;
    trace(ctx, a.map((p) => p.step), a.map((p) => p.value), sx, sy);
    ctx.strokeStyle = TEST_LINE;
    ctx.setLineDash([8, 5]);
    trace(ctx, b.map((p) => p.step), b.map((p) => p.value), sx, sy);
    ctx.setLineDash([]);
    for (const [pts, color] of [[a, LOSS_LINE], [b, TEST_LINE]]) {
      ctx.fillStyle = color;
      for (const p of pts) {
        ctx.beginPath();
        ctx.arc(sx(p.step), sy(p.value), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.restore();
    for (const s of spans) vmark(ctx, sx(s.from), box, `worker ${s.ranks.join(", ")} lost ▸`, LOST_LINE, [3, 3], "bottom"); // the top has the guess's label
    for (const s of g.switches) vmark(ctx, sx(s.step), box, s.to === "finetune" ? "fine-tune ▸" : "pre-train ▸", SWITCH, [6, 4], "bottom");
    const lastA = a[a.length - 1];
    if (!g.losses.steps.length) {
      ctx.fillStyle = INK;
      const hint = "press Space to train";
      ctx.font = "16px system-ui, sans-serif"; // smaller where the plot is narrower than the words
      ctx.font = `${Math.max(10, Math.floor(16 * Math.min(1, (box.w - 8) / ctx.measureText(hint).width)))}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(hint, box.x + box.w / 2, box.y + box.h * 0.6);
    } else if (lastA) {
      root.dataset.valA = String(lastA.value);
    }
  }

  return { update };
}
