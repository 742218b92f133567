// The join slide, for the projector: the room code in huge type, a QR code that scans from the back
// of the room (at least 40 % of the screen's short side), the students' address, and how many have
// joined, live. The teacher shows it with J (or the dashboard's button); it goes when the lesson starts.

import { qrSrc } from "../api.js";
import { classView, joinedText } from "../classlist.js";
import { Overlay } from "./popover.js";
import { onPress, sameAsLast } from "../render/dom.js";

/** `joinUrl(state)`: the students' join page for this room (its QR code); `address(state)`: the
 * join page's address without the code, to type. */
export function JoinSlide(root, { joinUrl, address, onClose }) {
  const $ = Overlay(root, { id: "join-slide", label: "join slide", close: () => show(false), html: `
    <div class="js-words">
      <p class="js-lead">Join the class</p>
      <p class="js-address" id="js-address"></p>
      <p class="js-then">and type</p>
      <p class="js-code" id="js-code" aria-label="room code"></p>
      <p class="js-count" id="js-count" aria-live="polite"></p>
      <p class="js-local" id="js-local" hidden>Only this computer can open this address: start Flowscope with
        <code>flowscope --classroom</code> for the class's phones and laptops.</p>
    </div>
    <img class="js-qr" id="js-qr" alt="QR code: scan it to open the join page with the code filled in">
    <button type="button" class="btn js-close" id="js-close">Close (J) · PgDn starts the lesson</button>` });
  let lessonSeq = null;

  function show(on) {
    root.hidden = !on;
    document.documentElement.classList.toggle("join-slide-open", on);
    if (!on) onClose?.();
  }
  onPress($("#js-close"), () => show(false));

  const same = sameAsLast();
  function update(state) {
    const room = state.room;
    // the lesson starts (or moves): the slide gives the screen back
    if (lessonSeq !== null && room.lessonSeq !== lessonSeq && room.lesson && !root.hidden) show(false);
    lessonSeq = room.lessonSeq;
    if (!room.token && !root.hidden) show(false); // only the teacher's page shows it
    const url = room.id ? joinUrl(state) : "";
    const view = classView(room.roster, room.you);
    const local = room.info?.classroom === false; // GET /api/info: bound to loopback only
    const key = JSON.stringify([room.id, url, view.here, local]);
    if (same(key)) return;
    $("#js-code").textContent = room.id ?? "";
    $("#js-address").textContent = address(state);
    $("#js-count").textContent = joinedText(view);
    $("#js-local").hidden = !local;
    const qr = $("#js-qr");
    if (url && qr.dataset.text !== url) {
      qr.dataset.text = url;
      qr.src = qrSrc(url);
    }
  }

  return { update, show, toggle: () => show(root.hidden), isOpen: () => !root.hidden };
}
