// The network diagram, the centre of the Network page: inputs → hidden units → output, each unit a
// heatmap of its activation over the plane, each weight an edge. It says which stage it shows in
// data attributes (data-active-stage, data-active-layer) so tests and stylesheets can follow it.

import { activeLayer, displayParams } from "../state.js";
import { layout, netShape } from "../render/netlayout.js";
import { valueRange } from "../render/fieldcolors.js";
import { fmt, sub } from "../render/format.js";
import { lighting, NetGraph } from "./netgraph.js";
import { NetEditor } from "./neteditor.js";
import { describe, Inspector } from "./netinspect.js";

const HEAD_H = 70; // the per-layer controls above the columns

const ZEROS_NOTE =
  "Init “zeros” can’t learn: the units of a layer start equal, get equal gradients and stay equal " +
  "(symmetry is never broken).";

function outputName(dataset, K) {
  return (unit) => {
    if (dataset?.task === "regression") return "ŷ";
    return K > 1 || (dataset?.classes ?? 2) > 2 ? `p${sub(unit)}` : "p₁"; // classes as the data numbers them
  };
}

export function Network(root, { configure, setParam, toast, explain, hoverUnit = () => {} }) {
  root.classList.add("network");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Network</span><span class="net-head"></span></div>
    <p class="net-note" role="note" hidden></p>
    <div class="net-stage">
      <div class="net-cols"></div>
      <div class="net-loss" hidden></div>
    </div>
    <p class="net-hint">Hover a unit or a weight for its gradient; click one to edit it.</p>`;
  const stage = root.querySelector(".net-stage");
  const note = root.querySelector(".net-note");
  note.textContent = ZEROS_NOTE;
  const lossBadge = root.querySelector(".net-loss");
  const editor = NetEditor(root.querySelector(".net-head"), root.querySelector(".net-cols"), note, { configure });
  const graph = NetGraph(stage);
  const inspector = Inspector(stage, { setParam, toast, explain });
  let inputs = [];
  let last = {};
  let paintMs = 0;

  function targetOf(el) {
    const hit = el.closest?.(".edge-hit");
    if (hit) return { kind: "edge", k: +hit.dataset.layer, i: +hit.dataset.i, j: +hit.dataset.j };
    const node = el.closest?.(".net-node");
    if (node) return { kind: "node", layer: +node.dataset.layer, unit: +node.dataset.unit };
    return null;
  }

  function anchorOf(ev) {
    const r = stage.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  let latest = null; // the state last drawn, for the card to read when the pointer moves
  stage.addEventListener("pointerover", (ev) => {
    const t = targetOf(ev.target);
    if (!t || !latest) return;
    if (t.kind === "node") {
      const K = displayParams(latest)?.layers?.length ?? 0;
      hoverUnit({ layer: t.layer, unit: t.unit, K, name: describe(latest, t, inputs).title });
    }
    inspector.open(t, anchorOf(ev), false);
    inspector.update(latest, inputs, latest.session?.role === "viewer");
  });
  stage.addEventListener("pointerout", (ev) => {
    const to = ev.relatedTarget ?? document.body;
    if (targetOf(ev.target) && !targetOf(to) && !to.closest?.(".net-inspect")) inspector.close(false);
    if (targetOf(ev.target)?.kind === "node" && targetOf(to)?.kind !== "node") hoverUnit(null);
  });
  stage.addEventListener("click", (ev) => {
    if (ev.target.closest(".net-inspect") || ev.target.closest(".net-cols")) return;
    const t = targetOf(ev.target);
    if (!t) return inspector.close();
    inspector.open(t, anchorOf(ev), true);
    inspector.update(latest, inputs, latest?.session?.role === "viewer");
    inspector.focusEdit();
  });
  window.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") inspector.close();
  });

  function update(state) {
    latest = state;
    const params = displayParams(state);
    const shape = netShape(params, state.dataset);
    const viewer = state.session?.role === "viewer";
    const config = state.session?.config ?? {};
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    if (!shape) {
      editor.update(config, null, null, viewer);
      return;
    }
    const K = shape.sizes.length;
    inputs = shape.inputs;
    const shapeKey = `${shape.inputs.join(",")}|${shape.sizes.join(",")}|${shape.activations.join(",")}|${w}x${h}|${state.dataset?.task}|${state.dataset?.classes}`;
    let rebuilt = false;
    if (shapeKey !== last.shapeKey) {
      const lay = layout(shape.inputs.length, shape.sizes, w, h, HEAD_H);
      graph.build(shape, lay, outputName(state.dataset, shape.sizes[K - 1]));
      editor.update(config, lay, shape, viewer);
      last = { shapeKey, lay };
      rebuilt = true;
      inspector.close();
    } else editor.update(config, last.lay, shape, viewer);

    if (rebuilt || params !== last.params) graph.weights(params);
    const s = state.stage;
    const lit = lighting(s, K);
    const gradKey = lit.grads === null ? null : state.grads?.[lit.grads];
    if (rebuilt || gradKey !== last.grad) graph.gradients(lit.grads, gradKey);
    if (rebuilt || s !== last.stage || params !== last.params) graph.light(lit, s?.values, params);
    if (rebuilt || state.fieldSeq !== last.fieldSeq) {
      const t0 = performance.now();
      const range = state.dataset?.task === "regression" ? valueRange(state.dataset?.y) : 1;
      const n = graph.paint(state.field, state.dataset?.task, range);
      paintMs = performance.now() - t0;
      root.dataset.painted = String(n);
    }
    Object.assign(last, { params, stage: s, grad: gradKey, fieldSeq: state.fieldSeq });

    root.dataset.activeStage = s?.stage ?? "";
    root.dataset.activeLayer = lit.values?.layer ?? (lit.loss ? K - 1 : activeLayer(state) ?? "");
    root.dataset.activeIndex = s?.index ?? "";
    root.classList.toggle("stepping", !!s);
    lossBadge.hidden = !lit.loss;
    if (lit.loss) lossBadge.textContent = `L = ${fmt(s.values?.loss, 3)}`;
    inspector.update(state, inputs, viewer);
  }

  return { update, paintMs: () => paintMs };
}
