// Who holds what: blocks (columns) × ranks (rows); in each cell three bars, the share of that block's
// weights (W), gradients (G) and optimizer state (O) the rank keeps, filled to the engine's number.
// Drawn the same for a live split run (state.gpt.parallel.holds) and for the Scale page's settings
// (the calculator's `holds`). A share the engine sends as null (no optimizer state) draws no bar.

import { el } from "./dom.js";

const KINDS = [["params", "W", "weights"], ["grads", "G", "gradients"], ["optimizer", "O", "optimizer state"]];

function pct(v) {
  return `${Math.round(100 * v)} %`;
}

/** `grid`: {blocks: [names], rows: [{label, cells: [{params, grads, optimizer}]}]}; `note`: a line under it. */
export function drawHolds(table, grid, note = "") {
  table.classList.add("holds");
  table.replaceChildren();
  if (!grid) return;
  const head = el("tr", {}, el("th"), ...grid.blocks.map((b) => el("th", { scope: "col" }, b)));
  const body = el("tbody");
  for (const row of grid.rows) {
    const tr = el("tr", {}, el("th", { scope: "row" }, row.label));
    row.cells.forEach((c, i) => {
      const words = [];
      const bars = KINDS.map(([key, tag, name]) => {
        const v = c?.[key];
        if (typeof v !== "number") return el("span", { class: `hd-bar hd-${key} none`, "data-tag": tag });
        words.push(`${pct(v)} of its ${name}`);
        return el("span", { class: `hd-bar hd-${key}`, "data-tag": tag, "data-share": v },
          el("i", { style: `width: ${Math.max(0, Math.min(1, v)) * 100}%` }));
      });
      const empty = c && c.params === 0 && !c.grads && !c.optimizer;
      tr.append(el("td", { class: empty ? "empty" : "", title: `${row.label} holds ${words.join(", ")} of ${grid.blocks[i]}` }, ...bars));
    });
    body.append(tr);
  }
  table.append(el("caption", {}, note), el("thead", {}, head), body);
}

/** The legend: what W, G and O are. */
export function holdsLegend() {
  return el("p", { class: "hd-legend" }, ...KINDS.map(([key, tag, name]) => el("span", { class: `hd-key hd-${key}` }, `${tag} ${name}`)));
}
