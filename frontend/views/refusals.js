// Refusals beside their controls (refusal.js keeps them in state.refusals): a refused setting's
// reason stays next to its field, which is marked invalid, until the user changes that setting; a
// setting the page has no control for, and a refused join or load, keep theirs in the form's corner.

import { noteRefusal, refusalText } from "../refusal.js";
import { el } from "../render/dom.js";

/** The control of setting `key` on this page (the settings form, a panel's own field), or null. */
function controlOf(key) {
  return document.querySelector(`input[name="${CSS.escape(key)}"], select[name="${CSS.escape(key)}"]`);
}

// A refusal that names no setting is shown where its request was made.
const KIND_PLACES = { ":join": "#join-error", ":load": "#saved-line" };

/** `fallback`: where a refusal without a control of its own is shown (the settings form). */
export function RefusalNotes(fallback) {
  const shown = new Map(); // key → {el, control}
  let last = "";

  function place(key, text, control) {
    let s = shown.get(key);
    if (!s || !s.el.isConnected || s.control !== control) {
      s?.el.remove();
      const note = el("span", { class: "refusal", role: "alert", "data-refused": key });
      if (control) (control.closest("label") ?? control).after(note);
      else fallback.append(note);
      s = { el: note, control };
      shown.set(key, s);
    }
    if (s.el.textContent !== text) s.el.textContent = text;
    if (control) control.setAttribute("aria-invalid", "true");
  }

  function update(state) {
    const notes = state.refusals ?? {};
    const running = state.session?.config ?? {};
    const sig = JSON.stringify([notes, running, Object.keys(notes).map((k) => !!controlOf(k)), [...shown.values()].every((s) => s.el.isConnected)]);
    if (sig === last) return;
    last = sig;
    for (const [key, s] of shown) {
      if (key in notes) continue;
      s.el.remove();
      s.control?.removeAttribute("aria-invalid");
      shown.delete(key);
    }
    for (const [key, note] of Object.entries(notes)) {
      const place_ = KIND_PLACES[key] && document.querySelector(KIND_PLACES[key]);
      if (place_) {
        place_.textContent = note.message;
        continue;
      }
      const bare = key.startsWith(":");
      const text = bare ? note.message : refusalText(key, note, running[key]);
      place(key, text, bare ? null : controlOf(key));
    }
  }

  return { update };
}

/**
 * One field's refusal, for a page that checks a value before sending it (the Descent page's η): the
 * field keeps the typed value, marked invalid, with the reason beside it until `clear()` (a value the
 * page accepts). `show(refusal, running)`: a refusal.js refusal and the value that runs instead.
 * `into`: the element the reason goes last in (a grid row's own line); else right after the field.
 */
export function FieldRefusal(input, into = null) {
  let shown = null;
  return {
    show(refusal, running) {
      const note = noteRefusal({}, refusal)[refusal.key];
      if (!shown) {
        shown = el("span", { class: "refusal", role: "alert" });
        if (into) into.append(shown);
        else (input.closest("label") ?? input).after(shown);
      }
      shown.dataset.refused = refusal.key;
      shown.textContent = refusalText(refusal.key, note, running);
      input.setAttribute("aria-invalid", "true");
    },
    clear() {
      shown?.remove();
      shown = null;
      input.removeAttribute("aria-invalid");
    },
    get shown() {
      return shown !== null;
    },
  };
}
