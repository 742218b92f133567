// What the model expects next: the probability of each character after the probe's chosen
// position (click a token in the probe row), the likeliest as bars. Temperature divides the
// logits before the softmax (below 1 sharper, above flatter); top-k keeps the k likeliest and gives
// every other character exactly 0. The sum over the whole vocabulary is shown: it is 1.

import { fmt } from "../render/format.js";
import { wholeRows } from "../render/wholerows.js";
import { glyph, shownChar } from "./gptstate.js";
import { probeText, probsPosition } from "./queries.js";
import { el, onPress } from "../render/dom.js";

const SHOWN = 6;
const TOP_K = [null, 1, 3, 5, 10, 20];

export function sum(probs) {
  return (probs ?? []).reduce((a, p) => a + (typeof p === "number" ? p : 0), 0);
}

/** The likeliest `n` as [{char, p, id}], from the whole distribution (ties: lower id first). */
export function topOf(probs, vocab, n = SHOWN) {
  return (probs ?? []).map((p, id) => ({ p, id, char: vocab?.[id] ?? "?" }))
    .sort((a, b) => b.p - a.p || a.id - b.id).slice(0, n);
}

export function Probs(root, { dispatchUi }) {
  root.classList.add("gpt-probs");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Next character</span><span class="panel-value gq-sum"></span></div>
    <div class="gq-context">after <span class="gq-text"></span></div>
    <div class="gq-bars" aria-live="off"></div>
    <div class="gq-controls">
      <label class="gq-temp">temperature <input type="range" min="0.1" max="2" step="0.1" value="1"> <b>1.0</b></label>
      <label class="gq-k">top-k <select>${TOP_K.map((k) => `<option value="${k ?? ""}">${k ?? "all"}</option>`).join("")}</select></label>
    </div>
    <p class="gq-note"></p>`;
  const title = root.querySelector(".gq-text");
  const sumEl = root.querySelector(".gq-sum");
  const temp = root.querySelector(".gq-temp input");
  const tempOut = root.querySelector(".gq-temp b");
  const topk = root.querySelector(".gq-k select");
  const bars = root.querySelector(".gq-bars");
  const note = root.querySelector(".gq-note");
  const fitBars = wholeRows(bars);
  let last = {};

  temp.addEventListener("input", () => {
    tempOut.textContent = Number(temp.value).toFixed(1);
    dispatchUi({ temperature: Number(temp.value) });
  });
  temp.addEventListener("change", () => temp.blur());
  onPress(topk, () => dispatchUi({ topK: topk.value ? Number(topk.value) : null }), "change");

  function update(state) {
    const g = state.gpt;
    if (!g) return;
    const probe = probeText(state);
    const chars = [...probe];
    const pos = probsPosition(g.ui, probe);
    const actual = pos + 1 < chars.length ? shownChar(chars[pos + 1]) : null;
    const r = g.probs;
    const key = `${probe}|${pos}|${g.ui.temperature}|${g.ui.topK}`;
    if (document.activeElement !== temp) {
      temp.value = String(g.ui.temperature);
      tempOut.textContent = Number(g.ui.temperature).toFixed(1);
    }
    if (document.activeElement !== topk) topk.value = g.ui.topK ? String(g.ui.topK) : "";
    if (key === last.key && r === last.r) return;
    last = { key, r };
    const before = chars.slice(Math.max(0, pos - 15), pos + 1).map(shownChar).join("");
    title.textContent = `“${pos > 15 ? "…" : ""}${before}”`;
    title.title = `the probe up to position ${pos + 1}: click another character of the probe to move`;
    root.dataset.position = String(pos);
    if (!r) {
      bars.replaceChildren();
      sumEl.textContent = "";
      note.textContent = "Click a character of the probe to see what the model expects after it.";
      return;
    }
    const vocab = (r.vocab ?? state.dataset?.vocab ?? []).map(glyph);
    const total = sum(r.probs);
    sumEl.textContent = `Σ p = ${total.toFixed(3)} over ${r.probs.length}`;
    sumEl.title = "the probabilities of every character in the vocabulary add up to 1";
    const top = topOf(r.probs, vocab);
    const max = Math.max(1e-9, ...top.map((t) => t.p));
    const rows = top.map((t) => row(t, t.char === actual, max));
    const actualId = vocab.indexOf(actual);
    if (actual !== null && actualId >= 0 && !top.some((t) => t.char === actual)) {
      rows.push(row({ char: actual, p: r.probs[actualId], id: actualId }, true, max, true));
    }
    bars.replaceChildren(...rows);
    fitBars();
    note.textContent = actual === null
      ? "The probe ends here: what would the model write next?"
      : `‘${actual}’ comes next in the probe: loss −ln p = ${fmt(-Math.log(Math.max(1e-12, r.probs[actualId] ?? 0)), 3)}`;
  }

  function row(t, isActual, max, extra = false) {
    return el("div", { class: `gq-bar${isActual ? " actual" : ""}${extra ? " extra" : ""}`, "data-p": t.p },
      el("span", { class: "gq-char", title: `token ${t.id}` }, t.char),
      el("span", "gq-track", el("span", { class: "gq-fill", style: `width: ${Math.max(0.5, (t.p / max) * 100)}%` })),
      el("span", "gq-p", `${t.p >= 0.001 ? fmt(t.p * 100, 3) : fmt(t.p * 100, 2)}%${isActual ? " ← actual" : ""}`));
  }

  return { update };
}
