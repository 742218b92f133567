// The loss landscape: a filled contour map (or hillshaded terrain) of the loss over two axes, the
// start and the lowest point, and every racer's path down it as a trail in its colour and dash.
// The map itself is painted once per landscape/size/view into an offscreen canvas; the trails are
// drawn over it on each update.

import { axes, canvasPoint, clipTo, drawMarker, emptyNote, FONT, FONT_SMALL, plotFrame, prepare, scale, textStyle, ticks } from "../render/canvas.js";
import { INK, MUTED } from "../render/colors.js";
import { fmt, isNum } from "../render/format.js";
import { bandIndex, bilinear, contourSegments, finiteRange, gridMinimum, hillshade, logLevels, normalizedLog, ramp, sampleAt } from "./contour.js";
import { OPTIMIZER_TITLES, leftTheMap, widerSpan } from "./race.js";
import { onPress, sameAsLast } from "../render/dom.js";

const LEVELS = 14;
const BAR_W = 14; // the colour bar right of the map

/** The map as pixels: one colour per band (contour) or the ramp under hillshade light (terrain). */
function paintMap(grid, view, width, height) {
  const off = document.createElement("canvas");
  off.width = width;
  off.height = height;
  const ctx = off.getContext("2d");
  const range = finiteRange(grid.loss);
  if (!range) return off;
  const [lo, hi] = range;
  const z = normalizedLog(grid.loss, lo, hi);
  const levels = logLevels(lo, hi, LEVELS);
  const zLevels = normalizedLog([levels], lo, hi)[0];
  const bandColors = Array.from({ length: levels.length + 1 }, (_, b) => ramp((b + 0.5) / (levels.length + 1)));
  const shade = view === "terrain" ? hillshade(z) : null;
  const rows = grid.y.length;
  const cols = grid.x.length;
  const img = ctx.createImageData(width, height);
  const d = img.data;
  for (let py = 0; py < height; py++) {
    const fy = ((height - py - 0.5) / height) * (rows - 1); // y grows upward on screen
    for (let px = 0; px < width; px++) {
      const fx = ((px + 0.5) / width) * (cols - 1);
      const v = sampleAt(z, fx, fy) ?? 1; // too large: the top of the ramp
      let c;
      if (shade) {
        const s = sampleAt(shade, fx, fy) ?? 0.7;
        const f = 0.42 + 0.8 * s; // flat ground (0.71) keeps its colour; slopes lit or shadowed
        c = ramp(v).map((ch) => Math.min(255, ch * f));
      } else c = bandColors[bandIndex(v, zLevels)];
      const k = 4 * (py * width + px);
      d[k] = c[0];
      d[k + 1] = c[1];
      d[k + 2] = c[2];
      d[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  // Thin contour lines on both views: on the terrain they read as the map's elevation lines.
  const sx = scale(grid.x[0], grid.x[cols - 1], 0, width);
  const sy = scale(grid.y[0], grid.y[rows - 1], height, 0);
  ctx.strokeStyle = view === "terrain" ? "rgba(40, 24, 12, 0.22)" : "rgba(40, 24, 12, 0.38)";
  ctx.lineWidth = Math.max(1, width / 700);
  ctx.beginPath();
  for (const level of levels) {
    for (const [x0, y0, x1, y1] of contourSegments(grid, level)) {
      ctx.moveTo(sx(x0), sy(y0));
      ctx.lineTo(sx(x1), sy(y1));
    }
  }
  ctx.stroke();
  return off;
}

function haloText(ctx, text, x, y) {
  ctx.lineJoin = "round";
  ctx.strokeStyle = "rgba(255, 255, 255, 0.92)";
  ctx.lineWidth = 4;
  ctx.strokeText(text, x, y);
  ctx.fillText(text, x, y);
}

/** Place labels beside their points without overlapping one another (greedy, first come first placed). */
function placeLabels(ctx, items, box) {
  const placed = [];
  const h = 18;
  for (const it of items) {
    const w = ctx.measureText(it.text).width + 6;
    const tries = [[12, -h / 2], [-12 - w, -h / 2], [12, -h - 6], [12, 6], [-12 - w, -h - 6], [-12 - w, 6]];
    let best = null;
    for (let extra = 0; extra < 6 && !best; extra++) {
      for (const [dx, dy] of tries) {
        const r = { x: it.x + dx, y: it.y + dy + extra * h * Math.sign(dy || 1), w, h };
        const inside = r.x >= box.x && r.x + w <= box.x + box.w && r.y >= box.y && r.y + h <= box.y + box.h;
        const clear = placed.every((p) => r.x + r.w < p.x || p.x + p.w < r.x || r.y + r.h < p.y || p.y + p.h < r.y);
        if (inside && clear) {
          best = r;
          break;
        }
      }
    }
    best ??= { x: it.x + 12, y: it.y - h / 2, w, h };
    placed.push(best);
    it.at = best;
  }
  return items;
}

/** Colour-bar labels: 1, 2, 5 × 10ⁿ inside [lo, hi], thinned to fit `height` px. */
function barMarks(lo, hi, height) {
  let marks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) marks.push(v);
    }
  }
  while (marks.length > Math.max(2, Math.floor(height / 40))) marks = marks.filter((_, i) => i % 2 === 0);
  return marks.length < 2 ? [lo, Math.sqrt(lo * hi), hi] : marks; // a narrow range (a network's 0.5 … 0.9)
}

