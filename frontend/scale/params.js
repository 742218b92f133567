// Parameters: the total (and, for a published model, its published count beside it), the parts as
// one bar (embeddings, attention, MLP, norms, output head), and each part's formula with the
// model's numbers in it.

import { el } from "../views/popover.js";
import { FigureList } from "./figures.js";
import { fmtParams, fmtRatio } from "./units.js";

export const PARTS = [
  ["embedding", "embeddings", "#64748b"],
  ["attention", "attention", "#1d4ed8"],
  ["mlp", "MLP", "#e66100"],
  ["norms", "norms", "#009e73"],
  ["head", "output head", "#9333ea"],
];

/** The parts' shares of the total, [key, label, colour, count, share], those with a count only. */
export function paramShares(params) {
  const total = params?.total;
  if (!(total > 0)) return [];
  return PARTS.filter(([k]) => typeof params[k] === "number").map(([k, label, color]) => [k, label, color, params[k], params[k] / total]);
}

export function ParamsPanel(root) {
  root.innerHTML = `<div class="panel-head"><span class="panel-title">Parameters</span><span class="big-value" id="params-total"></span></div>
    <div class="published-line" id="params-published"></div>
    <div class="share-bar" id="params-bar" aria-label="parameters by part"></div>
    <div class="share-legend" id="params-legend"></div>`;
  const figures = FigureList(root);
  const total = root.querySelector("#params-total");
  const pub = root.querySelector("#params-published");
  const bar = root.querySelector("#params-bar");
  const legend = root.querySelector("#params-legend");
  let last = "";

  return {
    update({ reply, figs, presets }) {
      const params = reply?.params;
      const preset = presets?.find((p) => p.name === reply?.preset);
      const published = reply?.published?.params ?? preset?.params_published ?? null;
      const ratio = reply?.published?.ratios?.params;
      const key = JSON.stringify([params, published, ratio]);
      if (key !== last) {
        last = key;
        total.textContent = params ? fmtParams(params.total) : "—";
        pub.hidden = published == null;
        pub.textContent = published == null ? "" : `published: ${fmtParams(published)}${typeof ratio === "number" ? ` · formula ÷ published = ${fmtRatio(ratio)}` : ""}`;
        const shares = paramShares(params);
        bar.replaceChildren(...shares.map(([k, label, color, , share]) => {
          const s = el("span", { class: "share", "data-part": k, title: `${label}: ${(share * 100).toFixed(1)}%` });
          s.style.width = `${share * 100}%`;
          s.style.background = color;
          return s;
        }));
        legend.replaceChildren(...shares.map(([k, label, color, count, share]) => {
          const item = el("span", { class: "legend-item" });
          const sw = el("i", { class: "swatch" });
          sw.style.background = color;
          item.append(sw, `${label} ${fmtParams(count)} (${share < 0.001 ? "<0.1" : (share * 100).toFixed(1)}%)`);
          return item;
        }));
      }
      figures.update(figs.params);
    },
  };
}
