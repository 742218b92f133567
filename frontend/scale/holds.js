// Who holds what under the calculator's split (the engine's `holds`: blocks × ranks, the share of each
// block's weights, gradients and optimizer state a rank keeps), drawn as a live split run draws its
// own (render/holds.js), and "Run it here": the Transformer page's small model trained live with the
// same dp/tp/pp/ZeRO (the engine's `live_run`), refused in words beside the button when the engine
// refuses that split for it or when this server allows fewer worker processes (--max-workers).

import { locationSearch } from "../config.js";
import { drawHolds, holdsLegend } from "../render/holds.js";
import { el } from "../render/dom.js";

/** A rank's row label: "w5 · dp0 · pp1 · tp1" (the dimensions the split has). */
export function holdsRowLabel(r, parallel) {
  const dims = ["dp", "pp", "tp"].filter((d) => (parallel?.[d] ?? 1) > 1);
  return [`w${r.rank}`, ...dims.map((d) => `${d}${r.coords[d]}`)].join(" · ");
}

/** {href, refused}: where "Run it here" goes and, when it can't, why in plain words. */
export function runHere(live, maxWorkers) {
  if (!live) return { href: null, refused: "Only a transformer can be split across workers." };
  if (live.workers < 2) return { href: null, refused: "One worker: nothing to split. Set data, tensor or pipeline × above 1." };
  if (live.refused) return { href: null, refused: `The Transformer page's model can't run this split: ${live.refused}.` };
  if (typeof maxWorkers === "number" && live.workers > maxWorkers) {
    return { href: null, refused: `This split needs ${live.workers} worker processes; this server allows ${maxWorkers} (its --max-workers).` };
  }
  return { href: `/${locationSearch("transformer", { ...live.config, workers: live.workers, parallel: live.parallel })}`, refused: null };
}

export function HoldsBlock(root, { maxWorkers }) {
  const box = el("div", "par-holds");
  box.innerHTML = `<div class="par-holds-head">Who holds what</div><table class="par-holds-grid"></table>
    <p class="par-run"><a class="btn par-run-btn" id="par-run"></a><span class="par-run-why" id="par-run-why" role="note"></span></p>`;
  box.querySelector(".par-holds-grid").after(holdsLegend());
  root.appendChild(box);
  const link = box.querySelector("#par-run");
  const why = box.querySelector("#par-run-why");
  link.textContent = "Run it here →";
  let last = "";
  let most = null;
  maxWorkers.then((n) => {
    most = n;
    last = "";
  }).catch(() => {});

  return {
    update(reply) {
      const key = JSON.stringify([reply?.holds, reply?.parallel, reply?.live_run, most]);
      if (key === last) return;
      last = key;
      const h = reply?.holds;
      box.hidden = !h;
      if (!h) return;
      drawHolds(box.querySelector(".par-holds-grid"), {
        blocks: h.blocks, rows: h.ranks.map((r) => ({ label: holdsRowLabel(r, reply.parallel), cells: r.cells })),
      }, h.note);
      const { href, refused } = runHere(reply.live_run, most);
      link.hidden = !href;
      if (href) {
        link.href = href;
        link.title = `the Transformer page's ${reply.live_run.config.n_layer}-block model on ${reply.live_run.workers} worker processes, split the same way: measured per-rank memory beside this calculator's`;
      }
      why.textContent = refused ?? `${reply.live_run.workers} worker processes on this machine, the Transformer page's small model: its measured per-rank memory beside the formula.`;
      box.dataset.runnable = String(!!href);
    },
  };
}
