// The card for one node or edge of the network: its value, its gradient from the latest
// `gradients` stage of its layer, and its last update written out with numbers — the engine's
// `explain` reply, asked for when the card opens and after each step (the page computes no update).
// Hover shows it; a click pins it, and a pinned card can set the weight or bias by hand (`set_param`).

import { displayParams } from "../state.js";
import { fmt, isNum, sub } from "../render/format.js";
import { el } from "../render/dom.js";

const par = (v) => (isNum(v) && v < 0 ? `(${fmt(v)})` : fmt(v));

export function layerName(k, K) {
  return k === K - 1 ? "output layer" : `hidden layer ${k + 1}`;
}

const ofLayer = (k, K) => (k === K - 1 ? "the output layer" : layerName(k, K));

function stageOf(state, name, layer) {
  const s = state.stage;
  if (!s) return null;
  return Object.values(state.traces[s.step] ?? {}).find((m) => m.stage === name && (layer === undefined || m.layer === layer)) ?? null;
}

const ASK_MS = 200; // a card open while playing asks for its weight's newest update at most this often

/** The parameter a target is, as the engine names it ({name, index}), or null for an input. */
export function paramOf(target) {
  if (target?.kind === "edge") return { name: `W${target.k}`, index: [target.i, target.j] };
  if (target?.kind === "node" && target.layer >= 0) return { name: `b${target.layer}`, index: [target.unit] };
  return null;
}

/**
 * The lines of the parameter's last update: the engine's `explain` reply for it (its rule with every
 * number filled in — momentum, Adam, a schedule or clipping included), or null when that reply has
 * not come (the card asks for it: Inspector.update) or there was no update yet.
 */
export function updateLines(state, param) {
  const ex = state.explain;
  if (!param || !ex || ex.name !== param.name || String(ex.index) !== String(param.index)) return null;
  const lines = Array.isArray(ex.lines) ? ex.lines.filter((l) => typeof l === "string") : [];
  if (!lines.length || !ex.values || !Object.keys(ex.values).length) return null; // "no update yet"
  // its g is that step's gradient, not the newest ∂L/∂ row above it: the header says which
  return [`last update (step ${ex.step}, ${ex.optimizer}): g is step ${ex.step}'s gradient`, ...lines];
}

function gradText(g, step) {
  return isNum(g) ? `${fmt(g)}  (step ${step}, newest)` : "not computed yet: step to a Gradients stage (→)";
}

/**
 * What the card says about `target` ({kind: "edge", k, i, j} or {kind: "node", layer, unit}):
 * {title, sub, rows: [[label, text]], formula: [line] | null, edit: {name, index, value, sym} | null}.
 */
export function describe(state, target, inputs) {
  const params = displayParams(state);
  const layers = params?.layers ?? [];
  const K = layers.length;
  const names = inputs ?? [];
  if (target.kind === "edge") {
    const { k, i, j } = target;
    const w = layers[k]?.W?.[i]?.[j];
    const grad = state.grads?.[k];
    const g = grad?.grad_W?.[i]?.[j];
    const from = k === 0 ? names[j] ?? `input ${j + 1}` : `unit ${j + 1} of hidden layer ${k}`;
    return {
      title: `Weight W${sub(k + 1)}[${i + 1}, ${j + 1}]`,
      sub: `from ${from} to unit ${i + 1} of ${ofLayer(k, K)}`,
      rows: [["w", fmt(w)], ["∂L/∂w", gradText(g, grad?.step)]],
      formula: updateLines(state, paramOf(target)),
      edit: isNum(w) ? { name: `W${k}`, index: [i, j], value: w, sym: "w" } : null,
    };
  }
  const { layer, unit } = target;
  if (layer === -1) {
    const input = stageOf(state, "input");
    const x = input?.values?.x?.[0]?.[unit];
    return {
      title: `Input ${names[unit] ?? unit + 1}`,
      sub: "a feature of the point, fed to every unit of the first layer",
      rows: isNum(x) ? [["sample 1", fmt(x)]] : [],
      formula: null,
      edit: null,
    };
  }
  const b = layers[layer]?.b?.[unit];
  const grad = state.grads?.[layer];
  const g = grad?.grad_b?.[unit];
  const rows = [["activation", layers[layer]?.activation ?? "—"], ["b", fmt(b)], ["∂L/∂b", gradText(g, grad?.step)]];
  const z = stageOf(state, "linear", layer)?.values?.z?.[0]?.[unit];
  const a = stageOf(state, "activation", layer)?.values?.a?.[0]?.[unit];
  if (isNum(z)) rows.push(["z (sample 1)", fmt(z)]);
  if (isNum(a)) rows.push(["a (sample 1)", fmt(a)]);
  return {
    title: `Unit ${unit + 1} of ${ofLayer(layer, K)}`,
    sub: "its picture: what it computes at every point of the plane",
    rows,
    formula: updateLines(state, paramOf(target)),
    edit: isNum(b) ? { name: `b${layer}`, index: [unit], value: b, sym: "b" } : null,
  };
}

