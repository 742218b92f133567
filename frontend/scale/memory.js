// Memory per GPU: weights, gradients, optimizer state and activations as one stacked bar against
// the chosen GPU's memory, "fits" or "needs at least N GPUs" (the engine's verdict), the byte
// convention named (other calculators silently use 10 or 4 bytes per parameter), and the controls
// that move it: GPU kind, precision, optimizer, recomputation, micro-batch.

import { el } from "../views/popover.js";
import { NumberField, SelectField } from "./controls.js";
import { FigureList } from "./figures.js";
import { fmtBytes, fmtCount, fmtGiB, sig } from "./units.js";
import { CHOICES, GPUS, OPTIMIZERS, PRECISIONS, RECOMPUTES } from "./where.js";

export const MEMORY_PARTS = [
  ["weights", "weights", "#1d4ed8"],
  ["gradients", "gradients", "#e66100"],
  ["optimizer", "optimizer state", "#9333ea"],
  ["activations", "activations", "#009e73"],
];
// the engine's words for each choice; a GPU is named without its maker ("H100 SXM 80 GB")
const GPU_TITLES = Object.fromEntries(Object.entries(CHOICES.gpu).map(([k, v]) => [k, v.replace(/^NVIDIA (GeForce )?/, "")]));
const PRECISION_TITLES = CHOICES.precision;
const OPTIMIZER_TITLES = CHOICES.optimizer;
const RECOMPUTE_TITLES = CHOICES.recompute;

/**
 * The stacked bar's geometry: each part's width as a fraction of the bar, and where the GPU's
 * memory falls on it. The bar spans the larger of the total and the GPU, so an overflow shows.
 */
export function memoryBar(mem, capacity) {
  const total = mem?.total;
  if (!(total >= 0)) return null;
  const span = Math.max(total, capacity > 0 ? capacity : 0) || 1;
  const parts = MEMORY_PARTS.filter(([k]) => typeof mem[k] === "number" && mem[k] > 0).map(([k, label, color]) => ({ key: k, label, color, bytes: mem[k], width: mem[k] / span }));
  return { parts, capacityAt: capacity > 0 ? capacity / span : null, over: capacity > 0 && total > capacity };
}

/** The verdict under the bar, from the engine's `fits` and `min_gpus`. */
export function verdict(reply) {
  const total = reply?.memory_per_gpu?.total;
  const cap = reply?.hardware?.memory_bytes;
  const gpu = reply?.hardware?.name ?? reply?.hardware?.gpu ?? "this GPU";
  if (typeof total !== "number" || typeof reply?.fits !== "boolean") return { cls: "", text: "" };
  if (reply.fits) return { cls: "fits", text: `fits: ${fmtBytes(total)} of ${fmtBytes(cap)} on each ${gpu}` };
  const n = reply.min_gpus;
  const now = reply?.hardware?.n_gpus;
  // the engine's advice: what blocks this setting and the smallest setting that fits
  const need = typeof n === "number" ? `needs at least ${fmtCount(n)} GPUs` : reply.advice?.summary ?? "";
  return { cls: "over", text: `does not fit: ${fmtBytes(total)} per GPU > ${fmtBytes(cap)} — ${need}${typeof now === "number" ? ` (now ${fmtCount(now)})` : ""}` };
}

/** The byte convention as a sentence: "2 + 2 + 12 = 16 bytes per parameter (…)". */
export function conventionText(bpp) {
  if (!bpp) return "";
  const parts = ["weights", "gradients", "optimizer"].map((k) => bpp[k]);
  const sum = parts.every((v) => typeof v === "number") ? parts.reduce((a, b) => a + b, 0) : null;
  const head = sum === null ? "" : `${parts.map((v) => sig(v)).join(" + ")} = ${sig(sum)} bytes per parameter (weights + gradients + optimizer)`;
  return [head, bpp.convention].filter(Boolean).join(". ");
}

