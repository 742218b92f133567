// The transformer's training loop in one row: the same seven stages as every model, in the words
// the server's plan gives them (what each is inside a GPT: tokens, embeddings, attention scores and
// the MLP's W·x, the causal softmax and GELU, cross-entropy, backward, clip and the optimizer). The
// per-sublayer stages get a pill each in the order they run (block 1's attention, its MLP, block 2 …
// forward; the gradients come back the other way). Keyed by plan index, like views/ribbon.js.

import { arrowElement, boxElement, boxSubtitle, lightRibbon, pillElements, planKey, ribbonBoxes } from "../views/ribbon.js";
import { planOf } from "../state.js";
import { MANY_PILLS } from "../render/stagestyle.js";

export function GptRibbon(root) {
  root.classList.add("ribbon", "gpt-ribbon");
  root.replaceChildren();
  let key = "";
  let boxes = [];
  let pills = [];

  function build(plan) {
    root.replaceChildren();
    pills = [];
    const all = ribbonBoxes(plan);
    // Past two blocks the pills shrink to dots (their titles still name them): one row must hold them all.
    root.classList.toggle("many", all.some((b) => b.perLayer && b.entries.length > MANY_PILLS));
    boxes = all.map((b, n) => {
      const { el, title } = boxElement(b, "transformer");
      const sub = document.createElement("div");
      sub.className = "rb-sub";
      sub.textContent = boxSubtitle(b);
      if (b.perLayer) {
        // Pills beside the title, what the box computes under it: two lines, like the other boxes.
        const pillBox = document.createElement("span");
        pillBox.className = "rb-pills";
        pillBox.append(...pillElements(b, pills));
        title.appendChild(pillBox);
      }
      el.append(title, sub);
      if (n > 0) root.appendChild(arrowElement(b.entries[0]));
      root.appendChild(el);
      return { ...b, el };
    });
  }

  function update(state) {
    const plan = planOf(state);
    const k = planKey(plan);
    if (k !== key) {
      key = k;
      build(plan);
    }
    lightRibbon(root, state, boxes, pills);
  }

  return { update };
}
