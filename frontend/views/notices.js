// Errors: a diverged run gets a red box that stays until reset or undo (its Undo button goes back to
// the run before the last change of settings, when the server keeps one); anything else a toast that fades.

import { el } from "../render/dom.js";

const TOAST_MS = 4500;

export function Notices(bannerEl, toastsEl, warnEl, { undo } = {}) {
  bannerEl.classList.add("banner");
  bannerEl.setAttribute("role", "alert");
  bannerEl.innerHTML = '<strong class="banner-title">Training diverged</strong><span class="banner-text"></span><span class="banner-hint">Lower the learning rate and press <kbd>R</kbd> to reset.</span>';
  const text = bannerEl.querySelector(".banner-text");
  const hint = bannerEl.querySelector(".banner-hint");
  const undoEl = document.createElement("button");
  undoEl.type = "button";
  undoEl.className = "banner-undo";
  undoEl.hidden = true;
  undoEl.addEventListener("click", () => {
    undoEl.blur();
    undo?.();
  });
  bannerEl.appendChild(undoEl);
  bannerEl.hidden = true;
  let lastUndo = "";
  // A warning (the loss is exploding, training goes on) takes its own row in the page instead
  // of covering a plot: the numbers it talks about stay visible.
  let lastWarning = null;
  let lastDiverged = null;
  let lastErrorSeq = 0;

  function toast(message) {
    const t = toastsEl.appendChild(el("div", { class: "toast", role: "status" }, message));
    while (toastsEl.children.length > 3) toastsEl.firstElementChild.remove();
    setTimeout(() => t.classList.add("fade"), TOAST_MS - 600);
    setTimeout(() => t.remove(), TOAST_MS);
  }

  function update(state) {
    if (state.diverged !== lastDiverged) {
      lastDiverged = state.diverged;
      bannerEl.hidden = !state.diverged;
      text.textContent = state.diverged ? String(state.diverged) : "";
      // Say "press R" once: only when the server's sentence does not already.
      hint.hidden = /\bR\b/.test(text.textContent);
    }
    // the owner may go back to the run before the change that made it diverge (the server keeps it)
    const steps = state.diverged && undo && state.session?.role === "owner" && Number.isInteger(state.undo) ? state.undo : null;
    if (String(steps) !== lastUndo) {
      lastUndo = String(steps);
      undoEl.hidden = steps === null;
      undoEl.replaceChildren();
      if (steps !== null) {
        const key = document.createElement("kbd");
        key.textContent = "Ctrl+Z";
        undoEl.append(`↶ Undo the last change: back to step ${steps} `, key);
      }
    }
    // a room that is not being saved says so in the same row, until it is saved again
    const warning = state.diverged ? null : (state.unsaved ?? state.warning);
    if (warning !== lastWarning) {
      lastWarning = warning;
      warnEl.hidden = !warning;
      warnEl.textContent = warning ? `⚠ ${warning}` : "";
    }
    const e = state.error;
    if (e && e.seq !== lastErrorSeq) {
      lastErrorSeq = e.seq;
      // a refusal kept beside its control (views/refusals.js) needs no toast on top of it
      const kept = Object.values(state.refusals ?? {}).some((n) => n.message === e.message);
      if (e.code !== "diverged" && !kept) toast(e.message);
    }
  }

  return { update, toast };
}
