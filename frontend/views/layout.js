// What the page shows and lets you touch: presenter mode, the URL's locked and hidden controls,
// and a lesson step's views and controls. Runs after every other view in a render, so a control a
// view has just rebuilt or re-enabled is locked again before the frame is painted.

import { effectiveControls } from "../locks.js";
import { driveState } from "../room.js";
import { fillAreas, hiddenElements, panelRows, panelsPerRow } from "../lesson.js";
import { COMMANDS } from "./controls.js";
import { el } from "./popover.js";
import { onPress, sameAsLast } from "../render/dom.js";

/** Each control group (and single setting) → the elements that make it up on either page. */
const GROUPS = {
  ...Object.fromEntries(COMMANDS.map((id) => [id, `#controls #${id}`])),
  settings: "#settings",
  "network-editor": "#network .net-layers, #network .net-init, #network .net-cols button, #network .net-cols select",
  "data-editor": "#netdata .nd-row, #netdata .nd-slider, #netdata .nd-draw, #netdata .nd-files, #netdata .nd-features, #netdata .nd-feat-title",
  dataset: "#settings .field-dataset, #nd-dataset",
  noise: "#settings .field-noise, #netdata .nd-slider:has(#nd-noise)",
  seed: "#settings .field-seed, #nd-regen",
  test_fraction: "#netdata .nd-slider:has(#nd-split)",
  features: "#settings .field-features, #netdata .nd-features, #netdata .nd-feat-title",
  hidden: "#network .net-layers, #network .net-units",
  activation: "#network .net-cols select",
  init: "#network .net-init",
};

function selectorOf(group) {
  return GROUPS[group] ?? `#settings .field-${group}`;
}

const UNIT_WEIGHTS = { "formula-panel": 38, dataplot: 34, stack: 28 };
// A lesson step's formula, data plot and charts in a workspace narrower than this (a 1024 px
// projector beside the lesson): formula and data side by side, the charts in a row under them.
const UNIT_ROWS_BELOW = 800;
const NET_AREAS = ["data net out", "loss formula formula"];
// The width : height each Transformer panel reads best at: square heatmaps, a column of bars, wide
// curves and sample lines.
const GPT_SHAPES = { "gpt-attention": 1, "gpt-probs": 0.9, "gpt-formula": 1.2, "gpt-loss": 1.8, "gpt-samples": 2 };
const AREA_OF = { netdata: "data", network: "net", netformula: "formula", boundary: "out", netloss: "loss" };

function lessonStep(room) {
  const data = room.lesson ? room.lessonData[room.lesson.id] : null;
  return data?.steps?.[room.lesson.step] ?? null;
}

/** The effective lock/hide sets for this state (app.js asks before sending). */
export function controlsFor(state) {
  const step = lessonStep(state.room);
  return effectiveControls({ ...state.room.page, lessonControls: step?.controls ?? null });
}

