// The transformer's training loop in one row: the same seven stages as every model, in the words
// the server's plan gives them (what each is inside a GPT: tokens, embeddings, attention scores and
// the MLP's W·x, the causal softmax and GELU, cross-entropy, backward, clip and the optimizer). The
// per-sublayer stages get a pill each in the order they run (block 1's attention, its MLP, block 2 …
// forward; the gradients come back the other way); each pill's tooltip names it in full. It is the
// network's ribbon (views/ribbon.js) with the transformer's box weights and no "layer" word.

import { Ribbon } from "../views/ribbon.js";
import { explain } from "./glossary.js";

export function GptRibbon(root) {
  root.classList.add("gpt-ribbon");
  const ribbon = Ribbon(root, { kind: "transformer", word: "" });
  return {
    update(state) {
      ribbon.update(state);
      // Boxes are rebuilt when the plan changes: give new ones the plain words for wte + wpe, QKᵀ…
      // (a pill's own tooltip already names its sublayer in full: "attention, block 1").
      for (const box of root.querySelectorAll(".rb-box:not([data-glossed])")) {
        box.dataset.glossed = "";
        const words = explain(box.textContent);
        if (words) box.title = `${box.title}\n\n${words}`;
      }
    },
  };
}