export function MemoryPanel(root, { onSetting }) {
  root.innerHTML = `<div class="panel-head"><span class="panel-title">Memory per GPU</span><span class="big-value" id="mem-total"></span></div>
    <div class="panel-controls" id="mem-controls"></div>
    <p class="convention" id="mem-convention"></p>
    <p class="convention units" id="mem-units"></p>
    <div class="mem-bar" id="mem-bar" aria-label="memory per GPU against the GPU's memory"><div class="mem-fill"></div><div class="mem-cap"><span></span></div></div>
    <div class="share-legend" id="mem-legend"></div>
    <p class="verdict" id="mem-verdict" role="status"></p>`;
  const box = root.querySelector("#mem-controls");
  const c = {
    gpu: SelectField(box, { id: "gpu", label: "GPU", choices: GPUS.map((g) => [g, GPU_TITLES[g] ?? g]), onChange: (v) => onSetting("hardware", "gpu", v) }),
    precision: SelectField(box, { id: "precision", label: "precision", choices: PRECISIONS.map((p) => [p, PRECISION_TITLES[p]]), onChange: (v) => onSetting("training", "precision", v) }),
    optimizer: SelectField(box, { id: "optimizer", label: "optimizer", choices: OPTIMIZERS.map((o) => [o, OPTIMIZER_TITLES[o]]), onChange: (v) => onSetting("training", "optimizer", v) }),
    recompute: SelectField(box, { id: "recompute", label: "recompute", choices: RECOMPUTES.map((r) => [r, RECOMPUTE_TITLES[r]]), onChange: (v) => onSetting("training", "recompute", v),
      title: "activation recomputation (Korthikanti et al. 2022): none, selective (attention only), full (every layer)" }),
    micro_batch: NumberField(box, { id: "micro-batch", label: "micro-batch", min: 1, step: 1, integer: true, onChange: (v, ahead) => onSetting("training", "micro_batch", v, ahead), width: "calc(4ch + 26px)" }),
  };
  const figures = FigureList(root);
  const $ = (id) => root.querySelector(id);
  let last = "";

  return {
    update({ reply, figs }) {
      // A setting the model has no use for (a neuron has no GPU, no recomputation) is not offered.
      const values = { gpu: reply?.hardware?.gpu, precision: reply?.training?.precision, optimizer: reply?.training?.optimizer,
        recompute: reply?.training?.recompute, micro_batch: reply?.training?.micro_batch };
      for (const [k, v] of Object.entries(values)) {
        c[k].wrap.hidden = v === undefined || v === null;
        c[k].set(v);
      }
      const mem = reply?.memory_per_gpu;
      const cap = reply?.hardware?.memory_bytes;
      const key = JSON.stringify([mem, cap, reply?.fits, reply?.min_gpus, reply?.hardware?.name, reply?.hardware?.n_gpus, reply?.bytes_per_param, reply?.advice, reply?.conventions?.bytes]);
      if (key !== last) {
        last = key;
        $("#mem-total").textContent = mem ? `${fmtBytes(mem.total)} (${fmtGiB(mem.total)})` : "—";
        $("#mem-units").textContent = reply?.conventions?.bytes ?? "";
        $("#mem-units").hidden = !reply?.conventions?.bytes;
        $("#mem-convention").textContent = conventionText(reply?.bytes_per_param);
        const bar = memoryBar(mem, cap);
        const fill = root.querySelector(".mem-fill");
        fill.replaceChildren(...(bar?.parts ?? []).map((p) => {
          const s = el("span", { class: "share", "data-part": p.key, title: `${p.label}: ${fmtBytes(p.bytes)}` });
          s.style.width = `${p.width * 100}%`;
          s.style.background = p.color;
          return s;
        }));
        const capEl = root.querySelector(".mem-cap");
        capEl.hidden = bar?.capacityAt == null;
        if (bar?.capacityAt != null) {
          capEl.style.left = `${bar.capacityAt * 100}%`;
          capEl.querySelector("span").textContent = `${fmtBytes(cap)} GPU`;
          capEl.classList.toggle("left-label", bar.capacityAt > 0.6);
        }
        $("#mem-bar").classList.toggle("over", !!bar?.over);
        $("#mem-legend").replaceChildren(...(bar?.parts ?? []).map((p) => {
          const item = el("span", { class: "legend-item", "data-part": p.key });
          const sw = el("i", { class: "swatch" });
          sw.style.background = p.color;
          item.append(sw, `${p.label} ${fmtBytes(p.bytes)}`);
          return item;
        }));
        const v = verdict(reply);
        const ve = $("#mem-verdict");
        ve.textContent = v.text;
        ve.className = `verdict ${v.cls}`;
      }
      figures.update(figs.memory);
    },
  };
}
