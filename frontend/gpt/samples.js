// What the model writes, and how surprised it is by text it reads. Samples are asked for every ~2 s
// of training with the same seed, so a change between two of them is the model's doing, not the
// dice's; after the switch to fine-tuning a task sample ("Q: …") is asked for too. Below: the loss
// of each character of a sentence, −ln p(character | the ones before it), as a colour.

import { el } from "../render/dom.js";
import { fmt } from "../render/format.js";
import { wholeRows } from "../render/wholerows.js";
import { lossColor } from "./draw.js";
import { snippets, TASK_PROMPT } from "./queries.js";

/** Newlines as ↵ so a sample stays on its lines but its line ends are visible. */
export function showText(text) {
  return String(text).replace(/\n/g, "↵\n");
}

function sampleEl(cls, label, text) {
  return el("div", `gs-sample ${cls}`, el("span", "gs-tag", label), el("span", "gs-text", showText(text)));
}

function charLine(label, reply, uniform) {
  const chars = reply.chars.map((c, i) => {
    const l = reply.loss[i];
    const s = el("span", { class: "gs-c", title: l === null ? `'${c}': the first character has nothing before it` : `'${c}': −ln p = ${fmt(l, 3)}  (p = ${fmt(Math.exp(-l), 3)})` },
      c === "\n" ? "↵" : c);
    s.style.background = lossColor(l, uniform);
    return s;
  });
  return el("div", "gs-charloss", el("span", "gs-tag", label), el("span", "gs-chars", ...chars), el("span", "gs-mean", `mean ${fmt(reply.mean, 3)}`));
}

export function Samples(root) {
  root.classList.add("gpt-samples");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">What it writes</span><span class="panel-value gs-how">temperature 0.8 · same seed</span></div>
    <div class="gs-list" aria-live="off"></div>
    <div class="gs-losshead"><b>Loss per character</b> <span class="gs-scale" title="−ln p of each character given the ones before it"><i class="lo">low</i><i class="mid"></i><i class="hi">high</i></span></div>
    <div class="gs-loss"></div>`;
  const list = root.querySelector(".gs-list");
  const lossEl = root.querySelector(".gs-loss");
  const fitList = wholeRows(list);
  let last = {};

  function update(state) {
    const g = state.gpt;
    if (!g) return;
    if (g.samples !== last.samples || g.switches !== last.switches) {
      last.samples = g.samples;
      last.switches = g.switches;
      const rows = [];
      const newest = [...g.samples].reverse();
      const textNow = newest.find((s) => s.prompt !== TASK_PROMPT);
      const taskNow = newest.find((s) => s.prompt === TASK_PROMPT);
      if (taskNow) rows.push(sampleEl("now task", `step ${taskNow.step}, task`, TASK_PROMPT + taskNow.text));
      if (textNow) rows.push(sampleEl("now", `step ${textNow.step}`, textNow.text));
      const sw = g.switches[g.switches.length - 1];
      if (sw?.samples?.text) rows.push(sampleEl("switch", `before the switch (step ${sw.step})`, sw.samples.text));
      if (sw?.samples?.task) rows.push(sampleEl("switch task", `task, before (step ${sw.step})`, TASK_PROMPT + sw.samples.task));
      for (const s of newest) {
        if (s === textNow || s === taskNow) continue;
        rows.push(sampleEl("old", `step ${s.step}`, (s.prompt === TASK_PROMPT ? TASK_PROMPT : "") + s.text));
      }
      if (!rows.length) {
        rows.push(el("p", "gs-empty", "Samples appear while it trains: at first random characters, then words."));
      }
      list.replaceChildren(...rows);
      fitList();
      root.dataset.samples = String(g.samples.length);
      root.dataset.latest = textNow?.text ?? "";
    }
    const { text, task } = snippets(state);
    const a = g.charLoss[text];
    const b = g.switches.length ? g.charLoss[task] : null;
    if (a !== last.a || b !== last.b) {
      last.a = a;
      last.b = b;
      const uniform = Math.log(Math.max(2, state.dataset?.vocab?.length ?? 90));
      lossEl.replaceChildren(...[a && charLine("text", a, uniform), b && charLine("task", b, uniform)].filter(Boolean));
    }
  }

  return { update };
}
