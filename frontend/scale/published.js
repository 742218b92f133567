// Published against formula: for a model with a published training run (GPT-3, Llama-2-70B,
// Llama-3.1-405B, BLOOM-176B) the paper's tokens, FLOPs, GPU-hours, GPUs and MFU beside the
// formula's, with the ratio the engine computed and the source named. For the 120B rung, the claims
// ("thousands of GPUs", "months", "$10–100M", "megawatts") checked against the page's own figures.

import { el } from "../views/popover.js";
import { fmtCount, fmtDays, fmtFlops, fmtHours, fmtParams, fmtPercent, fmtRatio, fmtTokens } from "./units.js";
import { sameAsLast } from "../render/dom.js";

// [ratio key, label, the formula's value in the reply, format, the published figure it is set against]
const ROWS = [
  ["params", "parameters", (r) => r.params?.total, fmtParams, "params"],
  ["tokens", "training tokens", (r) => r.tokens, fmtTokens, "tokens"],
  ["flops", "training FLOPs", (r) => r.flops, fmtFlops, "flops"],
  ["flops_dense", "… 6·N·D alone", (r) => r.flops_dense, fmtFlops, "flops"],
  ["gpu_hours", "GPU-hours", (r) => r.gpu_hours, fmtHours, "gpu_hours"],
  ["days", "days", (r) => r.days, fmtDays, "days"],
  ["n_gpus", "GPUs", (r) => r.hardware?.n_gpus, fmtCount, "n_gpus"],
  ["mfu", "MFU", (r) => r.hardware?.mfu, fmtPercent, "mfu"],
  ["hfu", "HFU", (r) => r.hardware?.hfu, fmtPercent, "hfu"],
];

/** The comparison rows a reply has: [key, label, formula text, published text, ratio text]. */
export function publishedRows(reply) {
  const pub = reply?.published;
  if (!pub) return [];
  return ROWS.filter(([k, , , , pk]) => pub[pk] !== undefined && pub[pk] !== null && (k === pk || pub.ratios?.[k] !== undefined)).map(([k, label, ours, f, pk]) => [
    k, label, f(ours(reply)), f(pub[pk]), fmtRatio(pub.ratios?.[k]),
  ]);
}

/** The line under the table: the utilizations the published GPU-hours imply under this page's FLOP count. */
export function impliedText(pub) {
  if (typeof pub?.implied_mfu !== "number") return "";
  const hfu = typeof pub.implied_hfu === "number" ? ` (HFU ${fmtPercent(pub.implied_hfu)} with this recomputation)` : "";
  return `The published GPU-hours imply an MFU of ${fmtPercent(pub.implied_mfu)}${hfu} under this page's FLOP count: entered above, it gives the published GPU-hours.`;
}

/** Each run setting, its value and where it comes from: [setting, value text, source, assumed?]. */
export function sourceRows(reply) {
  const rows = Array.isArray(reply?.sources) ? reply.sources : [];
  const text = (v) => (typeof v === "boolean" ? (v ? "on" : "off") : typeof v === "number" && Math.abs(v) >= 1e5 ? v.toExponential().replace("e+", "e") : String(v));
  return rows.map((r) => [r.setting, text(r.value), r.source, r.source === "assumed"]);
}

export function PublishedPanel(root) {
  root.innerHTML = `<div class="panel-head"><span class="panel-title">Published vs formula</span></div>
    <p class="placeholder" id="pub-none"></p>
    <table class="pub-table" id="pub-table"><thead><tr><th></th><th>formula</th><th>published</th><th>ratio</th></tr></thead><tbody></tbody></table>
    <p class="convention" id="pub-implied"></p>
    <p class="fig-source" id="pub-source"></p>
    <p class="fig-source" id="pub-run"></p>
    <p class="convention" id="pub-util"></p>
    <details class="sources" id="pub-sources" open><summary>Where each setting comes from</summary><table class="src-table"><tbody></tbody></table></details>
    <div class="claims" id="claims"><div class="claims-title">The claims, checked against this page's figures</div><ul></ul></div>`;
  const $ = (id) => root.querySelector(id);
  const same = sameAsLast();

  return {
    update({ reply }) {
      const key = JSON.stringify([reply?.published, reply?.claims, reply?.preset, reply?.flops, reply?.flops_dense, reply?.gpu_hours, reply?.hardware?.n_gpus, reply?.hardware?.mfu, reply?.hardware?.hfu, reply?.days, reply?.run_source, reply?.sources]);
      if (same(key)) return;
      const rows = publishedRows(reply);
      const claims = Array.isArray(reply?.claims) ? reply.claims : [];
      $("#pub-table").hidden = rows.length === 0;
      $("#pub-none").hidden = rows.length > 0 || claims.length > 0;
      $("#pub-none").textContent = reply ? "No published training run for this model: the figures above are the formula's alone." : "";
      $("#pub-table tbody").replaceChildren(...rows.map(([k, label, ours, pub, ratio]) => {
        const tr = el("tr", { "data-key": k });
        for (const [i, t] of [label, ours, pub, ratio].entries()) tr.appendChild(el(i === 0 ? "th" : "td", {}, t));
        return tr;
      }));
      $("#pub-source").textContent = reply?.published?.source ? `source: ${reply.published.source}` : "";
      $("#pub-source").hidden = !reply?.published?.source;
      $("#pub-implied").textContent = impliedText(reply?.published);
      $("#pub-implied").hidden = !$("#pub-implied").textContent;
      // What the page assumed where the paper is silent (GPT-3's GPU count, say).
      $("#pub-run").textContent = rows.length && reply?.run_source ? `the run: ${reply.run_source}` : "";
      $("#pub-run").hidden = !$("#pub-run").textContent;
      $("#pub-util").textContent = reply?.published?.utilization ? `published utilization: ${reply.published.utilization}` : "";
      $("#pub-util").hidden = !$("#pub-util").textContent;
      const src = sourceRows(reply);
      $("#pub-sources").hidden = src.length === 0;
      $("#pub-sources tbody").replaceChildren(...src.map(([setting, value, source, assumed]) => {
        const tr = el("tr", { class: assumed ? "assumed" : "" });
        tr.append(el("th", {}, setting), el("td", {}, value), el("td", {}, source));
        return tr;
      }));
      $("#claims").hidden = claims.length === 0;
      $("#claims ul").replaceChildren(...claims.map((c) => {
        const li = el("li", { class: c.holds ? "holds" : "fails" });
        li.append(el("b", { class: "claim-mark" }, c.holds ? "✓" : "✗"), el("span", { class: "claim-text" }, `“${c.claim}”`), el("span", { class: "claim-figure" }, c.figure ?? ""));
        return li;
      }));
    },
  };
}
