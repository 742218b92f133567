// What the network says everywhere on the plane: the 100×100 `output` of the latest field frame as
// a heatmap (class colours mixed by probability, or ŷ on the value scale), the training points
// filled and the test points hollow on top. A click adds a point of the picked class there.

import { canvasPoint, FONT, prepare, scale, textStyle } from "../render/canvas.js";
import { CLASS_RGB, lutCss, paintOutput, valueRange, VALUE_LUT } from "../render/fieldcolors.js";
import { fmt } from "../render/format.js";
import { SPAN } from "../data.js";
import { paintUnit } from "./netgraph.js";
import { onPress, sameAsLast } from "../render/dom.js";

const TICKS = [-6, -3, 0, 3, 6];
const MARGIN = { left: 46, right: 10, top: 12, bottom: 30 }; // top: half a 16 px tick label, so the top tick is whole
const R = 4.5;
const rgb = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

/** Class 0 circle, 1 square, 2 triangle: the shape tells the class without colour. */
function shape(ctx, x, y, cls, r) {
  ctx.beginPath();
  if (cls === 1) ctx.rect(x - r, y - r, 2 * r, 2 * r);
  else if (cls === 2) {
    ctx.moveTo(x, y - r * 1.25);
    ctx.lineTo(x + r * 1.15, y + r * 0.8);
    ctx.lineTo(x - r * 1.15, y + r * 0.8);
    ctx.closePath();
  } else ctx.arc(x, y, r, 0, 2 * Math.PI);
}

