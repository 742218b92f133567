// "Join a room": a student types the code from the projector (and their name, for the teacher's
// list) and goes to /room/CODE?name=… — that page joins as a viewer.

import { joinPath, parseJoinCode } from "../room.js";

export function JoinBox(root, { go, own }) {
  root.innerHTML = `
    <h3 class="rp-h">Join a room</h3>
    <form class="rp-row" id="join-form">
      <input id="join-code" class="join-code" maxlength="60" placeholder="CODE" aria-label="room code" autocomplete="off" spellcheck="false">
      <input id="join-name" maxlength="40" placeholder="your name (optional)" aria-label="your name" autocomplete="off">
      <button type="submit" class="btn" id="join-go">Join</button>
    </form>
    <p class="rp-note" id="join-error" role="alert"></p>
    <button type="button" class="btn" id="join-own" hidden>Start a room of my own</button>`;
  const $ = (sel) => root.querySelector(sel);
  $("#join-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const code = parseJoinCode($("#join-code").value);
    if (!code) {
      $("#join-error").textContent = "A room code has 5 letters and digits, like K7QXP (no 0, O, 1, I or L).";
      return;
    }
    $("#join-error").textContent = "";
    go(joinPath(code, $("#join-name").value));
  });
  $("#join-own").addEventListener("click", () => {
    $("#join-error").textContent = "";
    $("#join-own").hidden = true;
    own();
  });

  return {
    update() {},
    focus() {
      $("#join-code").focus();
    },
    /** The room could not be joined (full, or this computer's limit; the reason is the refusal note in
     * #join-error): offer the other way on — a room of one's own. */
    offerOwn() {
      $("#join-own").hidden = false;
    },
  };
}
