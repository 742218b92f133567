// The students' join page (/join): the room code from the projector (or from the QR code's link),
// their name — required, remembered on this device — and Join, which opens /room/CODE?name=….
// The server checks the name; a refusal (or a code that is no room) comes back here with its words.

import { joinPath, parseJoinCode } from "./room.js";

export const NAME_KEY = "flowscope.name";

/** What the join page starts with, from its address and this device's memory. */
export function joinStart(search, remembered) {
  const q = new URLSearchParams(search);
  return {
    code: q.get("code") ?? "",
    name: q.get("name") ?? remembered ?? "",
    why: q.get("why") ?? "", // the room page's reason for sending the student back here
    field: q.get("field") === "name" ? "name" : "code",
  };
}

/** The page to open for a typed code and name, or the reason not to ({error, field}). */
export function joinTarget(codeText, nameText) {
  const code = parseJoinCode(codeText);
  if (!code) return { error: "A room code has 5 letters and digits, like K7QXP (no 0, O, 1, I or L).", field: "code" };
  const name = String(nameText ?? "").trim();
  if (!name) return { error: "Type your name, so your teacher sees who joined.", field: "name" };
  return { path: joinPath(code, name), name };
}

function mount() {
  const $ = (id) => document.getElementById(id);
  let store = null;
  try {
    store = globalThis.localStorage;
  } catch {
    store = null; // storage blocked (a private window's settings): the name is just not remembered
  }
  const start = joinStart(location.search, store?.getItem(NAME_KEY));
  // what someone typed before this module ran (it waits for the schema) is theirs: kept
  $("jp-code").value ||= start.code;
  $("jp-name").value ||= start.name;
  $("jp-error").textContent = start.why;
  const first = start.why ? start.field : start.code ? "name" : "code";
  $(first === "name" ? "jp-name" : "jp-code").focus();
  $("join-page-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const target = joinTarget($("jp-code").value, $("jp-name").value);
    if (target.error) {
      $("jp-error").textContent = target.error;
      $(target.field === "name" ? "jp-name" : "jp-code").focus();
      return;
    }
    try {
      store?.setItem(NAME_KEY, target.name);
    } catch {
      // full or blocked storage: joining matters more than remembering
    }
    location.assign(target.path);
  });
  document.body.dataset.ready = "1";
}

if (globalThis.document) mount();
