// Compute, time, energy and cost: training tokens against the Chinchilla point (20 tokens per
// parameter), model FLOPs = 6·N·D plus the attention term, the FLOPs recomputation adds, time on the
// GPUs at the utilization you set (as MFU or as HFU; the engine gives the other), GPU-hours, days,
// energy with PUE, and cost at a $/GPU-hour you set. The engine's words for the conventions are shown.

import { NumberField, SelectField } from "./controls.js";
import { FigureList } from "./figures.js";
import { fmtDays, fmtPercent, fmtTokens, fmtUsd, sig } from "./units.js";
import { ATTENTION_FLOPS, CHOICES, UTILIZATIONS } from "./where.js";

/** "MFU 36.1% · HFU 48.1% (HFU given)": both utilizations the engine resolved, and which was set. */
export function utilizationText(hw) {
  if (typeof hw?.mfu !== "number" || typeof hw?.hfu !== "number") return "";
  return `MFU ${fmtPercent(hw.mfu)} · HFU ${fmtPercent(hw.hfu)} (${String(hw.utilization_given ?? "").toUpperCase()} given)`;
}

/**
 * Where the training tokens and the Chinchilla point sit on a log axis (0..1) that holds both with
 * a decade to spare on each side, and how many times Chinchilla's count the run uses.
 */
export function tokenAxis(tokens, chinchilla) {
  if (!(tokens > 0) || !(chinchilla > 0)) return null;
  const lo = Math.floor(Math.log10(Math.min(tokens, chinchilla))) - 1;
  const hi = Math.ceil(Math.log10(Math.max(tokens, chinchilla))) + 1;
  const at = (v) => (Math.log10(v) - lo) / (hi - lo);
  return { lo, hi, tokensAt: at(tokens), chinchillaAt: at(chinchilla), times: tokens / chinchilla };
}

