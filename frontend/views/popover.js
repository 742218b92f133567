// A button that opens a panel under it (the room card, the lessons menu). Escape or a click
// outside closes it; closing hands the keyboard back to the page's shortcuts.

import { onPress } from "../render/dom.js";

const open = new Set();

/** `id`, `label`: the panel's id and its name as a dialog. */
export function Popover(button, panel, { onOpen, id, label } = {}) {
  Object.assign(panel, { hidden: true, ...(id ? { id } : {}) });
  panel.classList.add("popover");
  if (label) panel.setAttribute("role", "dialog");
  if (label) panel.setAttribute("aria-label", label);
  button.setAttribute("aria-haspopup", "dialog");
  button.setAttribute("aria-expanded", "false");

  function show(on) {
    if (on === !panel.hidden) return;
    panel.hidden = !on;
    button.setAttribute("aria-expanded", String(on));
    if (on) {
      // Under its button, kept inside the window.
      const r = button.getBoundingClientRect();
      panel.style.top = `${Math.round(r.bottom + 6)}px`;
      panel.style.left = `${Math.round(Math.max(8, Math.min(r.left, window.innerWidth - panel.offsetWidth - 8)))}px`;
      for (const other of open) if (other !== api) other.show(false);
      open.add(api);
      onOpen?.();
    } else {
      open.delete(api);
      if (panel.contains(document.activeElement)) document.activeElement.blur();
    }
  }

  onPress(button, () => show(panel.hidden));
  document.addEventListener("pointerdown", (ev) => {
    if (!panel.hidden && !panel.contains(ev.target) && !button.contains(ev.target)) show(false);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && !panel.hidden) show(false);
  });

  const api = { show, isOpen: () => !panel.hidden };
  return api;
}

/** A panel the page shows over itself (the class list, the join slide): `root` takes `id` (its class
 * too), its words and a dialog's role, starts hidden, and `close()` on Escape. Returns its querySelector. */
export function Overlay(root, { id, label, html, close }) {
  Object.assign(root, { id, className: id, hidden: true, innerHTML: html });
  root.setAttribute("role", "dialog");
  root.setAttribute("aria-label", label);
  document.addEventListener("keydown", (ev) => ev.key === "Escape" && !root.hidden && close());
  return (sel) => root.querySelector(sel);
}

/** Copy text to the clipboard; plain-http LAN pages have no Clipboard API, so fall back to a
 * selected textarea and execCommand. Resolves to whether it worked. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.style.position = "fixed";
  ta.style.opacity = "0";
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

export { el } from "../render/dom.js"; // the element factory, where views import it from
