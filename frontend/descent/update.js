// "The update, for one weight": pick a weight, and every racer shows how its optimizer moved that
// weight in the last step — the rule in symbols, the server's lines with the numbers, and the
// parts as a small table (Adam: g, m, v, 1−β₁ᵗ, 1−β₂ᵗ, m̂, v̂, the step, before → after). Every
// number is the engine's `explain` reply; this file formats and lays out only.
//
// The page must include <link rel="stylesheet" href="/static/styles/descent-panels.css">
// (this panel's and the tricks panel's styles).

import { fmt, isNum, sub } from "../render/format.js";
import { keepKeys, optimizerName, racerStyle, swatch } from "./chartbits.js";
import { el, onPress } from "../render/dom.js";

/** Layer k of `depth` as people say it: hidden 1, hidden 2, …, output. */
export function layerLabel(k, depth) {
  return k === depth - 1 ? "output" : `hidden ${k + 1}`;
}

/**
 * The weights one can pick: [{name, index, label, group}], from a racer's state.params.
 * neuron/line: w (one per feature) and b (the line only with config.bias); mlp: every W_k[i,j]
 * ((out × in), as the wire stores it) and b_k[i], grouped by layer.
 */
export function weightChoices(model, config, params) {
  if (!params) return [];
  if (model === "mlp") {
    const layers = params.layers ?? [];
    const out = [];
    layers.forEach((layer, k) => {
      const group = layerLabel(k, layers.length);
      (layer.W ?? []).forEach((row, i) => row.forEach((_, j) => out.push({ name: `W${k}`, index: [i, j], label: `W${k}[${i},${j}]`, group })));
      (layer.b ?? []).forEach((_, i) => out.push({ name: `b${k}`, index: [i], label: `b${k}[${i}]`, group }));
    });
    return out;
  }
  const w = Array.isArray(params.w) ? params.w : [params.w];
  const out = w.map((_, i) => ({ name: "w", index: [i], label: w.length > 1 ? `w${sub(i + 1)}` : "w", group: "" }));
  const bias = model === "line" ? Boolean(config?.bias) : true;
  if (bias) out.push({ name: "b", index: [], label: "b", group: "" });
  return out;
}

/** A key that changes only when the set of weights does (not when their values move). */
export function shapeKey(model, config, params) {
  if (!params) return "";
  if (model === "mlp") return (params.layers ?? []).map((l) => `${l.W?.length}x${l.W?.[0]?.length}`).join(",");
  return `${model}:${Array.isArray(params.w) ? params.w.length : 1}:${model === "line" ? Boolean(config?.bias) : 1}`;
}

export function sameWeight(a, b) {
  return Boolean(a && b) && a.name === b.name && String(a.index ?? []) === String(b.index ?? []);
}

/** True when there is nothing to explain yet: no reply, or the server's "no update yet". */
export function noUpdate(explain) {
  if (!explain) return true;
  const v = explain.values;
  if (!v || !Object.keys(v).length) return true;
  return /no update/i.test(String(explain.lines?.[0] ?? ""));
}

/**
 * The parts of one update as the engine laid them out (`explain` → cells [{key, sym, title, value}],
 * Adam's rows by key, engine/updatetable.py): the cells with a number, in the engine's order, and
 * the step. Nothing here knows an update rule; a term the reply lacks is simply not drawn.
 */
export function updateParts(explain) {
  const has = (c) => (Array.isArray(c.value) ? c.value.some(isNum) : isNum(c.value));
  const all = explain?.cells ?? [];
  const rows = explain?.rows ?? null;
  const inRows = new Set((rows ?? []).flat());
  const cells = all.filter((c) => has(c) || inRows.has(c.key));
  const step = explain?.values?.step;
  return { cells, step: isNum(step) ? step : null, rows };
}

/** Adam's bias correction in words while it matters: the engine's note (null for other rules). */
export function biasNote(explain) {
  return explain?.note ?? null;
}

function fmtCell(value) {
  if (Array.isArray(value)) return `${fmt(value[0], 4)} → ${fmt(value[1], 4)}`;
  if (Number.isInteger(value)) return String(value);
  return fmt(value, 3);
}

function partCell(c) {
  const cell = el("div", `up-cell${c.sym.includes("/") || c.sym.includes("·") ? " step" : ""}`);
  cell.title = c.title;
  cell.append(el("span", "up-sym", c.sym), el("span", "up-val", fmtCell(c.value)));
  return cell;
}

/** m and v as a table: running mean | ÷ (1 − βᵗ) | corrected. */
function memoryTable(rows, cells) {
  const by = new Map(cells.map((c) => [c.key, c]));
  const table = el("table", "up-mem");
  for (const row of rows) {
    const tr = el("tr");
    row.forEach((key, n) => {
      const c = by.get(key);
      const sym = c?.sym ?? key;
      const td = el("td", n === 1 ? "div" : "");
      td.title = c?.title ?? "";
      td.append(el("span", "up-sym", n === 1 ? `÷ (${sym})` : sym), el("span", "up-val", fmtCell(c?.value)));
      tr.append(td);
      if (n < row.length - 1) tr.append(el("td", "arrow", "→"));
    });
    table.append(tr);
  }
  return table;
}