function colourBar(ctx, box, lo, hi, marks) {
  const x = box.x + box.w + 12;
  const sy = (v) => box.y + box.h - ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo) || 1)) * box.h;
  for (let py = 0; py < box.h; py++) {
    const c = ramp(1 - py / box.h);
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    ctx.fillRect(x, box.y + py, BAR_W, 1.5);
  }
  ctx.strokeStyle = "#9ca3af";
  ctx.strokeRect(x + 0.5, box.y + 0.5, BAR_W, box.h);
  textStyle(ctx, FONT_SMALL, MUTED, "left", "middle");
  for (const v of marks) ctx.fillText(fmt(v, 2), x + BAR_W + 4, sy(v));
  ctx.fillStyle = INK;
  ctx.textBaseline = "bottom";
  ctx.fillText("loss", x, box.y - 10);
}

export function Landscape(root, { onView, onZoom }) {
  root.classList.add("landscape");
  root.innerHTML = `
    <div class="panel-head">
      <span class="panel-title">Loss landscape <span class="hint">(light = low loss)</span></span>
      <span class="landscape-tools">
        <button type="button" class="zoom-out" hidden>Zoom out</button>
        <button type="button" class="zoom-fit" hidden>Default zoom</button>
        <span class="view-toggle" role="group" aria-label="view">
          <button type="button" data-view="contour">Contour</button><button type="button" data-view="terrain">Terrain <kbd>T</kbd></button>
        </span>
      </span>
    </div>
    <div class="landscape-body"><canvas></canvas><div class="hover-readout" hidden></div></div>
    <p class="landscape-caption" hidden></p>`;
  const canvas = root.querySelector("canvas");
  const readout = root.querySelector(".hover-readout");
  const caption = root.querySelector(".landscape-caption");
  const zoomOut = root.querySelector(".zoom-out");
  const zoomFit = root.querySelector(".zoom-fit");
  let race = null;
  let frame = null; // {box, sx, sy} of the last draw, for the hover readout
  let cache = { key: "", img: null };
  const same = sameAsLast();
  let paints = 0;

  for (const b of root.querySelectorAll(".view-toggle button")) {
    onPress(b, () => onView(b.dataset.view));
  }
  zoomOut.addEventListener("click", () => race?.landscape && onZoom(widerSpan(race.landscape)));
  zoomFit.addEventListener("click", () => onZoom(null));

  canvas.addEventListener("mousemove", (ev) => {
    const g = race?.landscape;
    if (!g || !frame) return;
    const { x: px, y: py } = canvasPoint(canvas, ev); // presenter charts draw zoomed
    const { box, sx, sy } = frame;
    if (px < box.x || px > box.x + box.w || py < box.y || py > box.y + box.h) {
      readout.hidden = true;
      return;
    }
    const x = sx.invert(px);
    const y = sy.invert(py);
    const [a, b] = g.axes ?? ["x", "y"];
    readout.textContent = `${a} = ${fmt(x, 3)}, ${b} = ${fmt(y, 3)}, loss = ${fmt(bilinear(g, x, y), 3)}`;
    readout.hidden = false;
    const rect = canvas.getBoundingClientRect();
    const zoom = Number(canvas.dataset.zoom) || 1; // the readout is placed in CSS pixels
    readout.style.left = `${Math.min(px * zoom + 14, rect.width - readout.offsetWidth - 4)}px`;
    readout.style.top = `${Math.max(0, py * zoom - 34)}px`;
  });
  canvas.addEventListener("mouseleave", () => (readout.hidden = true));

  function draw() {
    const g = race.landscape;
    const { ctx, w, h } = prepare(canvas);
    if (!g?.loss?.length) {
      frame = null;
      emptyNote(ctx, w, h, "asking the server for the landscape…");
      return;
    }
    const xd = [g.x[0], g.x[g.x.length - 1]];
    const yd = [g.y[0], g.y[g.y.length - 1]];
    const range = finiteRange(g.loss);
    const [lo, hi] = range ? [Math.max(range[0], range[1] * 1e-6), range[1]] : [1, 1];
    const marks = range ? barMarks(lo, hi, h - 70) : [];
    ctx.font = FONT_SMALL;
    const markW = Math.max(0, ...marks.map((v) => ctx.measureText(fmt(v, 2)).width));
    const box = plotFrame(ctx, w, h, yd, { right: BAR_W + 24 + markW, tickFont: FONT });
    box.y += 22; // room above for the colour bar's title
    box.h -= 22;
    const sx = scale(xd[0], xd[1], box.x, box.x + box.w);
    const sy = scale(yd[0], yd[1], box.y + box.h, box.y);
    frame = { box, sx, sy };
    const [xName, yName] = g.axes ?? ["x", "y"];
    axes(ctx, box, sx, sy, xd, yd, xName, yName, {
      xTicks: ticks(xd[0], xd[1], Math.max(2, Math.floor(box.w / 90))),
    });
    const dpr = window.devicePixelRatio || 1;
    const key = `${g.step}|${g.x.length}|${xd}|${yd}|${g.loss[0]?.[0]}|${race.view}|${Math.round(box.w * dpr)}x${Math.round(box.h * dpr)}|${race.landscapeSeq ?? ""}`;
    if (cache.key !== key || cache.grid !== g) cache = { key, grid: g, img: paintMap(g, race.view, Math.round(box.w * dpr), Math.round(box.h * dpr)) };
    ctx.drawImage(cache.img, box.x, box.y, box.w, box.h);
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1;
    ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
    if (range) colourBar(ctx, box, lo, hi, marks);

    clipTo(ctx, box); // trails that leave the grid keep going, cut at its edge
    const labels = [];
    const start = g.start ?? g.center;
    if (Array.isArray(start)) {
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 6;
      ring(ctx, sx(start[0]), sy(start[1]), 11);
      ctx.strokeStyle = INK;
      ctx.lineWidth = 3;
      ring(ctx, sx(start[0]), sy(start[1]), 11);
    }
    // Longest first: the racers share the valley, and the shortest (slowest) trail would vanish under the rest.
    for (const r of [...race.racers].sort((a, b) => b.trail.length - a.trail.length)) trail(ctx, r, sx, sy);
    ctx.restore();
    const clampX = (v) => Math.min(box.x + box.w - 10, Math.max(box.x + 10, v));
    const clampY = (v) => Math.min(box.y + box.h - 10, Math.max(box.y + 10, v));
    const min = Array.isArray(g.minimum) && isNum(g.minimum[0]) ? g.minimum : gridMinimum(g);
    if (min) {
      // On the grid's edge when the lowest point lies beyond it: drawn whole, just inside.
      const mx = clampX(sx(min[0]));
      const my = clampY(sy(min[1]));
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 6;
      cross(ctx, mx, my, 9);
      ctx.strokeStyle = INK;
      ctx.lineWidth = 3;
      cross(ctx, mx, my, 9);
      labels.push({ x: mx, y: my, text: "lowest point", color: INK });
    }
    for (const r of race.racers) {
      const head = r.trail.at(-1);
      if (!head) continue;
      const x = Math.min(box.x + box.w, Math.max(box.x, sx(head[0])));
      const y = Math.min(box.y + box.h, Math.max(box.y, sy(head[1])));
      drawMarker(ctx, r.marker, x, y, 7, r.color, true);
      labels.push({ x, y, text: OPTIMIZER_TITLES[r.optimizer] ?? r.optimizer, color: r.color });
    }
    if (Array.isArray(start)) labels.push({ x: sx(start[0]), y: sy(start[1]), text: "start", color: INK });
    ctx.font = `700 ${FONT}`;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const l of placeLabels(ctx, labels, box)) {
      ctx.fillStyle = l.color;
      haloText(ctx, l.text, l.at.x + 3, l.at.y + l.at.h / 2);
    }
    paints += 1;
    canvas.dataset.paints = String(paints);
  }

  function update(next) {
    race = next;
    const g = race.landscape;
    const trails = race.racers.map((r) => `${r.key}:${r.trail.length}:${r.trail.at(-1)}:${r.optimizer}`).join(",");
    const key = [g?.step, g?.x?.[0], g?.x?.length, g?.axes, race.view, canvas.clientWidth, canvas.clientHeight, trails, race.landscapeSeq].join("|");
    root.dataset.view = race.view;
    for (const b of root.querySelectorAll(".view-toggle button")) b.classList.toggle("active", b.dataset.view === race.view);
    zoomOut.hidden = !leftTheMap(race);
    zoomFit.hidden = !isNum(race.span);
    const projected = race.model === "mlp";
    caption.hidden = !projected;
    if (projected) {
      caption.textContent =
        "The network has many weights; this map is a slice through its start along two random directions. " +
        "The dots are each racer's weights projected onto that slice: a shadow of a path in many dimensions.";
    }
    root.dataset.ready = g ? "1" : "0";
    if (same(key)) return;
    draw();
  }

  return { update };
}

function cross(ctx, x, y, r) {
  ctx.beginPath();
  ctx.moveTo(x - r, y - r);
  ctx.lineTo(x + r, y + r);
  ctx.moveTo(x + r, y - r);
  ctx.lineTo(x - r, y + r);
  ctx.stroke();
}

function ring(ctx, x, y, r) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.stroke();
}

/** A racer's path: a white casing under its colour and dash, so it reads on light and dark ground. */
function trail(ctx, r, sx, sy) {
  if (r.trail.length < 2) return;
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
  ctx.beginPath();
  r.trail.forEach(([x, y], i) => (i ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
  ctx.setLineDash([]);
  ctx.strokeStyle = "rgba(255, 255, 255, 0.85)";
  ctx.lineWidth = 6;
  ctx.stroke();
  ctx.setLineDash(r.dash);
  ctx.strokeStyle = r.color;
  ctx.lineWidth = 3;
  ctx.stroke();
  ctx.setLineDash([]);
}
