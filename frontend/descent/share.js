// "Watch this race": the link (and its QR code) a class opens to follow the race live. Each racer
// is a room; the link names the rooms, and the page that opens it joins them read-only — only the
// page that started the race steps it.

import { fetchInfo, qrSrc } from "../api.js";
import { joinBase } from "../room.js";
import { Popover, copyText, el } from "../views/popover.js";
import { watchSearch } from "./where.js";

/** `bar`: where the button goes (before `before`, when given). */
export function ShareRace(bar, { getRace, before = null }) {
  const button = el("button", { type: "button", id: "share-race", title: "a link the class opens to watch this race live" }, "Watch link…");
  const panel = el("div", { class: "share-race", role: "dialog", "aria-label": "watch this race" });
  panel.innerHTML = `
    <p class="share-race-note">Open this on other screens to watch the race live, read-only: this page steps it.</p>
    <div class="share-race-row"><input id="watch-link" readonly aria-label="watch link"><button type="button" class="btn" id="watch-copy">Copy</button></div>
    <img id="watch-qr" alt="QR code of the watch link" width="180" height="180">
    <span id="watch-status" role="status"></span>`;
  bar.insertBefore(button, before);
  document.body.append(panel);
  let info = null;
  fetchInfo().then((i) => (info = i)).catch(() => {});

  function fill() {
    const search = watchSearch(getRace());
    const link = search ? `${joinBase(info, location.origin)}/descent${search}` : "";
    panel.querySelector("#watch-link").value = link || "racers are still connecting…";
    const img = panel.querySelector("#watch-qr");
    img.hidden = !link;
    if (link) img.src = qrSrc(link);
    panel.querySelector("#watch-status").textContent = "";
  }
  Popover(button, panel, { onOpen: fill });
  panel.querySelector("#watch-copy").addEventListener("click", async (ev) => {
    ev.currentTarget.blur();
    const ok = await copyText(panel.querySelector("#watch-link").value);
    panel.querySelector("#watch-status").textContent = ok ? "Copied." : "Select the link and copy it.";
  });

  let last = null;
  return {
    update(race) {
      const hidden = !!race.viewer; // a watcher has nothing of its own to share
      if (hidden !== last) button.hidden = last = hidden;
    },
  };
}
