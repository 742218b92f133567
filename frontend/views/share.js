// "Share settings" (the owner's): lock or hide each control group for the people who open a link,
// and the two links that carry it — the room (watch live) and the settings (a fresh run of one's own
// with these settings, seed included; a trained run's link is in the saved runs, views/runs.js). The
// owner's own page is not changed by it.

import { locationSearch } from "../config.js";
import { groupsFor, joinSearch, pageOptionsSearch } from "../locks.js";
import { roomLink } from "../room.js";
import { copyText, el } from "./popover.js";
import { onPress, sameAsLast } from "../render/dom.js";

const LABELS = {
  stage: "Stage →", back: "← Back", step: "Step", epoch: "Epoch", play: "Play", reset: "Reset", settings: "settings form",
  "network-editor": "network editor", "data-editor": "data editor", lr: "learning rate", batch_size: "batch size",
  seed: "seed", noise: "noise", speed: "steps/s", dataset: "dataset", bias: "bias b",
};

/** The link to a copy of this run: every setting (seed included) plus the locks. */
export function runLink(base, model, config, page) {
  return `${base}/${joinSearch(locationSearch(model, config), pageOptionsSearch(page))}`;
}

/** `base(state)`: the address others use (the LAN one in classroom mode). */
export function Share(root, { base, onLocks = () => {} }) {
  root.innerHTML = `
    <details id="share" class="share">
      <summary class="rp-h">Share settings…</summary>
      <p class="rp-note">Tick what the people who open these links may not use: <b>lock</b> shows it greyed out, <b>hide</b> leaves it out.</p>
      <div class="share-tables">
        <table class="share-table"><thead><tr><th>controls</th><th>lock</th><th>hide</th></tr></thead><tbody data-part="controls"></tbody></table>
        <table class="share-table"><thead><tr><th>settings</th><th>lock</th><th>hide</th></tr></thead><tbody data-part="settings"></tbody></table>
      </div>
      <label class="rp-field" for="share-room">Room link: watch live</label>
      <div class="rp-row share-link"><input id="share-room" readonly><button type="button" class="btn" data-copy="share-room">Copy</button></div>
      <label class="rp-field" for="share-run">Settings link: a fresh run of their own with these settings, from step 0 (for this trained run, save it and use Link under Saved runs)</label>
      <div class="rp-row share-link"><input id="share-run" readonly><button type="button" class="btn" data-copy="share-run">Copy</button></div>
      <span class="rp-note" id="share-status" role="status"></span>
    </details>`;
  const $ = (sel) => root.querySelector(sel);
  const bodies = { controls: root.querySelector('tbody[data-part="controls"]'), settings: root.querySelector('tbody[data-part="settings"]') };
  let latest = null;
  let model = null;

  function picked(kind) {
    return [...root.querySelectorAll(`input[data-kind="${kind}"]:checked`)].map((i) => i.dataset.group);
  }

  function links() {
    if (!latest?.session) return;
    const page = { lock: picked("lock"), hide: picked("hide") };
    const b = base(latest);
    $("#share-room").value = roomLink(b, latest.session.id, page);
    $("#share-run").value = runLink(b, latest.session.model, latest.session.config, page);
  }

  function build(m) {
    model = m;
    const groups = groupsFor(m);
    for (const [part, body] of Object.entries(bodies)) {
      body.replaceChildren();
      for (const g of groups[part]) body.appendChild(row(g));
    }
    links();
  }

  function row(g) {
    const tr = el("tr");
    tr.append(el("th", { scope: "row" }, LABELS[g] ?? g));
    for (const kind of ["lock", "hide"]) {
      const td = el("td");
      const box = el("input", { type: "checkbox", "data-kind": kind, "data-group": g, "aria-label": `${kind} ${LABELS[g] ?? g}` });
      onPress(box, () => {
        links();
        onLocks({ lock: picked("lock"), hide: picked("hide") });
      }, "change");
      td.appendChild(box);
      tr.appendChild(td);
    }
    return tr;
  }

  root.addEventListener("click", async (ev) => {
    const b = ev.target.closest?.("button[data-copy]");
    if (!b) return;
    b.blur();
    const ok = await copyText($(`#${b.dataset.copy}`).value);
    $("#share-status").textContent = ok ? "Copied." : "Select the link and copy it.";
  });

  const same = sameAsLast();
  function update(state) {
    latest = state;
    const s = state.session;
    root.hidden = !s || state.room.role !== "owner";
    if (!s) return;
    if (s.model !== model) build(s.model);
    const key = JSON.stringify([s.id, s.config, base(state)]);
    if (same(key)) return;
    links();
  }

  return { update };
}
