// One figure as the page shows it: its title, its value in its unit and, beside it, the formula
// with the engine's numbers filled in (and its source). The reply's `figures` list is in page
// order; each panel takes the ones whose key starts with its own prefix. The grouping is pure
// (tested under node); FigureList draws a group and updates it in place.

import { el } from "../views/popover.js";
import { fmtUnit } from "./units.js";
import { sameAsLast } from "../render/dom.js";

// Key prefix → the panel that shows it. Anything new the engine adds lands in "compute" rather
// than nowhere.
const PANEL_OF = {
  params: "params",
  memory: "memory",
  activations: "memory",
  min_gpus: "memory",
  parallel: "parallel",
  comm: "parallel",
  compute: "compute",
  tokens: "compute",
  flops: "compute",
  time: "compute",
  energy: "compute",
  cost: "compute",
};
export const PANELS = ["params", "memory", "parallel", "compute"];

export const panelOf = (key) => PANEL_OF[String(key ?? "").split(".")[0]] ?? "compute";

/** The reply's figures split by panel, each list in the reply's order. */
export function groupFigures(figures) {
  const out = Object.fromEntries(PANELS.map((p) => [p, []]));
  for (const f of Array.isArray(figures) ? figures : []) {
    if (f && typeof f.key === "string") out[panelOf(f.key)].push(f);
  }
  return out;
}

/** Figures drawn as rows in `root`; `update(figs)` keeps rows by key, so only changed text moves. */
export function FigureList(root, { skip = () => false } = {}) {
  const list = el("div", { class: "fig-list" });
  root.appendChild(list);
  const rows = new Map();
  const same = sameAsLast();
  let lastOrder = null;

  function row(f) {
    let r = rows.get(f.key);
    if (!r) {
      r = el("div", { class: "fig", "data-key": f.key });
      r.innerHTML = `<div class="fig-head"><span class="fig-title"></span><b class="fig-value"></b></div>
        <div class="fig-formula"></div><div class="fig-source"></div>`;
      rows.set(f.key, r);
    }
    const value = fmtUnit(f.value, f.unit);
    set(r.querySelector(".fig-title"), f.title ?? f.key);
    set(r.querySelector(".fig-value"), value);
    set(r.querySelector(".fig-formula"), f.formula ?? "");
    const src = r.querySelector(".fig-source");
    set(src, f.source ? `source: ${f.source}` : "");
    src.hidden = !f.source;
    r.classList.toggle("absent", f.value === null || f.value === undefined);
    return r;
  }

  return {
    update(figs) {
      const shown = (figs ?? []).filter((f) => !skip(f));
      const key = JSON.stringify(shown.map((f) => [f.key, f.value, f.formula, f.source, f.title]));
      if (same(key)) return;
      const drawn = shown.map(row); // each row's changed text set in place
      // Rows are put back only when the list itself changed: moving every row on each reply would
      // lay the whole panel out again in the frame that paints the answer.
      const order = drawn.map((r) => r.dataset.key).join("\n");
      if (order !== lastOrder) {
        lastOrder = order;
        list.replaceChildren(...drawn);
      }
    },
  };
}

function set(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
