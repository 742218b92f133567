// Saved runs: "Save run" under a name (the owner; a viewer only once the owner allows it — the server
// answers not_owner otherwise), the id the server gave it, and the list of this owner token's saved
// runs with Load (a new room of your own) and the weights download.

import { weightsHref } from "../api.js";
import { MODEL_TITLES } from "../config.js";
import { el } from "./popover.js";

function defaultName(state) {
  const m = MODEL_TITLES[state.session?.model] ?? "run";
  const ds = state.session?.config?.dataset;
  return `${m}${ds ? ` ${String(ds).replace(/_/g, " ")}` : ""} after ${state.step} step${state.step === 1 ? "" : "s"}`;
}

function when(created) {
  const d = new Date(typeof created === "number" ? created * (created < 1e12 ? 1000 : 1) : created);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

/** `save(name)`, `load(id, intoRoom)`, `refresh()` (asks the server for the list again). */
export function Runs(root, { save, load, refresh }) {
  root.innerHTML = `
    <h3 class="rp-h" id="save-title">Save this run</h3>
    <form class="rp-row" id="save-form">
      <input id="save-name" maxlength="40" aria-label="name of the saved run" placeholder="a name for it" autocomplete="off">
      <button type="submit" class="btn" id="save-run">Save run</button>
    </form>
    <p class="rp-note" id="saved-line" role="status"></p>
    <h3 class="rp-h">Saved runs <span class="rp-note">Load opens one in a new room of yours.</span></h3>
    <ul class="rp-list runs" id="runs"></ul>`;
  const $ = (sel) => root.querySelector(sel);
  const name = $("#save-name");
  let latest = null;
  name.addEventListener("focus", () => {
    if (!name.value && latest) name.value = defaultName(latest);
    name.select();
  });
  $("#save-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = name.value.trim() || (latest ? defaultName(latest) : "untitled run");
    name.blur();
    $("#saved-line").textContent = "Saving…";
    save(text.slice(0, 40));
  });
  $("#runs").addEventListener("click", (ev) => {
    const b = ev.target.closest?.("button[data-run]");
    if (!b) return;
    b.blur();
    load(b.dataset.run, b.dataset.here === "1");
  });
  let lastSeq = 0;
  let lastRuns = null;

  function update(state) {
    latest = state;
    $("#save-form").hidden = $("#save-title").hidden = !state.session;
    const room = state.room;
    if (room.savedSeq !== lastSeq) {
      lastSeq = room.savedSeq;
      const s = room.saved;
      $("#saved-line").textContent = s ? `Saved “${s.name}” (${s.steps} steps) as run ${s.id}.` : "";
      $("#saved-line").dataset.id = s?.id ?? "";
      name.value = "";
      refresh();
    }
    if (room.runs === lastRuns) return;
    lastRuns = room.runs;
    const list = $("#runs");
    list.replaceChildren();
    if (!room.runs) return;
    if (!room.runs.length) list.appendChild(el("li", { class: "rp-note" }, "None yet."));
    for (const r of room.runs.slice(0, 30)) {
      const li = el("li", { "data-run": r.id });
      const what = el("span", { class: "rp-member" }, r.name);
      const meta = el("span", { class: "rp-note" }, `${MODEL_TITLES[r.model] ?? r.model} · ${r.steps} steps${when(r.created) ? ` · ${when(r.created)}` : ""}`);
      const loadBtn = el("button", { type: "button", class: "btn", "data-run": r.id, title: "as a new room of your own" }, "Load");
      // into this room: its code stays and everyone watching follows (the owner's choice in class)
      const here = el("button", { type: "button", class: "btn", "data-run": r.id, "data-here": "1", title: "into this room: same code, everyone follows" }, "Load here");
      const dl = el("a", { class: "btn", href: r.href ?? weightsHref(r.id), download: "", title: "The weights as a PyTorch state_dict (torch.load it)" }, "Download weights");
      li.append(el("span", { class: "run-what" }), loadBtn, here, dl);
      li.firstChild.append(what, meta);
      list.appendChild(li);
    }
  }

  return { update };
}
