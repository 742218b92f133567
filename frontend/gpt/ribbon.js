// The transformer's training loop in one row: the same seven words as every model (Input, Weights,
// Linear, Activation, Loss, Gradients, Update), each saying what it is inside a GPT — tokens,
// embeddings, QKᵀ/√d and the MLP's W·x, the causal softmax and GELU, cross-entropy, backward, clip
// and AdamW. The per-sublayer stages get a pill each, in the order they run: A1 (block 1's
// attention), M1 (its MLP), A2 … forward; the gradients come back the other way, M2 first.
// Everything is keyed by stage index (the plan repeats names); data-active-* mirror ribbon.js.

import { lightRibbon, ribbonBoxes } from "../views/ribbon.js";
import { BACKWARD_STAGES, stageNames } from "../state.js";

const TITLES = {
  input: "Tokens",
  weights: "Embeddings",
  linear: "Linear",
  activation: "Activation",
  loss: "Loss",
  gradients: "Backward",
  update: "Update",
};

const SUBTITLES = {
  input: "text → ids",
  weights: "wte + wpe",
  linear: "QKᵀ/√d · W·x",
  activation: "mask+softmax · GELU",
  loss: "−ln p(next)",
  gradients: "∂L/∂W, last first",
  update: "clip → AdamW",
};

const HINTS = {
  input: "Each character becomes its id in the vocabulary; the targets are the same windows moved on by one",
  weights: "Token embedding wte[id] plus position embedding wpe[pos]: the start of the residual stream",
  linear: "A: q, k, v = LN(x)·W and the scores QKᵀ/√d · M: the MLP's W·LN(x) + b",
  activation: "A: causal mask (the future gets −∞) and softmax over each row of scores · M: GELU",
  loss: "Softmax of the logits gives p(next character); cross-entropy is −ln p of the one that came",
  gradients: "Back-propagation: the chain rule, last sublayer first",
  update: "Clip the gradient's norm, then AdamW moves every weight (and decays the matrices a little)",
};

const GROW = { input: 0.8, weights: 1, loss: 1, update: 1.1 };

/** Sublayer k → its pill: A1 (block 1 attention), M1 (block 1 MLP), A2, … */
export function sublayerPill(k) {
  return `${k % 2 === 0 ? "A" : "M"}${Math.floor(k / 2) + 1}`;
}

/** Sublayer k → words: "block 1 attention", "block 2 MLP". */
export function sublayerName(k) {
  return `block ${Math.floor(k / 2) + 1} ${k % 2 === 0 ? "attention" : "MLP"}`;
}

const PILL_TITLES = {
  linear: (k) => (k % 2 === 0 ? `${sublayerName(k)}: q, k, v = LN(x)·W; scores q·k/√d` : `${sublayerName(k)}: h = W·LN(x) + b`),
  activation: (k) => (k % 2 === 0 ? `${sublayerName(k)}: causal mask, softmax over the scores` : `${sublayerName(k)}: GELU(h)`),
  gradients: (k) => `${sublayerName(k)}: its gradients, by the chain rule`,
};

export function GptRibbon(root) {
  root.classList.add("ribbon", "gpt-ribbon");
  root.replaceChildren();
  let key = "";
  let boxes = [];
  let pills = [];

  function build(names) {
    root.replaceChildren();
    pills = [];
    // Past two blocks the pills shrink to dots (their titles still name them): one row must hold them all.
    root.classList.toggle("many", names.filter((n) => n === "linear").length > 4);
    boxes = ribbonBoxes(names).map((b, n) => {
      const el = document.createElement("div");
      const back = BACKWARD_STAGES.has(b.name);
      el.className = `rb-box ${back ? "backward" : "forward"}${b.layers.length ? " per-layer" : ""}`;
      el.dataset.stage = b.name;
      el.title = HINTS[b.name] ?? "";
      if (!b.layers.length) el.style.flexGrow = String(GROW[b.name] ?? 1);
      const title = document.createElement("div");
      title.className = "rb-title";
      title.textContent = TITLES[b.name] ?? b.name;
      const sub = document.createElement("div");
      sub.className = "rb-sub";
      if (b.layers.length) {
        // The sublayer plan: linear/activation count up (A1, M1, A2 …), gradients count down.
        // Pills beside the title, what the box computes under it: two lines, like the other boxes.
        const K = b.layers.length;
        const pillBox = document.createElement("span");
        pillBox.className = "rb-pills";
        b.indices.forEach((index, m) => {
          const k = b.name === "gradients" ? K - 1 - m : m;
          const p = document.createElement("span");
          p.className = "rb-pill";
          p.textContent = sublayerPill(k);
          p.dataset.index = index;
          p.dataset.layer = k;
          p.title = PILL_TITLES[b.name]?.(k) ?? sublayerName(k);
          pillBox.appendChild(p);
          pills[index] = p;
        });
        title.appendChild(pillBox);
        sub.textContent = SUBTITLES[b.name];
        el.append(title, sub);
      } else {
        sub.textContent = SUBTITLES[b.name] ?? "";
        el.append(title, sub);
      }
      if (n > 0) {
        const arrow = document.createElement("span");
        arrow.className = `rb-arrow ${back ? "backward" : "forward"}`;
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
