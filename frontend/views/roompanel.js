// The room: a button in the top bar with the code, and its card — the code in letters big enough
// for the back row, a QR code and the link (never with the owner token), who drives, and the
// owner's list of members with "give control". Fork and take-back live in RoomActions, beside the
// stepping buttons, where a student looks for them.

import { qrSrc } from "../api.js";
import { driveState, rosterView } from "../room.js";
import { copyText, el, Popover } from "./popover.js";
import { onPress, sameAsLast } from "../render/dom.js";

const DRIVE_TEXT = {
  owner: "You drive this room. Everyone who opens the link watches live, in step with you.",
  driving: "You are driving this room now: the class sees your steps. The teacher can take control back.",
  watching: "You are watching: the room's owner drives. Fork to experiment on your own copy.",
  viewing: "You are viewing a shared run at the step it was saved: nothing here can change it. Copy it to train on.",
};

/** `joinUrl(state)`: the link others open; `actions`: {handover(id, label), setName(name)}. */
export function RoomPanel(bar, panel, { joinUrl, actions, onOpen }) {
  const button = el("button", { type: "button", id: "room-button", class: "room-button", title: "Room code, QR code and link for the class" });
  const codeEl = el("b", { id: "room-code", class: "room-code" }, "—");
  button.append(el("span", { class: "rb-label" }, "Room"), codeEl);
  const driving = el("span", { id: "driving", class: "driving-badge", hidden: true }, "you are driving");
  bar.append(button, driving);

  panel.innerHTML = `
    <section class="rp-join">
      <h2 class="rp-title">Join this room</h2>
      <div class="rp-code" id="room-code-big" aria-label="room code"></div>
      <img class="rp-qr" id="room-qr" alt="QR code of the room link" width="200" height="200">
      <a class="rp-link" id="room-link" target="_blank" rel="noopener"></a>
      <p class="rp-warn" id="room-local" role="note" hidden>This link and QR code work only on this
        computer: the server listens on 127.0.0.1. For students' phones and laptops, stop it and start
        it again with <code>flowscope --classroom</code> (it then serves the local network and shows
        its address here).</p>
      <div class="rp-row"><button type="button" class="btn" id="copy-link">Copy link</button>
        <span class="rp-note" id="copy-status" role="status"></span></div>
    </section>
    <div class="rp-side">
      <section class="rp-drive">
        <p id="drive-line" class="rp-drive-line"></p>
        <form class="rp-row" id="name-form" hidden>
          <label class="rp-field">Your name <input id="your-name" maxlength="40" autocomplete="off"></label>
          <button type="submit" class="btn">Set</button>
        </form>
      </section>
      <section class="rp-roster" id="roster-section" hidden>
        <h3 class="rp-h">In this room <span id="roster-count" class="rp-note"></span></h3>
        <ul id="roster" class="rp-list"></ul>
      </section>
      <section id="runs-section" class="rp-runs"></section>
      <section id="share-section" class="rp-share"></section>
      <section id="join-section" class="rp-joinbox"></section>
    </div>`;
  const $ = (sel) => panel.querySelector(sel);
  const popover = Popover(button, panel, { onOpen, id: "room-panel", label: "room" });
  const nameInput = $("#your-name");
  let link = "";

  onPress($("#copy-link"), async () => {
    const ok = await copyText(link);
    $("#copy-status").textContent = ok ? "Copied." : "Copy it from the line above.";
  });
  $("#name-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    nameInput.blur();
    const name = nameInput.value.trim();
    if (name) actions.setName(name);
  });
  $("#roster").addEventListener("click", (ev) => {
    const b = ev.target.closest?.("button[data-member]");
    if (!b) return;
    b.blur();
    actions.handover(b.dataset.member, b.dataset.label);
  });

  let last = "";
  const same = sameAsLast();

  function update(state) {
    const room = state.room;
    const code = room.id ?? "";
    const drive = driveState(room);
    const url = code ? joinUrl(state) : "";
    const local = room.info?.classroom === false; // GET /api/info: bound to loopback only
    const viewing = !!code && room.viewing === code;
    const key = [code, drive, url, room.driver, local, viewing].join("|");
    if (key !== last) {
      last = key;
      link = url;
      codeEl.textContent = code || "—";
      $("#room-code-big").textContent = code || "—";
      // Break the link before "/room/", never inside the code.
      const cut = url.lastIndexOf("/room/");
      $("#room-link").replaceChildren(url.slice(0, cut), el("wbr"), url.slice(cut));
      $("#room-link").href = url || "#";
      const qr = $("#room-qr");
      if (url && qr.dataset.text !== url) {
        qr.dataset.text = url;
        qr.src = qrSrc(url);
      }
      qr.hidden = !url;
      $("#room-local").hidden = !local || !url;
      $(".rp-join").hidden = !code; // not in a room (yet, or it was not found): only "Join a room"
      button.classList.toggle("viewer", drive === "watching");
      button.title = code ? `Room ${code}: its code, QR code and link for the class` : "Not in a room yet";
      driving.hidden = drive !== "driving";
      let text = DRIVE_TEXT[viewing && drive === "watching" ? "viewing" : drive] ?? "";
      if (drive === "watching" && room.token) {
        text = `${room.driver ?? "Your other tab or window of this room"} is driving. Take control back whenever you like.`;
      }
      $("#drive-line").textContent = text;
      $("#name-form").hidden = drive !== "watching" || room.token;
      $("#copy-status").textContent = "";
    }
    const view = rosterView(room.roster, room.you, room.role);
    const rkey = JSON.stringify([view, room.role]);
    if (same(rkey)) return;
    $("#roster-section").hidden = room.role !== "owner";
    $("#roster-count").textContent = view.count ? `(${view.count} besides you)` : "";
    const list = $("#roster");
    list.replaceChildren();
    if (!view.rows.length) list.appendChild(el("li", { class: "rp-note" }, "Nobody else yet: share the code or the QR code."));
    for (const r of view.rows) {
      const li = el("li", { "data-member": r.id });
      li.append(el("span", { class: "rp-member" }, r.label));
      if (r.role === "owner") li.append(el("span", { class: "rp-tag" }, "driving"));
      if (r.canGive) li.append(el("button", { type: "button", class: "btn give", "data-member": r.id, "data-label": r.label }, "Give control"));
      list.appendChild(li);
    }
  }

  return { update, popover, sections: { runs: $("#runs-section"), share: $("#share-section"), join: $("#join-section") } };
}

