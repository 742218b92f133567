// The transformer's training loop in one row: the same seven stages as every model, in the words
// the server's plan gives them (what each is inside a GPT: tokens, embeddings, attention scores and
// the MLP's W·x, the causal softmax and GELU, cross-entropy, backward, clip and the optimizer). The
// per-sublayer stages get a pill each in the order they run (block 1's attention, its MLP, block 2 …
// forward; the gradients come back the other way); each pill's tooltip names it in full. It is the
// network's ribbon (views/ribbon.js) with the transformer's box weights and no "layer" word.

import { Ribbon } from "../views/ribbon.js";

export function GptRibbon(root) {
  root.classList.add("gpt-ribbon");
  return Ribbon(root, { kind: "transformer", word: "" });
}
