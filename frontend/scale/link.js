// "Scale this model →" on the Transformer page: a link to the Scale page with this GPT on the
// ladder (its layers, width, heads, context, vocabulary and batch), so the figures there — and
// "Measure here" — are for the model just trained.

import { scaleHref } from "./where.js";
import { el, sameAsLast } from "../render/dom.js";

/** `root`: the Transformer page's probe row; the link goes first among its buttons. */
export function ScaleLink(root) {
  // Short: the probe row is full at 1280 pixels while training (parameters, device, tokens/s).
  const a = el("a", { class: "gp-button scale-link", id: "scale-link", href: "/scale?preset=transformer", style: "text-decoration: none; color: inherit",
    title: "Scale this model: its memory, compute and cost on the ladder beside 8B, 70B and 405B, measured here" }, "Scale →");
  const bar = root.querySelector(".gp-buttons") ?? root;
  bar.prepend(a);
  const same = sameAsLast();
  return {
    update(state) {
      const href = scaleHref(state.session?.config, state.dataset?.vocab?.length);
      if (same(href)) return;
      a.href = href;
    },
  };
}
