// A network's training loop in one row: the seven stage words, and under the per-layer ones a
// pill per layer in the order they run (forward first layer first, gradients last layer first).
// `session.stages` repeats names per layer, so everything here is keyed by index, never by name.

import { BACKWARD_STAGES, stageNames } from "../state.js";

const TITLES = {
  input: "Input",
  weights: "Weights",
  linear: "Linear",
  activation: "Activation",
  loss: "Loss",
  gradients: "Gradients",
  update: "Update",
};

const SUBTITLES = {
  input: "x, y",
  weights: "W, b",
  linear: "z = W·a + b",
  activation: "a = f(z)",
  loss: "L",
  gradients: "∂L/∂W",
  update: "W ← W − η·∂L/∂W",
};

const GROW = { input: 0.75, weights: 0.75, loss: 0.7, update: 1.45 };

/**
 * The ribbon's boxes from a stage list: [{name, indices: [i…], layers: [k…]}] in first-seen
 * order. Layers follow the plan: linear/activation count up (0…K−1), gradients count down.
 */
export function ribbonBoxes(names) {
  const K = names.filter((n) => n === "linear").length;
  const boxes = [];
  const seen = {};
  names.forEach((name, i) => {
    let box = boxes.find((b) => b.name === name);
    if (!box) boxes.push((box = { name, indices: [], layers: [] }));
    const nth = (seen[name] = (seen[name] ?? -1) + 1);
    box.indices.push(i);
    box.layers.push(name === "gradients" ? K - 1 - nth : nth);
  });
  return boxes.map((b) => (b.indices.length > 1 ? b : { ...b, layers: [] }));
}

/** A layer's name on a pill: 1, 2, … for hidden layers, "out" for the output layer. */
export function pillText(k, K) {
  return k === K - 1 ? "out" : String(k + 1);
}

/** Light the box (and pill) of the stage on display, mark the earlier ones done, and expose the
 * active stage/index/layer as data attributes (tests read them). Shared by every ribbon. */
export function lightRibbon(root, state, names, boxes, pills) {
  const s = state.stage;
  const index = s && Number.isInteger(s.index) ? s.index : names.indexOf(s?.stage);
  root.dataset.activeStage = s?.stage ?? "";
  root.dataset.activeIndex = s ? String(index) : "";
  root.dataset.activeLayer = s && ["linear", "activation", "gradients"].includes(s.stage) ? String(s.layer) : "";
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
}

export function Ribbon(root) {
  root.classList.add("ribbon");
  root.replaceChildren();
  let key = "";
  let boxes = [];
  let pills = []; // by stage index

  function build(names) {
    root.replaceChildren();
    pills = [];
    const K = names.filter((n) => n === "linear").length;
    root.classList.toggle("many", K > 4);
    boxes = ribbonBoxes(names).map((b, n) => {
      const el = document.createElement("div");
      el.className = `rb-box ${BACKWARD_STAGES.has(b.name) ? "backward" : "forward"}${b.layers.length ? " per-layer" : ""}`;
      el.dataset.stage = b.name;
      // Per-layer boxes take what their pills need (CSS); of the rest, Update's formula gets most.
      if (!b.layers.length) el.style.flexGrow = String(GROW[b.name] ?? 1);
      const title = document.createElement("div");
      title.className = "rb-title";
      title.textContent = TITLES[b.name] ?? b.name;
      const sub = document.createElement("div");
      sub.className = "rb-sub";
      if (b.layers.length) {
        const word = document.createElement("span");
        word.className = "rb-word";
        word.textContent = "layer";
        sub.appendChild(word);
        b.layers.forEach((k, m) => {
          const p = document.createElement("span");
          p.className = "rb-pill";
          p.textContent = pillText(k, K);
          p.dataset.index = b.indices[m];
          p.dataset.layer = k;
          p.title = `${TITLES[b.name]}, ${k === K - 1 ? "output layer" : `hidden layer ${k + 1}`}`;
          sub.appendChild(p);
          pills[b.indices[m]] = p;
        });
      } else sub.textContent = SUBTITLES[b.name] ?? "";
      el.append(title, sub);
      if (n > 0) {
        const arrow = document.createElement("span");
        arrow.className = `rb-arrow ${BACKWARD_STAGES.has(b.name) ? "backward" : "forward"}`;
        arrow.textContent = "→";
        arrow.setAttribute("aria-hidden", "true");
        root.appendChild(arrow);
      }
      root.appendChild(el);
      return { ...b, el };
    });
  }

  function update(state) {
    const names = stageNames(state);
    const k = names.join(",");
    if (k !== key) {
      key = k;
      build(names);
    }
    lightRibbon(root, state, names, boxes, pills);
  }

  return { update };
}
