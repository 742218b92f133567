// "Link…": the address of the figures on screen (every setting is in it) as text and a QR code, with
// the classroom's public address in classroom mode, so a class opens the same figures on its own
// screens. It is a snapshot: the Scale page has no session to follow live.

import { fetchInfo, qrSrc } from "../api.js";
import { joinBase } from "../room.js";
import { Popover, copyText, el } from "../views/popover.js";

/** `bar`: where the button goes (before `before`); `search()`: the page's query string now. */
export function ShareLink(bar, { search, before = null }) {
  const button = el("button", { type: "button", id: "share-scale", class: "bar-button", title: "a link (and QR code) to these figures for other screens" }, "Link…");
  const panel = el("div", { class: "share-scale", role: "dialog", "aria-label": "link to these figures" });
  panel.innerHTML = `
    <p class="share-note">Opens these figures, with every setting, on another screen (a snapshot: later changes here do not follow).</p>
    <div class="share-row"><input id="share-link" readonly aria-label="link"><button type="button" class="btn" id="share-copy">Copy</button></div>
    <img id="share-qr" alt="QR code of the link" width="180" height="180">
    <span id="share-status" role="status"></span>`;
  bar.insertBefore(button, before);
  document.body.append(panel);
  let info = null;
  fetchInfo().then((i) => (info = i)).catch(() => {});

  function fill() {
    const link = `${joinBase(info, location.origin)}/scale${search()}`;
    panel.querySelector("#share-link").value = link;
    panel.querySelector("#share-qr").src = qrSrc(link);
    panel.querySelector("#share-status").textContent = "";
  }
  Popover(button, panel, { onOpen: fill });
  panel.querySelector("#share-copy").addEventListener("click", async (ev) => {
    ev.currentTarget.blur();
    const ok = await copyText(panel.querySelector("#share-link").value);
    panel.querySelector("#share-status").textContent = ok ? "Copied." : "Select the link and copy it.";
  });
  return { update() {} };
}
