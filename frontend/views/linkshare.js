// A button that opens a link to this page for other screens: the link as text (with the classroom's
// public address in classroom mode), a Copy button and its QR code. The Scale page's "Link…" and the
// Descent page's "Watch link…" are both this; each says what its link opens.

import { fetchInfo, qrSrc } from "../api.js";
import { joinBase } from "../room.js";
import { Popover, copyText, el } from "./popover.js";
import { onPress } from "../render/dom.js";

/**
 * `bar`: where the button goes (before `before`); `path()`: the link's path and query, or "" while
 * there is none yet (`waiting` is shown instead); `ids`: the prefix of the panel's element ids, and
 * `cls` the page's own class for the panel (its look is .link-share's, styles/topbar.css).
 */
export function LinkShare(bar, { id, label, title, note, path, waiting = "", ids, cls, buttonClass = "", before = null }) {
  const button = el("button", { type: "button", id, class: buttonClass, title }, label);
  const panel = el("div", { class: `link-share ${cls}`, role: "dialog", "aria-label": title });
  panel.innerHTML = `
    <p class="link-share-note">${note}</p>
    <div class="link-share-row"><input id="${ids}-link" readonly aria-label="link"><button type="button" class="btn" id="${ids}-copy">Copy</button></div>
    <img id="${ids}-qr" alt="QR code of the link" width="180" height="180">
    <span id="${ids}-status" role="status"></span>`;
  bar.insertBefore(button, before);
  document.body.append(panel);
  const $ = (name) => panel.querySelector(`#${ids}-${name}`);
  let info = null;
  fetchInfo().then((i) => (info = i)).catch(() => {});

  function fill() {
    const p = path();
    const link = p ? `${joinBase(info, location.origin)}${p}` : "";
    $("link").value = link || waiting;
    $("qr").hidden = !link;
    if (link) $("qr").src = qrSrc(link);
    $("status").textContent = "";
  }
  Popover(button, panel, { onOpen: fill });
  onPress($("copy"), async () => {
    const ok = await copyText($("link").value);
    $("status").textContent = ok ? "Copied." : "Select the link and copy it.";
  });
  return button;
}
