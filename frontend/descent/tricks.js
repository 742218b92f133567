// "Tricks": the four training tricks of the race as toggles with a visible effect — the
// learning-rate schedule (plotted), gradient clipping (‖g‖ with the clip events), initialization
// (per-layer sizes; networks only) and weight decay (‖θ‖ over time). Each section reads the race
// and sends its change with configure(change); the page passes it to every racer.
// Styles: styles/descent-panels.css (the page links it).

import { fmt, isNum } from "../render/format.js";
import { keepKeys, setDisabled } from "./chartbits.js";
import { ClipSection } from "./clipchart.js";
import { DecaySection } from "./decay.js";
import { INITS, LayerSection } from "./layerbars.js";
import { ScheduleSection } from "./schedule.js";
import { onPress } from "../render/dom.js";

const INIT_LABELS = Object.fromEntries(INITS.map(([v, label]) => [v, v === "large" ? label : v]));
const TABS = [
  ["schedule", "Schedule"],
  ["clip", "Clipping"],
  ["init", "Init"],
  ["decay", "Decay"],
];

/** What each trick is set to, for its tab: "cosine", "at 1.5", "he", "λ 0.01" (or "off"). */
export function trickSummaries(race) {
  const c = race?.config ?? {};
  const on = (v) => isNum(v) && v > 0;
  return {
    schedule: c.schedule ?? "constant",
    clip: on(c.clip) ? `at ${fmt(c.clip, 3)}` : "off",
    init: race?.model === "mlp" ? INIT_LABELS[c.init ?? "uniform"] ?? c.init : "—",
    decay: on(c.weight_decay) ? `λ ${fmt(c.weight_decay, 3)}` : "off",
  };
}

// Below this size the four sections take turns (tabs); above it they share a 2 × 2 grid.
const GRID_MIN = { w: 760, h: 600 };

export function TricksPanel(root, { configure }) {
  root.classList.add("tricks-panel");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Tricks</span>
      <span class="tr-tabs" role="tablist">${TABS.map(([k, t]) => `<button type="button" role="tab" class="tr-tab" data-tab="${k}" data-always="1">${t} <span class="tr-sum"></span></button>`).join("")}</span></div>
    <div class="tr-grid">${TABS.map(([k]) => `<section data-trick="${k}" role="tabpanel"></section>`).join("")}</div>`;
  keepKeys(root);
  const part = (name) => root.querySelector(`[data-trick="${name}"]`);
  const sections = [
    ScheduleSection(part("schedule"), { configure }),
    ClipSection(part("clip"), { configure }),
    LayerSection(part("init"), { configure }),
    DecaySection(part("decay"), { configure }),
  ];
  const tabs = [...root.querySelectorAll(".tr-tab")];
  let active = "schedule";
  let mode = "";
  let lastRace = null;
  let last = {};

  function show() {
    for (const t of tabs) {
      const on = mode === "grid" || t.dataset.tab === active;
      t.classList.toggle("on", mode !== "grid" && t.dataset.tab === active);
      t.setAttribute("aria-selected", String(on));
      part(t.dataset.tab).hidden = !on;
    }
  }
  for (const t of tabs) {
    onPress(t, () => {
      active = t.dataset.tab;
      if (mode === "grid") part(active).scrollIntoView({ block: "nearest" });
      show();
      if (lastRace) update(lastRace);
    });
  }

  function update(race) {
    if (!race) return;
    lastRace = race;
    const want = root.clientWidth >= GRID_MIN.w && root.clientHeight >= GRID_MIN.h ? "grid" : "tabs";
    if (want !== mode) {
      mode = want;
      root.classList.toggle("tr-all", mode === "grid");
      show();
    }
    const sums = trickSummaries(race);
    const sk = JSON.stringify(sums);
    if (sk !== last.sums) {
      last.sums = sk;
      for (const t of tabs) t.querySelector(".tr-sum").textContent = sums[t.dataset.tab];
    }
    sections.forEach((s, i) => {
      if (!part(TABS[i][0]).hidden || TABS[i][0] === "decay") s.update(race); // decay keeps its ‖θ‖ history even when hidden
    });
    const viewer = Boolean(race.viewer);
    if (viewer !== last.viewer) {
      last.viewer = viewer;
      setDisabled(root, viewer);
    }
  }

  return { update };
}
