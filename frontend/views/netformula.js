// The stage on display for a network, spelled out as for the neuron: which layer, its formula
// with the numbers of sample 1 filled in (the server's text), and one sentence of caption. With no
// stage on display: where training stands and which keys step through it.

import { fmt } from "../render/format.js";
import { moreBelow } from "../render/morebelow.js";
import { HEAD_HTML, headOf, showIdle, showStage } from "./formula.js";
import { sameAsLast } from "../render/dom.js";

function pct(v) {
  return typeof v === "number" && Number.isFinite(v) ? `${Math.round(v * 1000) / 10}%` : "—";
}

export function NetFormula(root) {
  root.classList.add("formula-panel", "netformula");
  root.innerHTML = `${HEAD_HTML}
    <div id="formula" class="formula" aria-live="polite"></div>
    <p class="caption"></p>`;
  const head = headOf(root);
  moreBelow(root); // presenter type can outgrow the panel: it scrolls, and says so
  const same = sameAsLast();

  function update(state) {
    const s = state.stage;
    const key = s ?? `${state.session?.id}|${state.step}|${state.loss}|${state.testLoss}|${JSON.stringify(state.accuracy)}`;
    if (same(key)) return;
    if (s) return showStage(head, state, s);
    const acc = state.accuracy ? `,  accuracy ${pct(state.accuracy.train)} (train) / ${pct(state.accuracy.test)} (test)` : "";
    showIdle(head, state, {
      formula: `loss ${fmt(state.loss, 3)} (train) / ${fmt(state.testLoss, 3)} (test)${acc}`,
      caption: "Press → (or N) to walk through one step layer by layer: forward to the loss, then the gradients back, " +
        "last layer first. S: one batch, A: one sample, E: one epoch, Space: play.",
    });
  }

  return { update };
}
