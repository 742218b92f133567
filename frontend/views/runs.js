// Saved runs: "Save run" under a name (the owner; a viewer only once the owner allows it — the server
// answers not_owner otherwise), the id the server gave it, and the list of this browser's saved runs
// (tokens.js ownerKey: the same list in every room it opens) with Load (a new room of your own), Load
// here, Link (opens the trained run at its step to view, or copy to train on), the weights download and
// Delete. A teacher may keep them under a name and passphrase instead: the same list in any browser.
// Each row reads whole at every width: the name wraps rather than being cut, the details wrap between
// items (never one word a line), the buttons wrap under them.

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

function size(bytes) {
  if (!Number.isFinite(bytes)) return "";
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** The details of a run, each an unbreakable item: a line breaks between them only. */
function details(r) {
  const items = [MODEL_TITLES[r.model] ?? r.model, `${r.steps} step${r.steps === 1 ? "" : "s"}`, when(r.created), size(r.bytes)];
  const meta = el("span", { class: "rp-note run-meta" });
  for (const text of items.filter(Boolean)) meta.append(el("span", {}, text));
  return meta;
}

const CONFIRM_MS = 4000; // Delete asks once more, this long
const SHOWN = 30; // the newest runs listed (an owner keeps up to max_saved_runs_per_owner)

/** `save(name)`, `load(id, intoRoom)`, `refresh()` (asks the server for the list again), `remove(id)`
 * (deletes one; resolves true when done), `link(run)` (copies its trained-run link; resolves a note);
 * `whose()`: the name the runs are kept under, or null; `named(name, passphrase)` keeps them under it
 * (resolves a note), `forget()` goes back to this browser's own. */
export function Runs(root, { save, load, refresh, remove, link, whose, named, forget }) {
  root.innerHTML = `
    <h3 class="rp-h" id="save-title">Save this run</h3>
    <form class="rp-row" id="save-form">
      <input id="save-name" maxlength="40" aria-label="name of the saved run" placeholder="a name for it" autocomplete="off">
      <button type="submit" class="btn" id="save-run">Save run</button>
    </form>
    <p class="rp-note" id="saved-line" role="status"></p>
    <h3 class="rp-h">Saved runs <span class="rp-note">this browser's (or your name's), in every room. Load opens one in a new room of yours; Link opens it at its step for whoever you give it.</span></h3>
    <p class="rp-row run-owner"><span class="rp-note" id="owner-line"></span>
      <button type="button" class="btn" id="owner-forget">Forget the name here</button></p>
    <details id="owner-details"><summary class="rp-note">Keep them under your name, to list them in another browser</summary>
      <form class="rp-row" id="owner-form">
        <input id="owner-name" maxlength="60" aria-label="your name" placeholder="your name" autocomplete="username">
        <input id="owner-pass" type="password" maxlength="200" aria-label="a passphrase" placeholder="a passphrase (8+ characters)" autocomplete="current-password">
        <button type="submit" class="btn" id="owner-use">Keep them</button>
      </form></details>
    <p class="rp-note" id="owner-said" role="status"></p>
    <ul class="rp-list runs" id="runs"></ul>
    <p class="rp-note" id="runs-more"></p>
    <p class="rp-note" id="runs-line" role="status"></p>`;
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
  function showOwner() {
    const who = whose?.() ?? null;
    $("#owner-line").textContent = who ? `Kept under the name “${who}”.` : "";
    $("#owner-forget").hidden = !who;
    $("#owner-details").hidden = !!who;
  }
  showOwner();
  $("#owner-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#owner-use").disabled = true;
    $("#owner-said").textContent = await named($("#owner-name").value.trim(), $("#owner-pass").value);
    $("#owner-use").disabled = false;
    $("#owner-pass").value = "";
    showOwner();
  });
  $("#owner-forget").addEventListener("click", () => {
    forget();
    $("#owner-said").textContent = "This browser keeps its own runs again; yours stay under your name.";
    showOwner();
  });
  const armed = new Map(); // run id → the timer of a Delete that asked "sure?"
  $("#runs").addEventListener("click", async (ev) => {
    const b = ev.target.closest?.("button[data-run]");
    if (!b) return;
    b.blur();
    const id = b.dataset.run;
    const run = latest?.room.runs?.find((r) => r.id === id);
    if (b.dataset.act === "link") {
      if (run) $("#runs-line").textContent = await link(run);
    } else if (b.dataset.act === "delete") {
      if (!armed.has(id)) {
        b.textContent = "Delete? Click again";
        armed.set(id, setTimeout(() => {
          armed.delete(id);
          b.textContent = "Delete";
        }, CONFIRM_MS));
        return;
      }
      clearTimeout(armed.get(id));
      armed.delete(id);
      b.disabled = true;
      const ok = await remove(id);
      $("#runs-line").textContent = ok ? `Deleted “${run?.name ?? id}”.` : "Could not delete it: try again.";
      b.disabled = false;
      b.textContent = "Delete";
    } else load(id, b.dataset.act === "here");
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
      $("#saved-line").textContent = s ? `Saved “${s.name}” (${s.steps} step${s.steps === 1 ? "" : "s"}) as run ${s.id}.` : "";
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
    $("#runs-more").textContent = room.runs.length > SHOWN ? `The newest ${SHOWN} of ${room.runs.length} are shown.` : "";
    for (const r of room.runs.slice(0, SHOWN)) {
      const li = el("li", { "data-run": r.id });
      const what = el("span", { class: "run-what" });
      what.append(el("span", { class: "rp-member run-name" }, r.name), details(r));
      const actions = el("span", { class: "run-actions" });
      const button = (act, text, title) => el("button", { type: "button", class: "btn", "data-run": r.id, "data-act": act, title }, text);
      actions.append(
        button("load", "Load", "as a new room of your own"),
        // into this room: its code stays and everyone watching follows (the owner's choice in class)
        button("here", "Load here", "into this room: same code, everyone follows"),
      );
      if (r.share) actions.append(button("link", "Link", "copy a link that opens this run at its step: to view, or copy to train on"));
      actions.append(
        el("a", { class: "btn", href: r.href ?? weightsHref(r.id), download: "", title: "The weights as a PyTorch state_dict (torch.load it)" }, "Download weights"),
        button("delete", "Delete", "delete this saved run (its links stop working)"),
      );
      li.append(what, actions);
      list.appendChild(li);
    }
  }

  return { update };
}
