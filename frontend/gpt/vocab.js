// The tokenizer, whole: every character the model knows, in id order (a character-level model's
// vocabulary is just this sorted list). A button that opens it as a grid of id → character.

import { glyph, SPACE } from "./gptstate.js";
import { el, onPress, sameAsLast } from "../render/dom.js";

export function Vocabulary(bar) {
  const button = el("button", { type: "button", class: "gp-button", id: "gpt-vocab-button", "aria-expanded": "false" });
  const box = el("div", { class: "gpt-vocab", id: "gpt-vocab", hidden: true });
  box.innerHTML = '<p class="gv-note">One token per character; a character\'s id is its place in this sorted list. ' +
    `${SPACE} is the space, \\n the newline.</p><div class="gv-grid"></div>`;
  const grid = box.querySelector(".gv-grid");
  bar.append(button, box);
  const same = sameAsLast();

  onPress(button, () => {
    box.hidden = !box.hidden;
    button.setAttribute("aria-expanded", String(!box.hidden));
  });
  window.addEventListener("click", (ev) => {
    if (!box.hidden && !box.contains(ev.target) && ev.target !== button) {
      box.hidden = true;
      button.setAttribute("aria-expanded", "false");
    }
  });
  window.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") box.hidden = true;
  });

  function update(state) {
    const vocab = state.dataset?.vocab ?? null;
    if (same(vocab)) return;
    button.textContent = `Vocabulary (${vocab?.length ?? 0})`;
    grid.replaceChildren(...(vocab ?? []).map((c, i) => el("span", "gv-cell", el("i", {}, String(i)), el("b", {}, glyph(c)))));
  }

  return { update };
}