/** Parse what someone typed as a weight: accepts a real minus sign and a decimal comma. */
export function parseNumber(text) {
  const s = String(text).trim().replace(/\u2212/g, "-").replace(",", ".");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

export function Inspector(host, { setParam, toast, explain }) {
  const card = el("div", { class: "net-inspect", id: "net-inspect", hidden: true });
  card.innerHTML = `
    <button type="button" class="close" aria-label="close">×</button>
    <div class="ins-title"></div><div class="ins-sub"></div>
    <table class="ins-rows"><tbody></tbody></table>
    <div class="ins-formula"></div>
    <form class="ins-edit" hidden><label><span class="ins-edit-label"></span>
      <input name="value" type="text" inputmode="decimal" autocomplete="off"></label>
      <button type="submit">Set</button></form>`;
  host.appendChild(card);
  const q = (sel) => card.querySelector(sel);
  const [titleEl, subEl, body, formulaEl, form, input] = [".ins-title", ".ins-sub", "tbody", ".ins-formula", ".ins-edit", "input"].map(q);
  let target = null;
  let pinned = false;
  let anchor = null; // {x, y}: where the card points at, in host pixels
  let shown = "";
  let edit = null;
  let asked = ""; // the parameter and step whose last update was asked for (`explain` is read-only)
  let askedAt = -Infinity;
  let later = null;

  q(".close").addEventListener("click", () => close());
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = parseNumber(input.value);
    if (v === null || !edit) {
      toast(`“${input.value}” is not a number`);
      return;
    }
    input.blur();
    setParam(edit.name, edit.index, v);
  });

  function keyOf(t) {
    return t ? `${t.kind}|${t.k ?? t.layer}|${t.i ?? t.unit}|${t.j ?? ""}` : "";
  }

  function open(t, at, pin) {
    if (pinned && !pin) return; // a pinned card stays until closed or another click
    const same = keyOf(t) === keyOf(target);
    target = t;
    anchor = at;
    pinned = pin;
    shown = "";
    card.hidden = false;
    card.classList.toggle("pinned", pin);
    if (pin && !same) input.value = "";
  }

  function close(force = true) {
    if (pinned && !force) return;
    target = null;
    pinned = false;
    card.hidden = true;
  }

  function update(state, inputs, viewer) {
    if (!target) return;
    const param = paramOf(target);
    const ask = param ? `${param.name}|${param.index}|${state.step}` : "";
    // Once per parameter and step; while playing, at most every ASK_MS (the card names the step it shows).
    const now = performance.now();
    const sameParam = asked.startsWith(param ? `${param.name}|${param.index}|` : "-");
    clearTimeout(later);
    if (param && ask !== asked && explain) {
      if (!sameParam || now - askedAt >= ASK_MS) {
        asked = ask;
        askedAt = now;
        explain(param.name, param.index);
      } else later = setTimeout(() => update(state, inputs, viewer), ASK_MS); // the newest step, a little later
    }
    const d = describe(state, target, inputs);
    const key = JSON.stringify(d) + pinned + viewer;
    if (key === shown) return;
    shown = key;
    titleEl.textContent = d.title;
    subEl.textContent = d.sub;
    body.replaceChildren(...d.rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
    formulaEl.replaceChildren(...(d.formula ?? []).map((line) => el("div", {}, line)));
    formulaEl.hidden = !d.formula;
    edit = d.edit;
    form.hidden = !(pinned && edit && !viewer);
    if (!form.hidden) {
      q(".ins-edit-label").textContent = `set ${edit.sym} to`;
      if (document.activeElement !== input) input.placeholder = fmt(edit.value);
    }
    card.dataset.target = keyOf(target);
    place();
  }

  /**
   * Beside the anchor (right, else left), else above or below it: never over the pointer, or the
   * card would take the hover away from what it describes.
   */
  function place() {
    if (!anchor) return;
    const W = host.clientWidth;
    const H = host.clientHeight;
    const w = card.offsetWidth;
    const h = card.offsetHeight;
    const clampY = (y) => Math.max(4, Math.min(H - h - 4, y));
    let x;
    let y;
    if (anchor.x + 18 + w <= W - 4) [x, y] = [anchor.x + 18, clampY(anchor.y - h / 2)];
    else if (anchor.x - 18 - w >= 4) [x, y] = [anchor.x - 18 - w, clampY(anchor.y - h / 2)];
    else {
      x = Math.max(4, Math.min(W - w - 4, anchor.x - w / 2));
      y = anchor.y - 14 - h >= 0 ? anchor.y - 14 - h : anchor.y + 14;
    }
    card.style.left = `${x}px`;
    card.style.top = `${y}px`;
  }

  return { open, close, update, focusEdit: () => !form.hidden && input.focus(), isPinned: () => pinned, target: () => target };
}
