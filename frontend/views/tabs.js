// The model switch. Each tab is a plain link that starts a fresh session for that model, so the
// URL always says what is on screen and can be shared or bookmarked.

import { MODELS, MODEL_TITLES } from "../config.js";
import { el, sameAsLast } from "../render/dom.js";

// The Descent page (optimizers racing on a loss landscape) and the Scale page (one neuron to 405B)
// are pages of their own, after the models.
const TITLES = { ...MODEL_TITLES, descent: "Descent", scale: "Scale" };
const hrefOf = (m) => (m === "descent" || m === "scale" ? `/${m}` : `/?model=${m}`);

export function Tabs(root, { current }) {
  root.classList.add("tabs");
  root.setAttribute("role", "tablist");
  const links = {};
  for (const m of [...MODELS, "descent", "scale"]) {
    links[m] = root.appendChild(el("a", { href: hrefOf(m), "data-model": m, role: "tab" }, TITLES[m] ?? m));
  }
  const badge = root.appendChild(el("span", { class: "watching", id: "watching", hidden: true }));
  const same = sameAsLast();

  function update(state) {
    const model = state.session?.model ?? current;
    const viewer = state.session?.role === "viewer";
    const key = `${model}|${viewer}|${state.session?.id}`;
    if (same(key)) return;
    for (const [m, a] of Object.entries(links)) {
      const on = m === model;
      a.classList.toggle("active", on);
      a.setAttribute("aria-selected", String(on));
      // A viewer watches someone else's run; switching model would leave the room.
      a.classList.toggle("disabled", viewer && !on);
      if (viewer) a.removeAttribute("href");
      else a.href = hrefOf(m);
    }
    badge.hidden = !viewer;
    badge.textContent = viewer ? `watching room ${state.session.id}` : "";
    badge.title = viewer ? "read-only: only the room's owner can step, play or change settings" : "";
  }

  return { update };
}
