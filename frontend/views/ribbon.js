// A network's training loop in one row: a box per stage of the served plan (its `stage_title`), and
// for a stage that repeats per layer a pill per layer in the order they run (forward first layer
// first, gradients last layer first). The plan repeats stage names, so everything here is keyed by
// the stage's index in the plan, never by name. Every word comes from the plan (state.js planOf).

import { planEntry, planOf } from "../state.js";
import { keepInView } from "../render/inview.js";
import { boxGrow, directionClass, MANY_PILLS, RIBBON_ARROW } from "../render/stagestyle.js";
import { el } from "../render/dom.js";

/**
 * The ribbon's boxes from the plan: one per stage name and direction, in first-seen order,
 * [{name, entries, indices, perLayer}] (a split run's all-reduce runs both ways: a box each way).
 * A stage whose entries name a layer (`part`) gets a pill each.
 */
export function ribbonBoxes(plan) {
  const boxes = [];
  plan.forEach((entry, i) => {
    let box = boxes.find((b) => b.name === entry.stage && b.entries[0].direction === entry.direction);
    if (!box) boxes.push((box = { name: entry.stage, entries: [], indices: [] }));
    box.entries.push(entry);
    box.indices.push(i);
  });
  return boxes.map((b) => ({ ...b, perLayer: b.entries.some((e) => e.part) }));
}

/** A plan's identity for the views: rebuild when any word, layer or stage changed. */
export function planKey(plan) {
  return plan.map((e) => `${e.stage}:${e.layer}:${e.title}:${e.subtitle}:${e.short}`).join("|");
}

/** "Linear combination · hidden layer 1: z = W·a + b": an entry in full, for a tooltip. */
export function entryText(e) {
  return e.subtitle ? `${e.title}: ${e.subtitle}` : e.title;
}

/** The distinct subtitles of a box's entries, in order: what the box computes, said once. */
export function boxSubtitle(box) {
  return [...new Set(box.entries.map((e) => e.subtitle).filter(Boolean))].join(" · ");
}

/** Light the box (and pill) of the stage on display, mark the earlier ones done, and expose the
 * active stage/index/layer as data attributes (tests read them). Shared by every ribbon. */
export function lightRibbon(root, state, boxes, pills) {
  const s = state.stage;
  const entry = planEntry(state, s);
  const index = s ? planOf(state).indexOf(entry) : -1;
  const moved = root.dataset.activeIndex !== (s ? String(index) : "");
  root.dataset.activeStage = s?.stage ?? "";
  root.dataset.activeIndex = s ? String(index) : "";
  root.dataset.activeLayer = entry?.part ? String(entry.layer) : "";
  root.dataset.activeTitle = entry?.title ?? "";
  for (const b of boxes) {
    const on = b.indices.includes(index);
    b.el.classList.toggle("active", on);
    // Done: an earlier stage of the step on display (for a per-layer box, once all its layers ran).
    b.el.classList.toggle("done", !!s && !on && b.indices[b.indices.length - 1] < index);
  }
  pills.forEach((p, i) => {
    if (!p) return;
    p.classList.toggle("active", i === index);
    p.classList.toggle("done", !!s && i < index);
  });
  // A ribbon wider than a phone scrolls sideways: bring the lit box (its lit pill) into view.
  if (moved && index >= 0) keepInView(root, pills[index] ?? boxes.find((b) => b.indices.includes(index))?.el);
}

/** The box's element: title, direction, tooltip; `kind` picks the flex weights (stagestyle.js). */
export function boxElement(b, kind) {
  const box = el("div", { class: `rb-box ${directionClass(b.entries[0])}${b.perLayer ? " per-layer" : ""}`, "data-stage": b.name,
    title: b.entries.map(entryText).join("\n"), style: b.perLayer ? null : `flex-grow: ${boxGrow(b.name, kind)}` });
  // "Send/receive" may break after its slash (a <wbr>, the text unchanged): a narrow split loop keeps Update in view
  const [head, ...rest] = b.entries[0].stage_title.split("/");
  return { el: box, title: el("div", "rb-title", head, ...rest.flatMap((part) => ["/", el("wbr"), part])) };
}

/** One pill per entry of a per-layer box, registered in `pills` by plan index. */
export function pillElements(b, pills) {
  return b.entries.map((e, m) => {
    pills[b.indices[m]] = el("span", { class: "rb-pill", "data-index": b.indices[m], "data-layer": e.layer, title: entryText(e) }, e.short);
    return pills[b.indices[m]];
  });
}

export function arrowElement(entry) {
  return el("span", { class: `rb-arrow ${directionClass(entry)}`, "aria-hidden": "true" }, RIBBON_ARROW);
}

/**
 * `kind` picks the box weights (render/stagestyle.js); `word` leads a per-layer box's pills ("layer").
 * Per-layer boxes show their pills under the title and their subtitles in the tooltip (one row must
 * hold a transformer's sublayers too); the other boxes show their subtitle.
 */
export function Ribbon(root, { kind = "network", word = "layer" } = {}) {
  root.classList.add("ribbon");
  root.replaceChildren();
  let key = "";
  let boxes = [];
  let pills = []; // by plan index

  function build(plan) {
    root.replaceChildren();
    pills = [];
    const all = ribbonBoxes(plan);
    root.classList.toggle("many", all.some((b) => b.perLayer && b.entries.length > MANY_PILLS));
    // communication stages (a split run's carry `comm`; a data-parallel run's all-reduce): less room per box
    root.classList.toggle("comm", plan.some((e) => e.comm || e.stage === "allreduce"));
    boxes = all.map((b, n) => {
      const { el: box, title } = boxElement(b, kind);
      const sub = b.perLayer ? el("div", "rb-sub", word ? el("span", "rb-word", word) : null, ...pillElements(b, pills)) : el("div", "rb-sub", boxSubtitle(b));
      box.append(title, sub);
      if (n > 0) root.appendChild(arrowElement(b.entries[0]));
      root.appendChild(box);
      return { ...b, el: box };
    });
  }

  function update(state) {
    const plan = planOf(state);
    const k = planKey(plan);
    if (k !== key) {
      key = k;
      build(plan);
    }
    lightRibbon(root, state, boxes, pills);
  }

  return { update };
}
