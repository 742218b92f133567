// Parallelism: data parallel degree with its ZeRO stage, tensor and pipeline parallel degrees, and
// the interconnect; what each one divides (tensor parallelism shrinks weights, gradients and
// optimizer state too, not only activations) and what it costs in bytes sent per step.

import { CheckField, NumberField, SelectField } from "./controls.js";
import { FigureList } from "./figures.js";
import { HoldsBlock } from "./holds.js";
import { fetchHealth } from "../api.js";
import { fmtCount } from "./units.js";
import { CHOICES, ZERO_STAGES } from "./where.js";
import { el } from "../render/dom.js";

const ZERO_TITLES = CHOICES.zero; // the engine's words for each stage

/** What the layout divides, in words, for the stage and degrees on screen. */
export function dividesText(parallel) {
  if (!parallel) return [];
  const { dp, tp, pp, zero } = parallel;
  const zeroSplits = ["nothing: each holds every model state", "the optimizer state", "the optimizer state and gradients", "the optimizer state, gradients and weights"][zero] ?? "";
  return [
    `data parallel ×${dp}: each GPU a different slice of the batch; ZeRO stage ${zero} splits ${zeroSplits} over the ${dp}.`,
    `tensor parallel ×${tp}: each layer's matrices cut in ${tp}; weights, gradients, optimizer state and most activations ÷ ${tp}.`,
    `pipeline parallel ×${pp}: each GPU keeps ${pp === 1 ? "every layer" : `1/${pp} of the layers`}; model states ÷ ${pp}.`,
  ];
}

export function ParallelPanel(root, { onParallel, onSetting }) {
  root.innerHTML = `<div class="panel-head"><span class="panel-title">Parallelism</span><span class="big-value" id="par-gpus"></span></div>
    <div class="panel-controls" id="par-controls"></div>
    <p class="placeholder" id="par-none" hidden>A model this small trains on one processor: nothing to split, nothing to send.</p>
    <ul class="divides" id="par-divides"></ul>
    <p class="par-live"><a id="par-live" href="/?model=transformer&amp;workers=2">Watch a real all-reduce →</a>
      the Transformer page's GPT trained by 2 worker processes (torch.distributed): each step's bytes sent
      and all-reduce time, measured, beside this formula's 2(N−1)/N.</p>`;
  const box = root.querySelector("#par-controls");
  const c = {
    dp: NumberField(box, { id: "dp", label: "data ×", min: 1, step: 1, integer: true, onChange: (v, ahead) => onParallel("dp", v, ahead), width: "calc(6ch + 26px)" }),
    zero: SelectField(box, { id: "zero", label: "ZeRO stage", numeric: true, choices: ZERO_STAGES.map((z) => [z, ZERO_TITLES[z]]), onChange: (v) => onParallel("zero", v) }),
    tp: NumberField(box, { id: "tp", label: "tensor ×", min: 1, step: 1, integer: true, onChange: (v, ahead) => onParallel("tp", v, ahead), width: "calc(4ch + 26px)" }),
    pp: NumberField(box, { id: "pp", label: "pipeline ×", min: 1, step: 1, integer: true, onChange: (v, ahead) => onParallel("pp", v, ahead), width: "calc(4ch + 26px)" }),
    sp: CheckField(box, { id: "sp", label: "sequence parallel", onChange: (v) => onParallel("sp", v),
      title: "sequence parallelism beside tensor parallelism: the activations tp leaves whole are split too (Korthikanti et al. 2022)" }),
    gbps: NumberField(box, { id: "gbps", label: "link Gb/s", min: 0.001, onChange: (v, ahead) => onSetting("hardware", "interconnect_gbps", v, ahead), width: "calc(4ch + 26px)",
      title: "interconnect bandwidth per GPU, gigabits per second" }),
  };
  const figures = FigureList(root);
  const holds = HoldsBlock(root, { maxWorkers: fetchHealth().then((h) => h.max_workers) });
  const gpus = root.querySelector("#par-gpus");
  const divides = root.querySelector("#par-divides");
  let last = "";

  return {
    update({ reply, figs }) {
      const p = reply?.parallel;
      for (const k of ["dp", "tp", "pp", "zero", "sp"]) c[k].set(p?.[k]);
      c.gbps.set(reply?.hardware?.interconnect_gbps);
      box.hidden = !p;
      root.querySelector("#par-none").hidden = !reply || !!p;
      const n = reply?.hardware?.n_gpus;
      const key = JSON.stringify([p, n]);
      if (key !== last) {
        last = key;
        gpus.textContent = typeof n === "number" ? `${fmtCount(n)} GPU${n === 1 ? "" : "s"}` : "—";
        divides.replaceChildren(...dividesText(p).map((t) => el("li", {}, t)));
      }
      figures.update(figs.parallel);
      holds.update(reply);
    },
  };
}