function drawPoints(ctx, xs, ys, sx, sy, regression, range, hollow) {
  for (let i = 0; i < xs.length; i++) {
    const p = xs[i];
    if (!Array.isArray(p)) continue;
    const x = sx(p[0]);
    const y = sy(p[1]);
    const label = ys?.[i] ?? 0;
    const cls = regression ? 0 : Math.round(label);
    const colour = regression ? lutCss(VALUE_LUT, label, -range, range) : rgb(CLASS_RGB[cls % 3]);
    shape(ctx, x, y, cls, R);
    if (hollow) {
      // Hollow: a thick ring in the class colour inside a white halo, readable on any background.
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 5;
      ctx.stroke();
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2.5;
      ctx.stroke();
    } else {
      ctx.fillStyle = colour;
      ctx.fill();
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
  }
}

function legendHtml(ds) {
  const hollow = '<span class="lg"><span class="sym hollow-sym"></span>test (hollow)</span>';
  if (ds?.task === "regression") {
    return `<span class="lg"><span class="sym scale-sym"></span>ŷ: orange −, blue +</span>${hollow}`;
  }
  const shapes = ["●", "■", "▲"];
  const n = Math.max(2, ds?.classes ?? 2);
  const items = Array.from({ length: n }, (_, c) => `<span class="lg"><span class="sym c${c}">${shapes[c]}</span>class ${c}</span>`);
  return items.join("") + hollow;
}

export function Boundary(root, { onDraw }) {
  root.classList.add("boundary");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Output</span><span class="panel-value" id="accuracy"></span><span class="legend"></span></div>
    <div class="bd-toggles"><label><input type="checkbox" class="bd-test" checked> show test data</label>
      <label><input type="checkbox" class="bd-discrete"> discretize output</label></div>
    <canvas title="Click to add a point of the picked class"></canvas>`;
  const canvas = root.querySelector("canvas");
  const titleEl = root.querySelector(".panel-title");
  const testBox = root.querySelector(".bd-test");
  const discreteBox = root.querySelector(".bd-discrete");
  // TF Playground's toggles and its hover: a unit the pointer is on fills the plot with its picture
  let unit = null; // {layer, unit, K, name} while a node is hovered
  let forced = true;
  for (const box of [testBox, discreteBox]) {
    onPress(box, () => {
      forced = true;
      if (latest) update(latest);
    }, "change");
  }
  let latest = null;
  const legend = root.querySelector(".legend");
  const accEl = root.querySelector("#accuracy");
  const same = sameAsLast();
  const off = document.createElement("canvas"); // the 100×100 field, scaled up by drawImage
  let offCtx = null;
  let img = null;
  let last = {};
  let box = null;
  let drawMs = [];

  canvas.addEventListener("click", (ev) => {
    if (!box) return;
    const { x: px, y: py } = canvasPoint(canvas, ev); // presenter charts draw zoomed
    if (px < box.x || px > box.x + box.s || py < box.y || py > box.y + box.s) return;
    onDraw(box.sx.invert(px), box.sy.invert(py));
  });

  function paintField(field, ds) {
    const t = unit ? { shape: [24, 24] } : field?.tensors?.output;
    if (!t || t.shape.length < 2) return false;
    const [h, w] = t.shape;
    if (off.width !== w || off.height !== h || !img) {
      off.width = w;
      off.height = h;
      offCtx = off.getContext("2d");
      img = offCtx.createImageData(w, h);
    }
    const range = ds?.task === "regression" ? valueRange(ds.y) : 1;
    if (unit) {
      if (!paintUnit(img.data, field, unit.layer, unit.unit, unit.K, ds?.task, range)) return false;
    } else paintOutput(img.data, t, ds?.task ?? "classification", range, false, discreteBox.checked);
    offCtx.putImageData(img, 0, 0);
    return true;
  }

  /** The hovered unit ({layer, unit, K, name}) fills the plot; null: the network's output again. */
  function showUnit(next) {
    const key = (u) => (u ? `${u.layer}|${u.unit}` : "");
    if (key(next) === key(unit)) return;
    unit = next;
    forced = true;
    if (latest) update(latest);
  }

  function showAccuracy(acc) {
    const key = JSON.stringify(acc);
    if (same(key)) return;
    const pct = (v) => (typeof v === "number" && Number.isFinite(v) ? `${Math.round(v * 100)}%` : "—");
    accEl.textContent = acc ? `accuracy ${pct(acc.train)} train · ${pct(acc.test)} test` : "";
  }

  function update(state) {
    latest = state;
    showAccuracy(state.accuracy);
    const ds = state.dataset;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const fieldNew = state.fieldSeq !== last.fieldSeq || forced;
    if (!fieldNew && last.ds === ds && last.w === w && last.h === h) return;
    forced = false;
    const t0 = performance.now();
    if (last.ds !== ds) legend.innerHTML = legendHtml(ds);
    titleEl.textContent = unit ? `${unit.name}: its picture` : "Output";
    root.dataset.showing = unit ? `${unit.layer},${unit.unit}` : "output";
    const hasField = fieldNew ? paintField(state.field, ds) : last.hasField;
    last = { ds, w, h, fieldSeq: state.fieldSeq, hasField };
    const { ctx, w: cw, h: ch } = prepare(canvas);
    const s = Math.max(40, Math.min(cw - MARGIN.left - MARGIN.right, ch - MARGIN.top - MARGIN.bottom));
    const x0 = MARGIN.left + Math.max(0, (cw - MARGIN.left - MARGIN.right - s) / 2);
    const y0 = MARGIN.top;
    const span = state.field?.span ?? SPAN;
    const sx = scale(-span, span, x0, x0 + s);
    const sy = scale(-span, span, y0 + s, y0);
    box = { x: x0, y: y0, s, sx, sy };
    if (hasField) {
      ctx.imageSmoothingEnabled = !discreteBox.checked || !!unit; // a discretized edge stays sharp
      ctx.drawImage(off, x0, y0, s, s);
    } else {
      ctx.fillStyle = "#f9fafb";
      ctx.fillRect(x0, y0, s, s);
    }
    ctx.strokeStyle = "#374151";
    ctx.lineWidth = 1;
    ctx.strokeRect(x0 + 0.5, y0 + 0.5, s - 1, s - 1);
    textStyle(ctx, FONT, "#374151", "center", "top");
    // A small plot (a 1024 px presenter: 110 px) numbers every other tick and writes the axis name
    // where a number was left out ("3x₁6" ran together); a larger one names it between the last two.
    const small = s < 180;
    const ticks = small ? TICKS.filter((_, i) => i % 2 === 0) : TICKS;
    const named = small ? TICKS[TICKS.length - 2] : (TICKS[TICKS.length - 2] + TICKS[TICKS.length - 1]) / 2;
    for (const t of ticks) ctx.fillText(fmt(t), sx(t), y0 + s + 4);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of ticks) ctx.fillText(fmt(t), x0 - 6, sy(t));
    ctx.font = `italic ${FONT}`;
    ctx.fillText("x₂", x0 - 6, sy(named));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText("x₁", sx(named), y0 + s + 4);
    const regression = ds?.task === "regression";
    const range = regression ? valueRange(ds?.y) : 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, y0, s, s);
    ctx.clip();
    let n = 0;
    if (ds) {
      const tests = testBox.checked ? ds.test_x ?? [] : [];
      drawPoints(ctx, tests, ds.test_y, sx, sy, regression, range, true);
      drawPoints(ctx, ds.x ?? [], ds.y, sx, sy, regression, range, false);
      n = (ds.x?.length ?? 0) + tests.length;
    }
    ctx.restore();
    root.dataset.points = String(n);
    root.dataset.fieldSeq = String(state.fieldSeq);
    if (fieldNew && hasField) {
      drawMs.push(performance.now() - t0);
      if (drawMs.length > 100) drawMs.shift();
    }
  }

  return { update, showUnit, drawMs: () => drawMs.slice() };
}
