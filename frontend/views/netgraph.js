// The network's nodes and edges: every unit a small heatmap of what it computes over the plane
// (from the latest `field` frame) with a number under it, every weight a curve whose colour and
// dash give its sign and whose width gives |w|. The stage on display lights its layer; a
// `gradients` stage makes that layer's edges glow with width ∝ |∂L/∂w|.

import { edgePath, gradWidth, maxAbs, weightWidth } from "../render/netlayout.js";
import { paintChannel, paintOutputUnit, VALUE_LUT } from "../render/fieldcolors.js";
import { fmt, isNum } from "../render/format.js";
import { el, svgEl } from "../render/dom.js";

const NODE_RES = 24; // the field's coarse grid (docs/protocol.md)

/** The field tensor of unit `unit` of `layer` (−1: the inputs) at NODE_RES², or null. */
export function unitTensor(field, layer, unit) {
  const t = field?.tensors ?? {};
  const tensor = layer === -1 ? t.inputs : t[`layer${layer}`];
  return tensor && tensor.shape[0] === NODE_RES && tensor.shape[1] === NODE_RES && unit < tensor.shape[2] ? tensor : null;
}

/** A unit's picture — what it computes at every point of the plane — into `out` (RGBA, NODE_RES²):
 * the node's, and the output plot's while the unit is hovered. K layers; false when the field lacks it. */
export function paintUnit(out, field, layer, unit, K, task, range) {
  const tensor = unitTensor(field, layer, unit);
  if (!tensor) return false;
  if (layer === K - 1) paintOutputUnit(out, tensor, unit, task, range);
  else if (layer === -1) {
    // Inputs span very different ranges (x₁ up to 6, x₁² up to 36, sin x₁ ±1): each its own.
    let m = 0;
    for (let p = unit; p < tensor.data.length; p += tensor.shape[2]) m = Math.max(m, Math.abs(tensor.data[p]));
    paintChannel(out, tensor, unit, VALUE_LUT, -(m || 1), m || 1);
  } else paintChannel(out, tensor, unit, VALUE_LUT, -1, 1);
  return true;
}
export const POS_CSS = "#1f77b4";
export const NEG_CSS = "#e66100";

/**
 * What a stage lights, for a network of K layers: `nodes`/`edges` are sets of layer numbers (−1 is
 * the inputs; edges of layer k are the weights into it), `values` which stage value the lit
 * nodes show (sample 1 of the batch), `grads` the layer whose edges glow, `all` every edge.
 */
export function lighting(stage, K) {
  const none = { nodes: new Set(), edges: new Set(), values: null, grads: null, all: false, loss: false };
  if (!stage) return none;
  const k = Number.isInteger(stage.layer) ? stage.layer : 0;
  switch (stage.stage) {
    case "input":
      return { ...none, nodes: new Set([-1]), values: { layer: -1, key: "x" } };
    case "weights":
    case "update":
      return { ...none, all: true };
    case "linear":
      return { ...none, nodes: new Set([k]), edges: new Set([k]), values: { layer: k, key: "z" } };
    case "activation":
      return { ...none, nodes: new Set([k]), values: { layer: k, key: "a" } };
    case "loss":
      return { ...none, nodes: new Set([K - 1]), loss: true };
    case "gradients":
      return { ...none, nodes: new Set([k]), edges: new Set([k]), grads: k, values: { layer: k, key: "grad_b" } };
    default:
      return none;
  }
}

/** The number a lit node shows: sample 1's value of unit `i`, or its bias gradient. */
export function stageValue(values, key, i) {
  const v = values?.[key];
  if (!Array.isArray(v)) return null;
  const row = key === "grad_b" ? v : v[0];
  const x = Array.isArray(row) ? row[i] : null;
  return isNum(x) ? x : null;
}

const PREFIX = { x: "", z: "z ", a: "a ", grad_b: "∂b " };

