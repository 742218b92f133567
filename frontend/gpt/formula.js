// The stage on display, for the transformer: which operation of which block, the server's formula
// with the numbers of the first window filled in, its caption, and a small picture where one
// helps — the window's tokens (input), head 1's attention map (softmax), the top guesses (loss).
// With no stage on display: where training stands and the keys that step through it.

import { el, sameAsLast } from "../render/dom.js";
import { fmt } from "../render/format.js";
import { heatmap } from "./draw.js";
import { moreBelow } from "../render/morebelow.js";
import { glyph, glyphText } from "./gptstate.js";
import { planOf } from "../state.js";
import { HEAD_HTML, headOf, showIdle, showStage } from "../views/formula.js";
import { slicesTable } from "./workers.js";

function tokenStrip(values) {
  return el("div", "gf-tokens", ...(values.text ?? []).map((c, i) =>
    el("span", { class: "gf-tok", title: `'${c}' is token ${values.ids?.[i]}; the target is the next character, '${values.next?.[i]}'` },
      el("b", {}, glyph(c)), el("i", {}, String(values.ids?.[i] ?? "")), el("small", {}, `→${glyph(values.next?.[i] ?? "")}`))));
}

function topBars(values) {
  return el("div", "gf-top", ...(values.top ?? []).map(([c, p]) =>
    el("div", `gf-bar${c === values.true ? " true" : ""}`, el("span", "gf-char", glyph(c)),
      el("span", "gf-track", el("span", { class: "gf-fill", style: `width: ${Math.max(1, p * 100)}%` })),
      el("span", "gf-p", `${fmt(p * 100, 2)}%${c === values.true ? " ✓ next" : ""}`))));
}

function attentionMaps(values) {
  const maps = Array.isArray(values.map) ? values.map : [];
  const size = 76;
  return el("div", "gf-maps", ...maps.map((m, h) => {
    const c = el("canvas", { width: size, height: size, style: `width: ${size}px; height: ${size}px` });
    const ctx = c.getContext("2d");
    heatmap(ctx, m, m.length, 0, 0, size);
    // the row this formula follows: position `query`, outlined
    const cell = size / m.length;
    ctx.strokeStyle = "#d62728";
    ctx.lineWidth = 2;
    ctx.strokeRect(1, values.query * cell + 1, size - 2, cell - 2);
    return el("figure", {}, c, el("figcaption", {}, `head ${h + 1}`));
  }));
}

/** A picture where the stage's values hold one: the window's tokens, the attention maps, the top guesses. */
function picture(s) {
  const v = s.values ?? {};
  if (s.stage === "input" && Array.isArray(v.text)) return tokenStrip(v);
  if (s.stage === "loss" && Array.isArray(v.top)) return topBars(v);
  if (s.stage === "activation" && Array.isArray(v.map)) return attentionMaps(v);
  // data-parallel runs: each worker's slice of one gradient, before (and after) the all-reduce
  if ((s.stage === "allreduce" || v.op) && Array.isArray(v.before)) return slicesTable(v); // v.op: a split run's collective
  if (s.stage === "gradients" && Array.isArray(v.workers)) return slicesTable(v);
  return null;
}

export function GptFormula(root) {
  root.classList.add("formula-panel", "gpt-formula");
  root.innerHTML = `${HEAD_HTML}
    <div class="gf-scroll">
      <div class="gf-shape" hidden></div>
      <div id="formula" class="formula" aria-live="polite"></div>
      <div class="gf-below"><p class="caption"></p><div class="gf-picture"></div></div>
    </div>`;
  const head = headOf(root);
  const pictureEl = root.querySelector(".gf-picture");
  moreBelow(root.querySelector(".gf-scroll")); // the long captions: the rest is below
  const same = sameAsLast();

  function update(state) {
    const s = state.stage;
    const g = state.gpt;
    const key = s ?? `${state.session?.id}|${state.step}|${g?.phase}|${state.playing}|${state.dataset?.characters}|${planOf(state).length}|${planOf(state).at(-1)?.subtitle}`;
    if (same(key)) return;
    if (s) {
      showStage(head, state, s, glyphText);
      pictureEl.replaceChildren(...[picture(s)].filter(Boolean));
      return;
    }
    pictureEl.replaceChildren();
    const fine = g?.phase === "finetune";
    const d = state.dataset;
    const data = d
      ? `Text A: ${d.source}, ${Number(d.characters ?? 0).toLocaleString("en-US")} characters, ${d.vocab?.length ?? "?"} different. ` +
        `Task B (${d.finetune_task}): lines like “${d.task_examples?.[0] ?? ""}”. `
      : "";
    const update = planOf(state).find((e) => e.stage === "update")?.subtitle;
    showIdle(head, state, {
      connecting: "Connecting… (the transformer takes a few seconds to start)",
      more: ` · ${fine ? "fine-tuning on task B" : "pre-training on text A"}`,
      formula: "L = mean over positions of −ln p(next character | the characters before it)",
      caption: data + (state.playing
        ? "Pause (Space), then → walks through one step."
        : "→ (or N) walks through one step: tokens, embeddings, each block's attention and MLP, the loss, " +
          `the gradients back (last block first) and the update${update ? ` (${update})` : ""}. S: one step, Space: play.`),
    });
  }

  return { update };
}
