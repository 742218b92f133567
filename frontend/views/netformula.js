// The stage on display for a network, spelled out as for the neuron: which layer, its formula
// with the numbers of sample 1 filled in (the server's text), and one sentence of caption. With no
// stage on display: where training stands and which keys step through it.

import { fmt } from "../render/format.js";
import { moreBelow } from "../render/morebelow.js";
import { planEntry } from "../state.js";
import { restHeading, stageHeading } from "./formula.js";

function pct(v) {
  return typeof v === "number" && Number.isFinite(v) ? `${Math.round(v * 1000) / 10}%` : "—";
}

export function NetFormula(root) {
  root.classList.add("formula-panel", "netformula");
  root.innerHTML = `
    <div class="panel-head"><span class="stage-name"></span><span class="direction"></span></div>
    <div id="formula" class="formula" aria-live="polite"></div>
    <p class="caption"></p>`;
  const nameEl = root.querySelector(".stage-name");
  const dirEl = root.querySelector(".direction");
  const formulaEl = root.querySelector("#formula");
  const captionEl = root.querySelector(".caption");
  moreBelow(root); // presenter type can outgrow the panel: it scrolls, and says so
  let lastKey = null;

  function update(state) {
    const s = state.stage;
    const key = s ?? `${state.session?.id}|${state.step}|${state.loss}|${state.testLoss}|${JSON.stringify(state.accuracy)}`;
    if (key === lastKey) return;
    lastKey = key;
    if (s) {
      nameEl.textContent = stageHeading(s, planEntry(state, s));
      const back = s.direction === "backward";
      dirEl.textContent = `${back ? "← backward" : "forward →"}${s.replay ? " · replay" : ""}`;
      dirEl.className = `direction ${back ? "back" : "fwd"}`;
      formulaEl.textContent = typeof s.formula === "string" ? s.formula : "";
      captionEl.textContent = typeof s.caption === "string" ? s.caption : "";
      root.dataset.stage = s.stage;
      return;
    }
    root.dataset.stage = "";
    dirEl.textContent = "";
    dirEl.className = "direction";
    if (!state.session) {
      nameEl.textContent = "Connecting…";
      formulaEl.textContent = "";
      captionEl.textContent = "";
      return;
    }
    nameEl.textContent = restHeading(state);
    const acc = state.accuracy ? `,  accuracy ${pct(state.accuracy.train)} (train) / ${pct(state.accuracy.test)} (test)` : "";
    formulaEl.textContent = `loss ${fmt(state.loss, 3)} (train) / ${fmt(state.testLoss, 3)} (test)${acc}`;
    captionEl.textContent =
      "Press → (or N) to walk through one step layer by layer: forward to the loss, then the gradients back, " +
      "last layer first. S: one batch, A: one sample, E: one epoch, Space: play.";
  }

  return { update };
}