export function NetGraph(host) {
  const svg = svgEl("svg", { class: "net-edges", "aria-hidden": "true" });
  const glowG = svgEl("g", { class: "glows" });
  const weightG = svgEl("g", { class: "weights" });
  const hitG = svgEl("g", { class: "hits" });
  svg.append(glowG, weightG, hitG);
  const nodeLayer = el("div", "net-nodes");
  host.append(svg, nodeLayer);

  let edges = []; // {k, i, j, path, glow, hit, w}
  let nodes = []; // {layer, unit, el, canvas, ctx, img, label, text}
  let K = 0;

  function build(shape, lay, outputName) {
    svg.setAttribute("width", host.clientWidth);
    svg.setAttribute("height", host.clientHeight);
    glowG.replaceChildren();
    weightG.replaceChildren();
    hitG.replaceChildren();
    nodeLayer.replaceChildren();
    edges = [];
    nodes = [];
    K = shape.sizes.length;
    for (let k = 0; k < K; k++) {
      const from = lay.cols[k].nodes;
      const to = lay.cols[k + 1].nodes;
      const gGlow = svgEl("g", { "data-layer": k });
      const gW = svgEl("g", { "data-layer": k });
      to.forEach((b, i) => from.forEach((a, j) => {
        const d = edgePath(a, b, lay.node);
        const glow = svgEl("path", { d, class: "glow" });
        const path = svgEl("path", { d, class: "edge-w", "data-layer": k, "data-i": i, "data-j": j });
        const hit = svgEl("path", { d, class: "edge-hit", "data-layer": k, "data-i": i, "data-j": j });
        gGlow.appendChild(glow);
        gW.appendChild(path);
        hitG.appendChild(hit);
        edges.push({ k, i, j, path, glow, hit, w: undefined, g: undefined });
      }));
      glowG.appendChild(gGlow);
      weightG.appendChild(gW);
    }
    lay.cols.forEach((col) => col.nodes.forEach((p, unit) => {
      const canvas = el("canvas", { width: NODE_RES, height: NODE_RES, style: `width: ${lay.node}px; height: ${lay.node}px` });
      const label = el("span", { class: "net-label", hidden: !lay.labels });
      const name = col.layer === -1 ? el("span", "net-name", shape.inputs[unit]) : col.layer === K - 1 ? el("span", "net-name out", outputName(unit)) : null;
      const node = el("div", { class: `net-node${col.layer === -1 ? " input" : col.layer === K - 1 ? " output" : ""}`, "data-layer": col.layer, "data-unit": unit,
        tabindex: -1, style: `left: ${p.x - lay.node / 2}px; top: ${p.y - lay.node / 2}px; width: ${lay.node}px; --node: ${lay.node}px` }, canvas, label, name);
      nodeLayer.appendChild(node);
      const ctx = canvas.getContext("2d");
      nodes.push({ layer: col.layer, unit, el: node, ctx, img: ctx.createImageData(NODE_RES, NODE_RES), label, text: null });
    }));
  }

  /** Colour, dash and width of every edge from the parameters on display. */
  function weights(params) {
    const layers = params?.layers ?? [];
    for (const e of edges) {
      const w = layers[e.k]?.W?.[e.i]?.[e.j];
      if (Object.is(w, e.w)) continue;
      e.w = w;
      const neg = isNum(w) && w < 0;
      e.path.setAttribute("stroke", neg ? NEG_CSS : POS_CSS);
      e.path.setAttribute("stroke-width", weightWidth(w));
      // Dashed when negative: the sign stays readable in greyscale and for every colour vision.
      if (neg) e.path.setAttribute("stroke-dasharray", "7 5");
      else e.path.removeAttribute("stroke-dasharray");
      e.path.dataset.w = String(w);
    }
  }

  /** Glow widths for one layer's gradients (relative to its largest |∂L/∂w|); clears the others. */
  function gradients(layer, grad) {
    const gmax = maxAbs(grad?.grad_W);
    for (const e of edges) {
      const g = e.k === layer ? grad?.grad_W?.[e.i]?.[e.j] : undefined;
      if (Object.is(g, e.g)) continue;
      e.g = g;
      if (isNum(g)) {
        e.glow.setAttribute("stroke-width", gradWidth(g, gmax));
        e.path.dataset.grad = String(g);
      } else {
        e.glow.removeAttribute("stroke-width");
        delete e.path.dataset.grad;
      }
    }
  }

  /** Repaint every node's heatmap from a field frame; returns how many were painted. */
  function paint(field, task, range) {
    let painted = 0;
    for (const n of nodes) {
      if (!paintUnit(n.img.data, field, n.layer, n.unit, K, task, range)) continue;
      n.ctx.putImageData(n.img, 0, 0);
      painted += 1;
    }
    return painted;
  }

  /** Lit layers and the numbers under the nodes: stage values when lit, else the biases. */
  function light(lit, stageValues, params) {
    for (const e of edges) {
      const on = lit.all || lit.edges.has(e.k);
      e.path.classList.toggle("lit", on);
      e.glow.classList.toggle("show", lit.grads === e.k);
    }
    const layers = params?.layers ?? [];
    for (const n of nodes) {
      n.el.classList.toggle("lit", lit.nodes.has(n.layer));
      let text = "";
      let value = null;
      const shows = lit.values && lit.values.layer === n.layer;
      if (shows) value = stageValue(stageValues, lit.values.key, n.unit);
      if (shows && value !== null) text = `${PREFIX[lit.values.key]}${fmt(value, 2)}`;
      else if (n.layer >= 0) {
        value = layers[n.layer]?.b?.[n.unit];
        text = isNum(value) ? `b ${fmt(value, 2)}` : "";
      }
      const key = `${text}|${value}`;
      if (key !== n.text) {
        n.text = key;
        n.label.textContent = text;
        n.el.dataset.value = value === null || value === undefined ? "" : String(value);
        n.el.dataset.shows = shows && value !== null ? lit.values.key : "b";
      }
      n.label.classList.toggle("stage", !!shows);
    }
  }

  return { build, weights, gradients, paint, light, nodes: () => nodes };
}
