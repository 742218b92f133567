// Small pieces the Descent page's update and tricks panels share: how a racer is drawn (its colour,
// a dash and a marker, so hue is never the only cue: the shapes are render/canvas.js's, the one chart
// kit), and keeping typed keys inside the panel's own fields. Nothing here touches the DOM at import
// time, so node --test can load it.

import { OPTIMIZER_TITLES, SLOTS } from "./race.js";
import { el, svgEl } from "../render/dom.js";

/** Colour, dash and marker of racer i: the racer's own, else its slot's (race.js holds them once). */
export function racerStyle(racer, i) {
  const slot = SLOTS[i % SLOTS.length];
  return { color: racer?.color ?? slot.color, dash: racer?.dash ?? slot.dash, marker: racer?.marker ?? slot.marker };
}

export function optimizerName(opt) {
  return OPTIMIZER_TITLES[opt] ?? String(opt ?? "?");
}

/** An inline SVG swatch: a short line in the racer's dash with its marker in the middle. */
export function swatch(racer, i) {
  const { color, dash, marker } = racerStyle(racer, i);
  const svg = svgEl("svg", { viewBox: "0 0 34 16", width: 34, height: 16, class: "dp-swatch", "aria-hidden": "true" });
  const line = svgEl("line", { x1: 1, y1: 8, x2: 33, y2: 8, stroke: color, "stroke-width": 3, "stroke-dasharray": dash.join(" ") });
  const shapes = {
    circle: ["circle", { cx: 17, cy: 8, r: 5 }],
    square: ["rect", { x: 12.5, y: 3.5, width: 9, height: 9 }],
    triangle: ["polygon", { points: "17,2 23,13 11,13" }],
    diamond: ["polygon", { points: "17,1.5 23,8 17,14.5 11,8" }],
  };
  const [tag, attrs] = shapes[marker] ?? shapes.circle;
  const m = svgEl(tag, { ...attrs, fill: color, stroke: "#fff", "stroke-width": 1 });
  svg.append(line, m);
  return svg;
}

function isField(el) {
  const tag = el?.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
}

/**
 * Keys typed into the panel's fields stay there: the page's shortcuts (S, Space, R…) never see
 * them. Enter or Escape ends the edit, so the next key is a shortcut again.
 */
export function keepKeys(root) {
  root.addEventListener("keydown", (ev) => {
    if (!isField(ev.target)) return;
    ev.stopPropagation();
    if (ev.key === "Enter" || ev.key === "Escape") ev.target.blur();
  });
}

/** One line of per-racer numbers after a label: each racer's swatch, then its text (name on hover). */
export function racerLine(root, label, racers, text) {
  root.replaceChildren(...(label ? [el("span", "tr-count-label", label)] : []),
    ...racers.map((r, i) => el("span", { class: "tr-count", title: optimizerName(r.optimizer) }, swatch(r, i), text(r, i))));
}

/** Disable every control of a panel (a viewer watches, never steers). */
export function setDisabled(root, disabled) {
  for (const el of root.querySelectorAll("input, select, button")) {
    if (!el.dataset.always) el.disabled = disabled;
  }
}

/** Equal draw keys: lists compared item by item (one level of nesting), anything else by identity. */
export function sameKey(a, b) {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((x, i) => (Array.isArray(x) ? Array.isArray(b[i]) && x.length === b[i].length && x.every((y, j) => y === b[i][j]) : x === b[i]));
}