/** `relayout()`: ask for one more render — views sized their canvases before the layout changed. */
export function Layout({ relayout }) {
  // The body keeps its size when the bars around the workspace change (a Fork button, a lesson
  // panel, presenter type): watch the panels' own boxes, so the canvases get sized again.
  let moved = true; // the panels' boxes changed since the lesson panel was placed
  const watch = new ResizeObserver(() => {
    moved = true;
    relayout();
  });
  for (const e of document.querySelectorAll(".workspace, #pipeline")) watch.observe(e);
  let lastLayout = "";
  let offEls = new Set();
  let lockedEls = new Set();

  function mark(sel, cls, into) {
    for (const e of document.querySelectorAll(sel)) {
      e.classList.add(cls);
      into.add(e);
    }
  }

  function applyViews(limited) {
    const unit = document.getElementById("unit-workspace");
    if (unit) {
      const cols = [["formula-panel", document.getElementById("formula-panel")], ["dataplot", document.getElementById("dataplot")],
        ["stack", unit.querySelector(".panel-stack")]];
      const shown = cols.filter(([, e]) => e && !e.classList.contains("fs-off"));
      // Three columns under UNIT_ROWS_BELOW px left the charts 150 px wide: two rows instead.
      const rows = limited && shown.length === 3 && unit.clientWidth < UNIT_ROWS_BELOW;
      unit.classList.toggle("unit-rows", rows);
      // The loss chart alone reads well in half the width: the formula takes the left column top to
      // bottom, so the values table the step talks about (w, b, L, η) shows every row. The line's
      // landscape keeps the whole width: it is the star of its lessons.
      const charts = [...(shown.at(-1)?.[1].children ?? [])].filter((e) => !e.hidden && !e.classList.contains("fs-off"));
      unit.classList.toggle("unit-formula-col", rows && charts.length === 1 && charts[0].id === "losschart");
      unit.style.gridTemplateColumns = limited && shown.length && !rows ? shown.map(([id]) => `minmax(0, ${UNIT_WEIGHTS[id]}fr)`).join(" ") : "";
    }
    const net = document.getElementById("net-workspace");
    if (net) {
      const hidden = new Set(Object.entries(AREA_OF).filter(([id]) => document.getElementById(id)?.classList.contains("fs-off")).map(([, a]) => a));
      const rows = hidden.size ? fillAreas(NET_AREAS, hidden) : null;
      net.style.gridTemplateAreas = rows ? rows.map((r) => `"${r}"`).join(" ") : "";
    }
  }

  /** The Transformer's panels a lesson step leaves, in even rows that fill the page (none: its own
   * grid, gpt.css): as many to a row as suits the workspace's shape (lesson.panelsPerRow), under the
   * probe row when the step shows it. */
  function arrangeGpt(limited) {
    const gpt = document.getElementById("gpt-workspace");
    if (!gpt) return;
    const probe = document.getElementById("gpt-probe");
    const panels = [...gpt.children].filter((e) => e.classList.contains("panel") && e !== probe);
    const shown = limited ? panels.filter((e) => !e.hidden && getComputedStyle(e).display !== "none") : [];
    const probeH = probe && probe.getBoundingClientRect().height;
    const gap = parseFloat(getComputedStyle(gpt).rowGap) || 0;
    const perRow = panelsPerRow(shown.map((e) => GPT_SHAPES[e.id] ?? 1.6), gpt.clientWidth, gpt.clientHeight - (probeH ? probeH + gap : 0));
    const { rows, spans } = panelRows(shown.length, perRow);
    gpt.style.gridTemplateRows = rows ? `${probeH ? "auto " : ""}repeat(${rows}, minmax(0, 1fr))` : "";
    for (const e of panels) e.style.gridColumn = "";
    shown.forEach((e, i) => (e.style.gridColumn = `span ${spans[i]}`));
  }

  function update(state) {
    const room = state.room;
    const { presenter } = room.page;
    document.documentElement.classList.toggle("presenter", !!presenter);
    document.body.dataset.drive = driveState(room) ?? ""; // for the stylesheet: owner, driving, watching
    const eff = controlsFor(state);
    const step = lessonStep(room);
    const viewIds = hiddenElements(step?.views);
    // A network's data panel is its data editor: on a projector its space goes to the diagram.
    if (presenter && state.session?.model === "mlp" && !viewIds.includes("netdata")) viewIds.push("netdata");

    const nextOff = new Set();
    for (const g of eff.hidden) mark(selectorOf(g), "fs-off", nextOff);
    for (const id of viewIds) {
      const e = document.getElementById(id);
      if (e) {
        e.classList.add("fs-off");
        nextOff.add(e);
      }
    }
    const stack = document.querySelector("#unit-workspace .panel-stack");
    if (stack && viewIds.includes("losschart") && (viewIds.includes("curve") || state.session?.model !== "line")) {
      stack.classList.add("fs-off");
      nextOff.add(stack);
    }
    for (const e of offEls) if (!nextOff.has(e)) e.classList.remove("fs-off");
    offEls = nextOff;
    applyViews(viewIds.length > 0);

    // Locks come from the URL and never lift while the page lives: disabling is enough, no undo.
    const nextLocked = new Set();
    for (const g of eff.locked) mark(selectorOf(g), "fs-locked", nextLocked);
    for (const e of nextLocked) {
      const controls = e.matches("button, input, select, textarea") ? [e] : e.querySelectorAll("button, input, select, textarea");
      for (const c of controls) {
        c.disabled = true;
        c.title = "Locked in this link";
      }
    }
    lockedEls = nextLocked;
    document.body.classList.toggle("with-lesson", !!step);
    const layoutKey = JSON.stringify([presenter, [...eff.hidden], viewIds, !!step, document.body.dataset.drive]);
    if (layoutKey !== lastLayout) {
      lastLayout = layoutKey;
      moved = true;
      relayout();
    }
    if (moved) arrangeGpt(viewIds.length > 0); // the grid changes or the page was resized
    staleCanvases();
    const panel = document.getElementById("lesson-panel");
    if (moved) {
      moved = false;
      if (!panel || !step) return;
      const loop = document.getElementById("pipeline");
      const above = loop && !loop.classList.contains("fs-off") ? loop : document.querySelector(".topbar");
      if (above) panel.style.top = `${Math.round(above.getBoundingClientRect().bottom + 8)}px`;
    }
  }

  // Views earlier in this render may have moved things and back (a bar that wraps for a moment):
  // a canvas measured in between keeps a stale size the ResizeObserver never reports. Ask again,
  // once per such size.
  let lastStale = "";
  function staleCanvases() {
    const dpr = window.devicePixelRatio || 1;
    const stale = [...document.querySelectorAll(".workspace canvas")]
      .filter((c) => c.clientWidth > 0 && c.clientHeight > 0 && c.width > 64) // not the fixed-size node pictures
      .filter((c) => Math.abs(c.width - Math.round(c.clientWidth * dpr)) > 1 || Math.abs(c.height - Math.round(c.clientHeight * dpr)) > 1)
      .map((c) => `${c.closest("[id]")?.id}:${c.clientWidth}x${c.clientHeight}`)
      .join(",");
    if (stale && stale !== lastStale) relayout();
    lastStale = stale;
  }

  return { update, locked: () => lockedEls };
}

/** The presenter toggle (key P): projector-size type, high contrast, advanced controls hidden. */
export function PresenterButton(bar, { toggle }) {
  const b = el("button", { type: "button", id: "presenter-toggle", class: "bar-button", "aria-pressed": "false",
    title: "Presenter mode: large type, high contrast, advanced controls hidden (P)" });
  b.append(el("span", {}, "Presenter"));
  onPress(b, () => toggle());
  bar.appendChild(b);
  const same = sameAsLast();
  return {
    update(state) {
      const on = !!state.room.page.presenter;
      if (same(on)) return;
      b.setAttribute("aria-pressed", String(on));
    },
  };
}
