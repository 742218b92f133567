// The stage on display, spelled out: its formula with the numbers filled in (as the server wrote
// it), one sentence of caption, and every value it produced. With no stage on display it shows
// the live parameters and how to start stepping.

import { fmtValue } from "../render/format.js";
import { fitType } from "../render/fittype.js";
import { moreBelow } from "../render/morebelow.js";
import { SCHEMA } from "../schema.js";
import { planEntry } from "../state.js";
import { el } from "../render/dom.js";

/** "Step 3 · Linear combination · hidden layer 1: z = W·a + b": the step counted as the top bar
 * counts them (the stage message's `step` is 0 for the first step; once its update is applied the
 * bar says step 1, and so does this), and its plan entry's words (the server's; a stage outside
 * the plan shows its bare name). */
export function stageHeading(s, entry) {
  const words = entry ? `${entry.title}${entry.subtitle ? `: ${entry.subtitle}` : ""}` : s.stage;
  return `Step ${s.step + 1} · ${words}`;
}

/** The heading between stages: the steps taken and, where the engine counts them, the passes over
 * the training set — TF Playground's epoch counter ("After 40 steps · epoch 2.67"). */
export function restHeading(state) {
  const steps = `After ${state.step} step${state.step === 1 ? "" : "s"}`;
  const e = state.epoch;
  return Number.isFinite(e) ? `${steps} · epoch ${e.toFixed(e < 10 ? 2 : 1)}` : steps;
}

/** Every formula panel's head (the neuron's and line's, the network's, the transformer's): the
 * stage's heading and direction; the panel puts its formula and caption where it likes. */
export const HEAD_HTML = '<div class="panel-head"><span class="stage-name"></span><span class="direction"></span></div>';

/** The head's elements in `root` (built from HEAD_HTML, with an element #formula and a .caption). */
export function headOf(root) {
  const $ = (sel) => root.querySelector(sel);
  return { root, name: $(".stage-name"), dir: $(".direction"), formula: $("#formula"), caption: $(".caption"),
           shape: $(".gf-shape") }; // shape: the stage's tensor shape, where the panel shows one
}

/** Fill the head with stage message `s`: its plan entry's words, its direction, formula and caption
 * (`glyphs` rewrites the formula's text for display). */
export function showStage(head, state, s, glyphs = (t) => t) {
  const entry = planEntry(state, s);
  head.name.textContent = stageHeading(s, entry);
  if (head.shape) {
    head.shape.textContent = entry?.shape ?? ""; // from the engine's plan
    head.shape.hidden = !entry?.shape;
  }
  const back = s.direction === "backward";
  head.dir.textContent = `${back ? "← backward" : "forward →"}${s.replay ? " · replay" : ""}`;
  head.dir.className = `direction ${back ? "back" : "fwd"}`;
  head.formula.textContent = typeof s.formula === "string" ? glyphs(s.formula) : "";
  head.caption.textContent = typeof s.caption === "string" ? s.caption : "";
  head.root.dataset.stage = s.stage;
}

/** Whether this page's join was refused (a full room, this computer's limit): no room to wait for. */
export function outsideRoom(state) {
  return !state.session && !!state.refusals?.[":join"] && state.conn === "open";
}

/** No stage on display: "Connecting…" before a session (or why there is none: a refused join), else "After N steps" (+ `more`), and the
 * panel's own formula and caption for it. */
export function showIdle(head, state, { more = "", formula = "", caption = "", connecting = "Connecting…" } = {}) {
  head.root.dataset.stage = "";
  head.dir.textContent = "";
  head.dir.className = "direction";
  if (head.shape) head.shape.hidden = true;
  head.name.textContent = state.session ? `${restHeading(state)}${more}` : outsideRoom(state) ? "Not in a room: the room card says why." : connecting;
  head.formula.textContent = state.session ? formula : "";
  head.caption.textContent = state.session ? caption : "";
}

/** Row labels in the notation the model's formulas use (the engine's, served); the raw key stays in data-key. */
export function keyLabel(key, model) {
  return SCHEMA.symbols?.[model]?.[key] ?? key;
}

function idleRows(state) {
  const rows = [];
  const p = state.params;
  if (p) {
    rows.push(["w", p.w]);
    if (p.b !== undefined) rows.push(["b", p.b]); // no b: not a parameter (a line without its bias)
  }
  rows.push(["loss", state.loss]);
  if (state.lr !== null && state.lr !== undefined) rows.push(["lr", state.lr]);
  return rows;
}

export function Formula(root) {
  root.classList.add("formula-panel");
  root.innerHTML = `${HEAD_HTML}
    <div id="formula" class="formula" aria-live="polite"></div>
    <p class="caption"></p>
    <div class="values-wrap"><table id="values" class="values"><tbody></tbody></table></div>`;
  const head = headOf(root);
  const body = root.querySelector("#values tbody");
  const wrap = root.querySelector(".values-wrap");
  // The values are what a step talks about: the type steps down so they show (a projector's long
  // update formula); beyond that, x and y of a batch say the rest is below.
  const fit = fitType(root, wrap);
  moreBelow(wrap);
  let last = null;
  let lastParams = null;
  let lastLoss;
  let lastOutside;

  function update(state) {
    const s = state.stage;
    const model = state.session?.model ?? "";
    const outside = outsideRoom(state);
    if (s === last && (s || (state.params === lastParams && state.loss === lastLoss && outside === lastOutside))) return;
    last = s;
    lastParams = state.params;
    lastLoss = state.loss;
    lastOutside = outside;
    let rows;
    if (s) {
      showStage(head, state, s);
      rows = Object.entries(s.values ?? {});
    } else {
      showIdle(head, state, { caption: "Press → (or N) to walk through one training step stage by stage, S for a whole step, Space to play." });
      rows = idleRows(state);
    }
    body.replaceChildren(
      ...rows.map(([key, value]) => {
        // L in a stage is the sample's (batch's) just seen; at rest it is the whole set's (the chart's).
        const name = key !== "loss" ? keyLabel(key, model) : s ? lossLabel(batchSize(state, s)) : "L (whole set)";
        return el("tr", { "data-key": key }, el("th", {}, name), el("td", {}, fmtValue(value)));
      }),
    );
    fit();
  }

  return { update };
}

/** How many samples the step shown learned from: its own inputs, else its input stage's (a line's
 * loss stage carries no x), else unknown (null). */
export function batchSize(state, s) {
  const input = Object.values(state.traces?.[s.step] ?? {}).find((t) => t?.stage === "input");
  const x = Array.isArray(s.values?.x) ? s.values.x : input?.values?.x;
  return Array.isArray(x) ? x.length : null;
}

function lossLabel(n) {
  if (n === null) return "L (this step)";
  return n > 1 ? "L (this batch)" : "L (this sample)";
}
