// The teacher's dashboard: a "Class" button in the room card (for whoever holds the room's owner
// token; C from anywhere — the top bar has no room for one more button at 1024 px) and its panel — who is here, each student's state (following / forked / disconnected), a forked
// student's step and loss as their room's runner reports them, and the teacher's moves: give control,
// take it back, remove a student, bring everyone back, show the join slide.

import { classView, driverText } from "../classlist.js";
import { fmt } from "../render/format.js";
import { el, Overlay } from "./popover.js";
import { onPress, sameAsLast } from "../render/dom.js";

/** `row`: where its buttons go (the room card); `actions`: {give(id, label), takeBack(), remove(id, label),
 * recall(), slide()}. */
export function Dashboard(row, panel, actions) {
  const button = el("button", { type: "button", id: "dashboard-button", class: "btn", hidden: true,
    "aria-expanded": "false", "aria-controls": "dashboard", title: "Who is here, and bring everyone back (C)" }, "Class");
  const slideButton = el("button", { type: "button", id: "join-slide-button", class: "btn", hidden: true,
    title: "The projector's join slide: code, QR code, how many joined (J)" }, "Join slide (J)");
  row.append(button, slideButton);
  const $ = Overlay(panel, { id: "dashboard", label: "class", close: () => show(false), html: `
    <header class="db-head">
      <h2 class="db-title">Class <span id="db-code"></span></h2>
      <button type="button" class="btn db-close" id="db-close" aria-label="close the class list">×</button>
    </header>
    <p class="db-counts" id="db-counts" aria-live="polite"></p>
    <p class="db-driver" id="db-driver"></p>
    <div class="db-actions">
      <button type="button" class="btn" id="db-recall">Bring everyone back</button>
      <button type="button" class="btn" id="db-reclaim" hidden>Take control back</button>
      <button type="button" class="btn" id="db-slide">Join slide</button>
    </div>
    <table class="db-table">
      <thead><tr><th scope="col">Student</th><th scope="col">State</th><th scope="col" class="num">Step</th>
        <th scope="col" class="num">Loss</th><th scope="col"><span class="db-sr">Actions</span></th></tr></thead>
      <tbody id="db-rows"></tbody>
    </table>
    <p class="db-empty" id="db-empty">Nobody has joined yet: show the join slide (J).</p>` });

  /** Under the top bar, whatever its height (it wraps to two rows on a 1024 px screen). */
  function place() {
    const top = document.querySelector("header")?.getBoundingClientRect().bottom ?? 56;
    panel.style.top = `${Math.round(top + 6)}px`;
    panel.style.maxHeight = `calc(100vh - ${Math.round(top + 16)}px)`;
  }
  window.addEventListener("resize", () => panel.hidden || place());

  function show(on) {
    if (on) place();
    panel.hidden = !on;
    button.setAttribute("aria-expanded", String(on));
    if (!on && panel.contains(document.activeElement)) document.activeElement.blur();
  }
  onPress(button, () => show(panel.hidden));
  onPress(slideButton, () => actions.slide());
  onPress($("#db-close"), () => show(false));
  onPress($("#db-recall"), () => actions.recall());
  onPress($("#db-reclaim"), () => actions.takeBack());
  onPress($("#db-slide"), () => actions.slide());
  $("#db-rows").addEventListener("click", (ev) => {
    const b = ev.target.closest?.("button[data-act]");
    if (!b) return;
    b.blur();
    const { act, member, label } = b.dataset;
    if (act === "give") actions.give(member, label);
    else if (act === "back") actions.takeBack();
    else if (act === "remove") actions.remove(member, label);
  });

  const same = sameAsLast();
  function update(state) {
    const room = state.room;
    const teacher = !!room.token && !!room.role; // holds the owner token: the teacher of this room
    const view = classView(room.roster, room.you);
    const key = JSON.stringify([teacher, room.id, room.role, view, state.conn]);
    if (same(key)) return;
    button.hidden = slideButton.hidden = !teacher;
    if (!teacher) show(false);
    button.textContent = `Class (C) · ${view.here} here`;
    $("#db-code").textContent = room.id ? `· room ${room.id}` : "";
    $("#db-counts").textContent = `${view.here} following · ${view.forked} forked · ${view.gone} disconnected`;
    $("#db-driver").textContent = driverText(view);
    const online = state.conn === "open";
    $("#db-recall").disabled = !online || view.forked === 0;
    $("#db-recall").textContent = view.forked ? `Bring everyone back (${view.forked})` : "Bring everyone back";
    $("#db-reclaim").hidden = room.role === "owner";
    const rows = $("#db-rows");
    rows.replaceChildren();
    for (const r of view.rows) {
      const tr = el("tr", { "data-member": r.id, "data-state": r.state, "data-name": r.label });
      tr.append(el("th", { scope: "row", class: "db-name" }, r.label));
      const st = el("td", { class: `db-state ${r.state}` }, r.drives ? "driving" : r.state);
      tr.append(st, el("td", { class: "num db-step" }, r.step === null ? "" : String(r.step)),
        el("td", { class: "num db-loss" }, r.loss === null ? "" : fmt(r.loss)));
      const acts = el("td", { class: "db-acts" });
      if (r.canGive) acts.append(el("button", { type: "button", class: "btn", "data-act": "give", "data-member": r.id, "data-label": r.label, disabled: !online }, "Give control"));
      if (r.drives) acts.append(el("button", { type: "button", class: "btn", "data-act": "back", disabled: !online }, "Take back"));
      acts.append(el("button", { type: "button", class: "btn db-remove", "data-act": "remove", "data-member": r.id, "data-label": r.label, disabled: !online }, "Remove"));
      tr.append(acts);
      rows.append(tr);
    }
    $("#db-empty").hidden = view.rows.length > 0;
  }

  return { update, show, toggle: () => show(panel.hidden), isOpen: () => !panel.hidden };
}
