// Where a network's pieces go in its diagram: one column per layer (inputs first, output last),
// units stacked and centred, edges as smooth curves from one column to the next. Pure geometry, no
// DOM, so node tests can pin it down.

import { isNum } from "./format.js";

const LEFT = 66; // room for the input names ("sin x₁") left of the input column
const RIGHT = 44; // room for the output's name right of the output column
const LABEL_H = 22; // one 16 px line under a node for its number
const MAX_PITCH = 86;

/**
 * The network to draw: {inputs: names, sizes: units per layer (output last), activations}.
 * The structure comes from the parameters (the truth about the weights); names from the dataset
 * when they match, else generic ones.
 */
export function netShape(params, dataset) {
  const layers = Array.isArray(params?.layers) ? params.layers : [];
  if (!layers.length || !Array.isArray(layers[0].W)) return null;
  const nIn = Array.isArray(layers[0].W[0]) ? layers[0].W[0].length : 0;
  const names = Array.isArray(dataset?.inputs) && dataset.inputs.length === nIn ? dataset.inputs : Array.from({ length: nIn }, (_, i) => `in ${i + 1}`);
  return {
    inputs: names,
    sizes: layers.map((l) => (Array.isArray(l.W) ? l.W.length : 0)),
    activations: layers.map((l) => l.activation ?? ""),
  };
}

/**
 * Node centres for `nIn` inputs and layers of `sizes` units, in a `width` × `height` box whose top
 * `top` pixels are left for the column headers. Returns {cols: [{x, layer, nodes: [{x, y}]}], node,
 * labels}: column 0 is the inputs (layer −1), column k + 1 is layer k; `node` is the side of a
 * node's square; `labels` says whether there is room for a number under each node.
 */
export function layout(nIn, sizes, width, height, top = 0) {
  const counts = [nIn, ...sizes];
  const most = Math.max(1, ...counts);
  const avail = Math.max(40, height - top - 4);
  const pitch = Math.min(MAX_PITCH, avail / most);
  // A number under each node when there is room for it and a node of 24 px; else bigger nodes
  // and the numbers only in the hover card.
  const labels = pitch - LABEL_H >= 24;
  const node = labels ? Math.min(54, pitch - LABEL_H) : Math.max(18, Math.min(54, pitch - 6));
  const usable = Math.max(1, width - LEFT - RIGHT - node);
  const step = counts.length > 1 ? usable / (counts.length - 1) : 0;
  const cols = counts.map((n, c) => {
    const x = LEFT + node / 2 + c * step;
    const y0 = top + (avail - n * pitch) / 2 + node / 2 + (pitch - node - (labels ? LABEL_H : 0)) / 2;
    const nodes = Array.from({ length: n }, (_, i) => ({ x, y: y0 + i * pitch }));
    return { x, layer: c - 1, nodes };
  });
  return { cols, node, labels, pitch, step };
}

/** SVG path of the edge from node `a` to node `b` (centres), leaving and entering horizontally. */
export function edgePath(a, b, node) {
  const x0 = a.x + node / 2;
  const x1 = b.x - node / 2;
  const mx = (x0 + x1) / 2;
  return `M ${x0.toFixed(1)} ${a.y.toFixed(1)} C ${mx.toFixed(1)} ${a.y.toFixed(1)}, ${mx.toFixed(1)} ${b.y.toFixed(1)}, ${x1.toFixed(1)} ${b.y.toFixed(1)}`;
}

/** Stroke width of a weight: ∝ |w|, kept visible when tiny and bounded when huge. */
export function weightWidth(w) {
  if (!isNum(w)) return 1;
  return Math.round(Math.min(9, 0.8 + 4.5 * Math.abs(w)) * 10) / 10;
}

/** Stroke width of a gradient glow: ∝ |g| relative to the largest in its layer. */
export function gradWidth(g, gmax) {
  if (!isNum(g) || !isNum(gmax) || gmax <= 0) return 0;
  return Math.round((3 + 15 * Math.min(1, Math.abs(g) / gmax)) * 10) / 10;
}

/** The largest |value| of a matrix (list of lists), 0 if none is a number. */
export function maxAbs(rows) {
  let m = 0;
  for (const row of Array.isArray(rows) ? rows : []) {
    for (const v of Array.isArray(row) ? row : [row]) if (isNum(v) && Math.abs(v) > m) m = Math.abs(v);
  }
  return m;
}