function racerCard(racer, i, linesOpen) {
  const card = el("div", "up-racer");
  card.dataset.key = racer.key ?? String(i);
  card.style.setProperty("--racer", racerStyle(racer, i).color);
  const head = el("div", "up-head");
  const name = el("b", "up-opt", optimizerName(racer.optimizer));
  head.append(swatch(racer, i), name);
  card.append(head);
  const ex = racer.explain;
  if (racer.error || racer.diverged) {
    card.append(el("div", "up-error", racer.error || racer.diverged));
    return card;
  }
  if (noUpdate(ex)) {
    card.append(el("div", "up-empty", "Take a step (S) to see the update."));
    return card;
  }
  head.append(el("span", "up-rule", ex.rule ?? ""));
  // The server's lines repeat the table's numbers inside the formulas: folded when space is short;
  // the toggle sits at the end of the card's head, so folded they cost no line of their own.
  const lines = el("div", "up-lines");
  lines.hidden = !linesOpen;
  for (const line of ex.lines ?? []) lines.append(el("div", "", line));
  const more = el("button", "up-more", linesOpen ? "formulas ▴" : "formulas ▾");
  more.type = "button";
  more.dataset.always = "1"; // reading is never editing: viewers may unfold too
  more.title = "the update written out with its numbers";
  const { cells, rows } = updateParts(ex);
  const inRows = new Set((rows ?? []).flat());
  const firstRow = cells.findIndex((c) => inRows.has(c.key));
  const line = (list) => {
    const div = el("div", "up-parts");
    for (const c of list) div.append(partCell(c));
    return div;
  };
  const rest = cells.filter((c) => !inRows.has(c.key));
  if (rows) {
    const cut = firstRow; // the cells before m/v stay above the table, the step and after below
    card.append(line(rest.slice(0, cut)), memoryTable(rows, cells), line(rest.slice(cut)));
  } else card.append(line(rest));
  head.append(more);
  const note = biasNote(ex);
  if (note) card.append(el("div", `up-note${/worn off/.test(note) ? " calm" : ""}`, note));
  card.append(lines);
  return card;
}

export function UpdatePanel(root, { select }) {
  root.classList.add("update-panel");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">The update, for one weight</span><span class="up-step"></span>
      <span class="up-pick" role="group" aria-label="which weight"></span></div>
    <div class="up-racers" aria-live="polite"></div>`;
  const pick = root.querySelector(".up-pick");
  const list = root.querySelector(".up-racers");
  const stepEl = root.querySelector(".up-step");
  keepKeys(root);
  let choices = [];
  let last = {};
  let linesOpen = null; // null: open for one or two racers; then whatever the user chose
  list.addEventListener("click", (ev) => {
    const b = ev.target.closest?.(".up-more");
    if (!b) return;
    b.blur();
    linesOpen = !list.querySelector(".up-lines:not([hidden])");
    for (const d of list.querySelectorAll(".up-lines")) d.hidden = !linesOpen;
    for (const m of list.querySelectorAll(".up-more")) m.textContent = linesOpen ? "formulas ▴" : "formulas ▾";
  });

  function choose(c) {
    if (c) select(c.name, c.index);
  }

  function buildPicker(model) {
    pick.replaceChildren();
    if (model === "mlp") {
      const sel = el("select", "up-select");
      sel.setAttribute("aria-label", "which weight");
      sel.title = "which weight: W_k[i,j] joins input j to unit i of layer k";
      let group = null;
      choices.forEach((c, n) => {
        if (!group || group.label !== c.group) {
          group = document.createElement("optgroup");
          group.label = c.group;
          sel.append(group);
        }
        group.append(new Option(c.label, String(n)));
      });
      onPress(sel, () => choose(choices[Number(sel.value)]), "change");
      pick.append(sel);
      return;
    }
    choices.forEach((c, n) => {
      const b = el("button", "up-w", c.label);
      b.type = "button";
      b.dataset.n = String(n);
      onPress(b, () => choose(c));
      pick.append(b);
    });
  }

  function showSelected(selected) {
    const at = choices.findIndex((c) => sameWeight(c, selected));
    const sel = pick.querySelector("select");
    if (sel && document.activeElement !== sel && at >= 0) sel.value = String(at);
    for (const b of pick.querySelectorAll("button")) b.classList.toggle("on", Number(b.dataset.n) === at);
  }

  function update(race) {
    const racers = race?.racers ?? [];
    const params = racers.find((r) => r.state?.params)?.state.params ?? null;
    const shape = `${race?.model}|${shapeKey(race?.model, race?.config, params)}`;
    if (shape !== last.shape) {
      last.shape = shape;
      choices = weightChoices(race?.model, race?.config, params);
      buildPicker(race?.model);
      last.sel = undefined;
    }
    const selKey = JSON.stringify(race?.selected ?? null);
    if (selKey !== last.sel) {
      last.sel = selKey;
      showSelected(race?.selected);
    }
    // Picking a weight only asks (explain is read-only): a watcher may pick too.
    const key = racers.map((r) => [r.key, r.optimizer, r.color, r.error, r.diverged]);
    const explains = racers.map((r) => r.explain);
    const same = last.explains && explains.length === last.explains.length && explains.every((e, n) => e === last.explains[n]);
    if (same && JSON.stringify(key) === last.key) return;
    last.explains = explains;
    last.key = JSON.stringify(key);
    list.classList.toggle("many", racers.length > 2);
    const shown = explains.find((e) => !noUpdate(e));
    stepEl.textContent = shown ? `in step ${shown.step}` : "";
    const open = linesOpen ?? racers.length <= 2;
    list.replaceChildren(...racers.map((r, i) => racerCard(r, i, open)));
  }

  return { update };
}
