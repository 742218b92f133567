// The network's architecture, edited where it is drawn: + / − hidden layers and init in the panel
// head, + / − units and the activation above each hidden column. Every change is a `configure`
// that rebuilds the run from its seed (the server's rule for anything but lr, speed, L1, L2).

import { activationList, modelSchema } from "../config.js";
import { el, onPress, sameAsLast } from "../render/dom.js";

// The choices and bounds are the engine's, as served (a teacher's --max-width widens the units').
const MLP = modelSchema("mlp").properties;
export const ACTIVATIONS = MLP.activation.enum;
export const INITS = MLP.init.enum;
export const MAX_LAYERS = MLP.hidden.maxItems;
export const MAX_UNITS = MLP.hidden.items.maximum;
const MIN_UNITS = MLP.hidden.items.minimum ?? 1;
// Names short enough for a deep network's narrow columns (σ as in the neuron's formulas).
const SHORT = { sigmoid: "σ", linear: "lin" };

export { activationList };

/** The `activation` value to send: one name when every layer agrees (shorter URLs), else a list. */
function packActivations(list, fallback) {
  if (list.length === 0) return typeof fallback === "string" ? fallback : fallback?.[0] ?? MLP.activation.default;
  return list.every((a) => a === list[0]) ? list[0] : list;
}

/** The config change for an edit: `layers` ±1, `units` of layer k ±1, or layer k's activation. */
export function architectureChange(config, edit) {
  const hidden = [...(config.hidden ?? [])];
  const acts = activationList(config);
  if (edit.kind === "layers") {
    if (edit.delta > 0 && hidden.length < MAX_LAYERS) {
      hidden.push(hidden[hidden.length - 1] ?? 4);
      acts.push(acts[acts.length - 1] ?? (typeof config.activation === "string" ? config.activation : MLP.activation.default));
    } else if (edit.delta < 0 && hidden.length > 0) {
      hidden.pop();
      acts.pop();
    } else return null;
  } else if (edit.kind === "units") {
    const n = (hidden[edit.layer] ?? 0) + edit.delta;
    if (n < MIN_UNITS || n > MAX_UNITS) return null;
    hidden[edit.layer] = n;
  } else if (edit.kind === "activation") {
    acts[edit.layer] = edit.value;
  } else return null;
  return { hidden, activation: packActivations(acts, config.activation) };
}

function button(text, title, onClick) {
  const b = el("button", { type: "button", title, "aria-label": title }, text);
  onPress(b, () => onClick());
  return b;
}

function select(options, title, onChange, short = false) {
  const s = el("select", { title, "aria-label": title });
  for (const o of options) s.add(new Option(short ? SHORT[o] ?? o : o, o));
  onPress(s, () => onChange(s.value), "change");
  return s;
}

/** `head` gets the layer count and init; `cols` (over the diagram) the per-layer controls. */
export function NetEditor(head, cols, note, { configure }) {
  let config = {};
  const edit = (e) => {
    const change = architectureChange(config, e);
    if (change) configure(change);
  };
  const count = el("span", { class: "net-count", id: "net-layer-count" });
  const minus = button("−", "remove a hidden layer", () => edit({ kind: "layers", delta: -1 }));
  const plus = button("+", "add a hidden layer", () => edit({ kind: "layers", delta: 1 }));
  const group = el("span", "net-layers", minus, count, plus);
  const init = select(INITS, "how the weights start", (v) => configure({ init: v }));
  init.name = "init";
  head.append(group, el("label", "net-init", "init ", init));

  let colKey = "";
  let controls = [];

  function placeColumns(lay, shape, viewer) {
    const key = `${lay.cols.map((c) => c.x.toFixed(0)).join(",")}|${shape.sizes.join(",")}|${viewer}`;
    if (key === colKey) return;
    colKey = key;
    cols.replaceChildren();
    // Deep networks leave little room per column: narrower buttons, selects without an arrow.
    const compact = lay.step < 100;
    cols.classList.toggle("compact", compact);
    controls = [];
    const K = shape.sizes.length;
    lay.cols.forEach((col) => {
      const box = el("div", "net-col");
      box.style.left = `${col.x}px`;
      if (col.layer === -1) {
        box.innerHTML = '<span class="net-col-title">inputs</span>';
      } else if (col.layer === K - 1) {
        box.innerHTML = '<span class="net-col-title">output</span><span class="net-col-act"></span>';
        box.querySelector(".net-col-act").textContent = shape.activations[K - 1];
      } else {
        const k = col.layer;
        const n = el("span", "net-count");
        const row = el("div", "net-units", button("−", `one unit fewer in hidden layer ${k + 1}`, () => edit({ kind: "units", layer: k, delta: -1 })),
          n, button("+", `one unit more in hidden layer ${k + 1}`, () => edit({ kind: "units", layer: k, delta: 1 })));
        const act = select(ACTIVATIONS, `activation of hidden layer ${k + 1}`, (v) => edit({ kind: "activation", layer: k, value: v }), compact);
        act.dataset.layer = k;
        box.append(row, act);
        controls.push({ k, n, act, row });
      }
      cols.appendChild(box);
    });
    for (const b of cols.querySelectorAll("button, select")) b.disabled = viewer;
  }

  const same = sameAsLast();

  function update(cfg, lay, shape, viewer) {
    config = cfg ?? {};
    if (lay && shape) placeColumns(lay, shape, viewer);
    const acts = activationList(config);
    const hidden = config.hidden ?? [];
    const key = `${JSON.stringify(hidden)}|${JSON.stringify(acts)}|${config.init}|${viewer}|${colKey}`;
    if (same(key)) return;
    count.textContent = `${hidden.length} hidden layer${hidden.length === 1 ? "" : "s"}`;
    minus.disabled = viewer || hidden.length === 0;
    plus.disabled = viewer || hidden.length >= MAX_LAYERS;
    init.value = config.init ?? MLP.init.default;
    init.disabled = viewer;
    for (const c of controls) {
      c.n.textContent = String(hidden[c.k] ?? "?");
      if (document.activeElement !== c.act) c.act.value = acts[c.k] ?? MLP.activation.default;
      const [less, more] = c.row.querySelectorAll("button");
      less.disabled = viewer || (hidden[c.k] ?? MIN_UNITS) <= MIN_UNITS;
      more.disabled = viewer || (hidden[c.k] ?? MAX_UNITS) >= MAX_UNITS;
    }
    // Zeros is the classic trap: show why it fails instead of letting it silently not learn.
    note.hidden = config.init !== "zeros";
  }

  return { update };
}
