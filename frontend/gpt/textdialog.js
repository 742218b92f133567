// "Your own text": paste any text and the run starts again on it (the `text` setting; the
// vocabulary becomes that text's characters). Empty goes back to Python's documentation.

import { el, onPress, sameAsLast } from "../render/dom.js";

const MAX_CHARS = 500_000; // the server's message limit is 1 MiB; leave room for the JSON around it
const MIN_CHARS = 400; // a 90/10 split must leave the held-out part longer than one context window

export function TextDialog(bar, { configure, canEdit }) {
  const button = el("button", { type: "button", class: "gp-button", id: "gpt-text-button", title: "Train on text you paste: the run restarts on it" },
    "✎ Your text…");
  const dialog = el("dialog", "gpt-text-dialog");
  dialog.innerHTML = `
    <form method="dialog">
      <h2>Train on your own text</h2>
      <p>Paste a few pages (a story, song lyrics, code…). The model starts again from random weights and
      learns to continue <em>this</em> text; its vocabulary becomes this text's characters.</p>
      <textarea name="text" rows="12" spellcheck="false" placeholder="Paste text here"></textarea>
      <p class="gt-count" role="status"></p>
      <div class="gt-actions">
        <button type="button" value="docs" class="gt-docs">Back to Python's docs</button>
        <button type="button" value="cancel" class="gt-cancel">Cancel</button>
        <button type="submit" value="train" class="gt-train">Train on this text</button>
      </div>
    </form>`;
  document.body.appendChild(dialog);
  bar.appendChild(button);
  const area = dialog.querySelector("textarea");
  const count = dialog.querySelector(".gt-count");
  const train = dialog.querySelector(".gt-train");

  function check() {
    const n = area.value.length;
    const ok = n >= MIN_CHARS && n <= MAX_CHARS;
    train.disabled = !ok;
    count.textContent = n < MIN_CHARS ? `${n} characters: at least ${MIN_CHARS} are needed.` : n > MAX_CHARS
      ? `${n.toLocaleString("en-US")} characters: at most ${MAX_CHARS.toLocaleString("en-US")}.` : `${n.toLocaleString("en-US")} characters.`;
  }

  onPress(button, () => {
    if (!canEdit()) return;
    area.value = current ?? "";
    check();
    dialog.showModal();
    area.focus();
  });
  area.addEventListener("input", check);
  dialog.querySelector(".gt-cancel").addEventListener("click", () => dialog.close());
  dialog.querySelector(".gt-docs").addEventListener("click", () => {
    dialog.close();
    configure({ text: "" });
  });
  dialog.querySelector("form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (train.disabled) return;
    dialog.close();
    configure({ text: area.value });
  });
  let current = null;
  const same = sameAsLast();

  function update(state) {
    current = state.session?.config?.text ?? "";
    const key = `${canEdit()}|${state.dataset?.source}`;
    if (same(key)) return;
    button.disabled = !canEdit();
    button.classList.toggle("on", state.dataset?.source === "your text");
  }

  return { update };
}