/** Beside the stepping buttons: "Fork" for whoever watches, "Take control back" for the creator,
 * "Back to the class" for a student in the room they forked. */
export function RoomActions(root, { fork, reclaim, home }) {
  root.classList.add("room-actions");
  const forkBtn = el("button", { type: "button", id: "fork", class: "btn fork", title: "Copy this run, as it is now, into a room of your own" }, "Fork — experiment on your own");
  const reclaimBtn = el("button", { type: "button", id: "reclaim", class: "btn reclaim" }, "Take control back");
  onPress(forkBtn, () => fork());
  onPress(reclaimBtn, () => reclaim());
  const homeBtn = el("button", { type: "button", id: "back-to-class", class: "btn home", title: "Leave your copy and watch the class's room again" }, "Back to the class");
  onPress(homeBtn, () => home());
  root.append(forkBtn, reclaimBtn, homeBtn);
  let last = "";

  function update(state) {
    const room = state.room;
    const drive = driveState(room);
    const away = !!room.home && !!room.id && room.home !== room.id && drive === "owner";
    const viewing = !!room.id && room.viewing === room.id; // a shared run opened to view: the fork is its copy
    const key = `${drive}|${room.token}|${state.conn}|${away}|${viewing}`;
    if (key === last) return;
    last = key;
    forkBtn.textContent = viewing ? "Copy to train on" : "Fork — experiment on your own";
    forkBtn.title = viewing ? "A copy of this run, at this step, in a room of your own: train it on" : "Copy this run, as it is now, into a room of your own";
    forkBtn.hidden = drive !== "watching" || room.token;
    reclaimBtn.hidden = !(drive === "watching" && room.token);
    homeBtn.hidden = !away;
    forkBtn.disabled = reclaimBtn.disabled = state.conn !== "open";
  }

  return { update };
}