export function ComputePanel(root, { onSetting }) {
  root.innerHTML = `<div class="panel-head"><span class="panel-title">Compute, time, energy, cost</span><span class="big-value" id="cmp-days"></span></div>
    <div class="panel-controls" id="cmp-controls"></div>
    <div class="token-axis" id="cmp-axis" aria-label="training tokens against the Chinchilla point">
      <div class="axis-line"></div><span class="mark chin"><i></i><b></b></span><span class="mark run"><i></i><b></b></span>
    </div>
    <p class="token-note" id="cmp-note"></p>
    <p class="util-line" id="cmp-util"></p>
    <div class="conventions" id="cmp-conventions"><p data-k="utilization"></p><p data-k="flops"></p><p data-k="attention"></p></div>
    <p class="placeholder" id="cmp-none" hidden>One training step of this model, below: it trains in seconds here, so there is no run to cost.</p>`;
  const box = root.querySelector("#cmp-controls");
  const c = {
    tokens: NumberField(box, { id: "tokens", label: "tokens D", min: 1, onChange: (v, ahead) => onSetting("training", "tokens", v, ahead), width: "calc(8ch + 26px)",
      show: (v) => (v >= 1e5 ? v.toExponential().replace("e+", "e") : String(v)),
      title: "training tokens (e.g. 1.5e13)" }),
    util: SelectField(box, { id: "util-kind", label: "utilization as", choices: UTILIZATIONS.map((u) => [u, CHOICES.utilization[u]]),
      onChange: (v) => { kind = v; onSetting("hardware", v, lastHw?.[v]); },
      title: "MFU counts the model's FLOPs only; HFU also counts what recomputation repeats (Megatron's and BLOOM's published TFLOP/s are HFU)" }),
    mfu: NumberField(box, { id: "mfu", label: "value", min: 0.001, max: 1, onChange: (v, ahead) => onSetting("hardware", kind, v, ahead), width: "calc(6ch + 26px)",
      show: (v) => String(Number(v.toPrecision(4))),
      title: "the utilization, 0–1, of the kind chosen beside it" }),
    attention: SelectField(box, { id: "attention-flops", label: "attention FLOPs", choices: ATTENTION_FLOPS.map((a) => [a, CHOICES.attention_flops[a]]),
      onChange: (v) => onSetting("training", "attention_flops", v) }),
    usd: NumberField(box, { id: "usd", label: "$/GPU-hour", min: 0, onChange: (v, ahead) => onSetting("hardware", "usd_per_gpu_hour", v, ahead), width: "calc(5ch + 26px)" }),
    pue: NumberField(box, { id: "pue", label: "PUE", min: 1, onChange: (v, ahead) => onSetting("hardware", "pue", v, ahead), width: "calc(3ch + 26px)",
      title: "power usage effectiveness: the data centre's total power ÷ the GPUs' power" }),
  };
  const figures = FigureList(root);
  const $ = (id) => root.querySelector(id);
  let last = "";
  let kind = "mfu"; // the utilization the box edits: the one the engine was given
  let lastHw = null;

  return {
    update({ reply, figs }) {
      c.tokens.set(reply?.training?.tokens ?? reply?.tokens);
      lastHw = reply?.hardware ?? null;
      if (lastHw?.utilization_given) kind = lastHw.utilization_given;
      c.util.set(kind);
      c.mfu.set(lastHw?.[kind]);
      c.attention.set(reply?.training?.attention_flops);
      $("#cmp-util").textContent = utilizationText(lastHw);
      $("#cmp-util").hidden = !$("#cmp-util").textContent;
      for (const p of root.querySelectorAll("#cmp-conventions p")) p.textContent = reply?.conventions?.[p.dataset.k] ?? "";
      $("#cmp-conventions").hidden = !reply?.conventions;
      c.usd.set(reply?.hardware?.usd_per_gpu_hour);
      c.pue.set(reply?.hardware?.pue);
      box.hidden = !reply?.hardware;
      $("#cmp-none").hidden = !reply || !!reply.hardware;
      const key = JSON.stringify([reply?.tokens, reply?.chinchilla_tokens, reply?.days, reply?.cost_usd]);
      if (key !== last) {
        last = key;
        const parts = [reply?.days != null ? fmtDays(reply.days) : null, reply?.cost_usd != null ? fmtUsd(reply.cost_usd) : null].filter(Boolean);
        $("#cmp-days").textContent = parts.join(" · ") || "—";
        const axis = tokenAxis(reply?.tokens, reply?.chinchilla_tokens);
        $("#cmp-axis").hidden = !axis;
        if (axis) {
          const chin = root.querySelector(".mark.chin");
          const run = root.querySelector(".mark.run");
          chin.style.left = `${axis.chinchillaAt * 100}%`;
          run.style.left = `${axis.tokensAt * 100}%`;
          chin.querySelector("b").textContent = `Chinchilla ${fmtTokens(reply.chinchilla_tokens)}`;
          run.querySelector("b").textContent = `this run ${fmtTokens(reply.tokens)}`;
          // Labels sit on opposite sides so two close marks do not print over each other.
          const runRight = axis.tokensAt >= axis.chinchillaAt;
          run.classList.toggle("below", true);
          chin.classList.toggle("flip", runRight ? axis.chinchillaAt > 0.5 : axis.chinchillaAt < 0.5);
          run.classList.toggle("flip", runRight ? axis.tokensAt > 0.5 : axis.tokensAt < 0.5);
          const per = reply?.params?.total > 0 ? ` (${sig(reply.chinchilla_tokens / reply.params.total)} tokens per parameter)` : "";
          $("#cmp-note").textContent = `${axis.times >= 1 ? `${sig(axis.times)}× ` : `${sig(1 / axis.times)}× fewer tokens than `}the compute-optimal point${per}: Chinchilla, arXiv 2203.15556.`;
        } else {
          $("#cmp-note").textContent = "";
        }
      }
      figures.update(figs.compute);
    },
  };
}
