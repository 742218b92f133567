// The keys, said on the page: a "Keys" button in the top bar (and the ? key) opens the list. One
// table, also the README's (docs say the same keys; tests/frontend/lessonkeys.test.mjs checks the
// table names every key controls.js and the classroom handle).

import { el, Popover } from "./popover.js";

/** [keys, what they do] in the order a teacher needs them. */
export const KEYS = [
  ["→ or N", "next stage of the step"],
  ["←", "back one stage"],
  ["S", "one whole training step"],
  ["E", "one epoch (Network page)"],
  ["A", "one step on a single sample (Network page)"],
  ["Space", "play / pause"],
  ["R", "reset to the seeded start"],
  ["Ctrl+Z", "undo the last change of settings: the run as it was then, chart included"],
  ["PgDn / PgUp", "next / previous lesson step (what presentation clickers send); past a lesson's last or first step, the next or previous lesson"],
  ["J", "the join slide for the projector: code, QR code, how many joined (teacher)"],
  ["C", "the class: who is here, give control, bring everyone back (teacher)"],
  ["P", "presenter mode: projector type, high contrast"],
  ["?", "this list"],
  ["Esc", "close a card or this list"],
];

/** The Keys button in `bar` (before `before`, else last) and its list of `keys`; every page's top bar
 * has one, and `?` opens it (`listen` adds that key where no other handler does). */
export function KeyHelp(bar, panel = document.body.appendChild(el("div")), { keys = KEYS, before = null, listen = false } = {}) {
  const button = el("button", { type: "button", id: "keys-button", class: "bar-button", title: "Keyboard and clicker keys (?)", "aria-label": "Keys" });
  button.append(el("span", { class: "kb-word" }, "Keys"), el("kbd", {}, "?")); // narrow bars show only "?"
  bar.insertBefore(button, before);
  const rows = keys.map(([k, what]) => {
    const tr = el("tr");
    const th = el("th", { scope: "row" });
    k.split(" / ").forEach((part, i) => {
      if (i) th.append(" / ");
      part.split(" or ").forEach((p, j) => {
        if (j) th.append(" or ");
        th.append(el("kbd", {}, p));
      });
    });
    tr.append(th, el("td", {}, what));
    return tr;
  });
  const table = el("table", { class: "keys-table" });
  table.append(...rows);
  panel.append(el("h2", { class: "rp-title" }, "Keys"), table);
  const popover = Popover(button, panel, { id: "keys-help", label: "keys" });
  const toggle = () => popover.show(!popover.isOpen());
  if (listen) {
    window.addEventListener("keydown", (ev) => {
      const t = ev.target?.tagName;
      if (ev.key !== "?" || ev.ctrlKey || ev.metaKey || ev.altKey || t === "INPUT" || t === "SELECT" || t === "TEXTAREA") return;
      ev.preventDefault();
      toggle();
    });
  }
  return { update() {}, popover, toggle };
}
