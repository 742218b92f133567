// The probe row: the text the page looks at the model through (editable), split into its tokens —
// one per character, each with its id, the character's place in the vocabulary (the tokenizer is
// just that list) — and the run's facts: parameters, device, precision, tokens per second.
// Clicking a token picks the position whose next-character probabilities are shown; the tokens
// it attends to (in the attention map in focus) are shaded by their weight.

import { fmt } from "../render/format.js";
import { keepInView } from "../render/inview.js";
import { attentionMap, shownAttention, tokenize } from "./gptstate.js";
import { attnRGB } from "./draw.js";
import { probeText, probsPosition } from "./queries.js";
import { TextDialog } from "./textdialog.js";
import { Vocabulary } from "./vocab.js";
import { el } from "../render/dom.js";

function thousands(n) {
  return typeof n === "number" && Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—";
}

/** "47,000 tokens/s" with three significant digits, so the number does not flicker. */
export function rate(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  const p = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(1, v))) - 2);
  return thousands(Math.round(v / p) * p);
}

function chip(bold, rest, id) {
  return el("span", { class: "gp-chip", id }, el("b", {}, bold), rest);
}

export function ProbeRow(root, { dispatchUi, configure, canEdit }) {
  root.classList.add("gpt-probe");
  root.innerHTML = `
    <div class="gp-line">
      <label class="gp-label" for="gpt-probe-input">Probe</label>
      <input id="gpt-probe-input" class="gp-input" type="text" spellcheck="false" autocomplete="off"
        title="Type any text made of the vocabulary's characters: the attention maps and the probabilities follow it">
      <span class="gp-bad" role="status" hidden></span>
      <span class="gp-facts"></span>
      <span class="gp-buttons"></span>
    </div>
    <div class="gp-tokens" role="listbox" aria-label="the probe's tokens: click one for its next-character probabilities"></div>`;
  const input = root.querySelector(".gp-input");
  const bad = root.querySelector(".gp-bad");
  const facts = root.querySelector(".gp-facts");
  const strip = root.querySelector(".gp-tokens");
  const buttons = root.querySelector(".gp-buttons");
  const vocab = Vocabulary(buttons);
  const dialog = TextDialog(buttons, { configure, canEdit });
  let last = {};
  let latest = null;

  input.addEventListener("input", () => dispatchUi({ probe: input.value, position: null }));
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === "Escape") input.blur(); // hand the keys back to the shortcuts
  });
  strip.addEventListener("click", (ev) => {
    const t = ev.target.closest(".gp-tok");
    if (t) dispatchUi({ position: Number(t.dataset.pos) });
  });

  function drawTokens(state, probe) {
    const { tokens } = tokenize(probe, state.dataset?.vocab);
    const position = probsPosition(state.gpt.ui, probe);
    const frame = shownAttention(state.gpt);
    const [layer, head] = state.gpt.ui.map;
    const key = `${probe}|${position}|${frame?.step}|${layer}|${head}|${state.dataset?.vocab?.length}`;
    if (key === last.tokens) return;
    last.tokens = key;
    // The frame's tokens are the probe's last block_size characters: line the two up from the end.
    const map = frame ? attentionMap(frame, layer, head) : null;
    const T = frame?.shape?.[2] ?? 0;
    const offset = tokens.length - T;
    const row = position - offset;
    strip.replaceChildren(...tokens.map((t, i) => {
      const tok = el("button", { type: "button", class: `gp-tok${t.id === null ? " unknown" : ""}${i === position ? " on" : ""}`, "data-pos": i,
        "aria-selected": String(i === position) }, el("b", {}, t.char), el("i", {}, t.id === null ? "?" : String(t.id)));
      let title = t.id === null ? `'${t.char}' is not in the vocabulary` : `'${t.char}' → token ${t.id}`;
      const j = i - offset;
      if (map && row >= 0 && row < T && j >= 0 && j <= row && frame.tokens.length === T) {
        const w = map[row * T + j];
        const [r, g, b] = attnRGB(w);
        tok.style.background = `rgb(${r}, ${g}, ${b})`;
        tok.classList.toggle("dark", Math.sqrt(w) > 0.55);
        title += `; position ${position + 1} attends to it with weight ${fmt(w, 2)} (layer ${layer + 1}, head ${head + 1})`;
      }
      tok.title = title;
      return tok;
    }));
    showPicked();
  }

  // A strip wider than its row scrolls sideways (a 1024 px projector): the picked position, the one
  // Next character reads after, stays in view — when picked, and when the row gets its width.
  function showPicked() {
    last.stripW = strip.clientWidth;
    keepInView(strip, strip.querySelector(".gp-tok.on"));
  }

  function update(state) {
    latest = state;
    const g = state.gpt;
    if (!g) return;
    const probe = probeText(state);
    if (document.activeElement !== input && input.value !== probe) input.value = probe;
    const { tokens, ok } = tokenize(probe, state.dataset?.vocab);
    const unknown = [...new Set(tokens.filter((t) => t.id === null).map((t) => t.char))];
    const badText = !state.dataset ? "" : !tokens.length ? "type a few characters" : ok ? "" : `not in the vocabulary: ${unknown.slice(0, 5).join(" ")}`;
    if (badText !== last.bad) {
      last.bad = badText;
      bad.hidden = !badText;
      bad.textContent = badText;
    }
    drawTokens(state, probe);
    if (strip.clientWidth !== last.stripW) showPicked();
    const info = g.info;
    const factsKey = info ? `${info.n_params}|${info.device}|${info.precision}|${info.threads}|${rate(info.tokens_per_s)}` : "";
    if (factsKey !== last.facts) {
      last.facts = factsKey;
      facts.replaceChildren(...(info ? [
        chip(thousands(info.n_params), " parameters"),
        chip(String(info.device), ` · ${info.precision} · ${info.threads} thread${info.threads === 1 ? "" : "s"}`),
        chip(rate(info.tokens_per_s), " tokens/s", "gpt-rate"),
      ] : []));
    }
    vocab.update(state);
    dialog.update(state);
  }

  return { update, latest: () => latest };
}
