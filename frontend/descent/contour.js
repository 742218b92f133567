// The landscape's math, with no DOM: log-spaced contour levels, marching-squares contour lines,
// bilinear lookup, hillshade relief and the colour ramp. A grid is the server's landscape message:
// loss[i][j] is the loss at (x[j], y[i]); null means "too large to compute" (treated as above the
// highest level). x and y are evenly spaced and ascending.

import { finiteBounds, isNum } from "../render/format.js";

/** [lowest, highest] finite loss in the grid, or null when there is none. */
export const finiteRange = (loss) => finiteBounds(loss.flat());

/**
 * `count` contour levels spaced evenly in log(loss) strictly between lo and hi: loss landscapes
 * span decades (0.05 in the valley, 15 on the walls), and even steps would spend every line on
 * the walls. A loss of exactly 0 (a perfect line fit) has no logarithm, so the floor is hi·10⁻⁶.
 */
export function logLevels(lo, hi, count = 12) {
  if (!isNum(lo) || !isNum(hi) || hi <= 0 || count < 1) return [];
  const floor = Math.max(lo, hi * 1e-6);
  if (hi <= floor) return [];
  const a = Math.log(floor);
  const b = Math.log(hi);
  const out = [];
  for (let k = 1; k <= count; k++) out.push(Math.exp(a + ((b - a) * k) / (count + 1)));
  return out;
}

/** How many levels lie at or below v: the band v falls in (0 … levels.length). null: the top band. */
export function bandIndex(v, levels) {
  if (!isNum(v)) return levels.length;
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (levels[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fractional grid index of coordinate v on evenly spaced ascending axis `axis` (may be outside). */
export function gridIndex(axis, v) {
  const n = axis.length;
  const span = axis[n - 1] - axis[0];
  return span ? ((v - axis[0]) / span) * (n - 1) : 0;
}

/** Bilinear value of `values` (rows follow y) at fractional indices (fi along x, fy along y). */
export function sampleAt(values, fi, fy) {
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  if (fi < 0 || fy < 0 || fi > cols - 1 || fy > rows - 1) return null;
  const j = Math.min(Math.floor(fi), cols - 2);
  const i = Math.min(Math.floor(fy), rows - 2);
  if (j < 0 || i < 0) return isNum(values[0]?.[0]) ? values[0][0] : null;
  const tx = fi - j;
  const ty = fy - i;
  const v00 = values[i][j];
  const v01 = values[i][j + 1];
  const v10 = values[i + 1][j];
  const v11 = values[i + 1][j + 1];
  if (![v00, v01, v10, v11].every(isNum)) return null;
  return (v00 * (1 - tx) + v01 * tx) * (1 - ty) + (v10 * (1 - tx) + v11 * tx) * ty;
}

/** The loss at (x, y) read off the grid by bilinear interpolation; null outside or where too large. */
export function bilinear(grid, x, y) {
  return sampleAt(grid.loss, gridIndex(grid.x, x), gridIndex(grid.y, y));
}

// Marching squares. Corners of cell (i, j): 0 = (j, i), 1 = (j+1, i), 2 = (j+1, i+1), 3 = (j, i+1),
// bit k set when corner k is above the level. Each case lists the edges a line joins; edge e runs
// from corner e to corner (e+1) % 4. Saddles (5, 10) are split by the cell's mean value.
const CASES = {
  1: [[3, 0]], 2: [[0, 1]], 3: [[3, 1]], 4: [[1, 2]], 6: [[0, 2]], 7: [[3, 2]], 8: [[2, 3]],
  9: [[0, 2]], 11: [[1, 2]], 12: [[1, 3]], 13: [[0, 1]], 14: [[3, 0]],
};

/**
 * Line segments where the loss crosses `level`, in data coordinates: [[x0, y0, x1, y1], ...].
 * Cells with a missing corner (too large) are skipped: no line is drawn where nothing is known.
 */
export function contourSegments(grid, level) {
  const { x: xs, y: ys, loss } = grid;
  const out = [];
  for (let i = 0; i + 1 < ys.length; i++) {
    for (let j = 0; j + 1 < xs.length; j++) {
      const v = [loss[i][j], loss[i][j + 1], loss[i + 1][j + 1], loss[i + 1][j]];
      if (!v.every(isNum)) continue;
      const c = [[xs[j], ys[i]], [xs[j + 1], ys[i]], [xs[j + 1], ys[i + 1]], [xs[j], ys[i + 1]]];
      let idx = 0;
      for (let k = 0; k < 4; k++) if (v[k] > level) idx |= 1 << k;
      let pairs = CASES[idx];
      if (idx === 5 || idx === 10) {
        const centreAbove = (v[0] + v[1] + v[2] + v[3]) / 4 > level;
        // corners 0 and 2 above (5): joined through the middle when the centre is above too
        pairs = (idx === 5) === centreAbove ? [[0, 1], [2, 3]] : [[3, 0], [1, 2]];
      }
      if (!pairs) continue;
      const cross = (e) => {
        const a = e;
        const b = (e + 1) % 4;
        const t = (level - v[a]) / (v[b] - v[a]);
        return [c[a][0] + t * (c[b][0] - c[a][0]), c[a][1] + t * (c[b][1] - c[a][1])];
      };
      for (const [e0, e1] of pairs) {
        const p = cross(e0);
        const q = cross(e1);
        out.push([p[0], p[1], q[0], q[1]]);
      }
    }
  }
  return out;
}

/** log(loss) scaled to 0 … 1 between the levels' floor and the highest finite loss; null stays null. */
export function normalizedLog(loss, lo, hi) {
  const floor = Math.max(lo, hi * 1e-6);
  const a = Math.log(floor);
  const span = Math.log(hi) - a || 1;
  return loss.map((row) => row.map((v) => (isNum(v) ? Math.min(1, Math.max(0, (Math.log(Math.max(v, floor)) - a) / span)) : null)));
}

/**
 * Hillshade of a height field z (rows follow y, values 0 … 1; null = a wall at height 1), lit from
 * the upper left of the screen (y grows upward) at 45° above the horizon. Slopes are measured in
 * map widths, so the relief looks the same whatever units the axes have. Returns 0 (shadow) … 1 (facing
 * the light); flat ground is sin 45° ≈ 0.71.
 */
export function hillshade(z, relief = 0.6) {
  const rows = z.length;
  const cols = z[0]?.length ?? 0;
  // `relief`: a rise from 0 to 1 across the whole map is a slope of `relief`, at any resolution.
  const exaggeration = relief * Math.max(1, cols - 1);
  const h = (i, j) => {
    const v = z[Math.min(rows - 1, Math.max(0, i))][Math.min(cols - 1, Math.max(0, j))];
    return isNum(v) ? v : 1;
  };
  const light = [-1, 1, Math.SQRT2]; // from −x, +y, up: 45° elevation
  const ln = Math.hypot(...light);
  const out = [];
  for (let i = 0; i < rows; i++) {
    const row = [];
    for (let j = 0; j < cols; j++) {
      const dx = ((h(i, j + 1) - h(i, j - 1)) / 2) * exaggeration;
      const dy = ((h(i + 1, j) - h(i - 1, j)) / 2) * exaggeration;
      const nl = Math.hypot(dx, dy, 1);
      const dot = (-dx * light[0] - dy * light[1] + light[2]) / (nl * ln);
      row.push(Math.max(0, dot));
    }
    out.push(row);
  }
  return out;
}

// Sand to dark earth: lightness falls steadily (perceptually ordered, readable in greyscale), so
// the valley floor is light and calm and the walls dark and warm. The racers' saturated colours
// stand out on every part of it.
const RAMP = [
  [0.0, [255, 253, 240]],
  [0.18, [250, 236, 196]],
  [0.38, [238, 204, 146]],
  [0.58, [214, 156, 98]],
  [0.78, [160, 98, 62]],
  [1.0, [84, 50, 38]],
];

/** The colour ramp at t ∈ [0, 1] as [r, g, b] (0 … 255). */
export function ramp(t) {
  const u = Math.min(1, Math.max(0, isNum(t) ? t : 1));
  for (let k = 1; k < RAMP.length; k++) {
    const [t1, c1] = RAMP[k];
    if (u <= t1) {
      const [t0, c0] = RAMP[k - 1];
      const f = (u - t0) / (t1 - t0);
      return c0.map((c, n) => Math.round(c + f * (c1[n] - c)));
    }
  }
  return RAMP[RAMP.length - 1][1].slice();
}

/** The grid point with the lowest loss: [x, y, loss], or null. */
export function gridMinimum(grid) {
  let best = null;
  grid.loss.forEach((row, i) =>
    row.forEach((v, j) => {
      if (isNum(v) && (!best || v < best[2])) best = [grid.x[j], grid.y[i], v];
    }),
  );
  return best;
}
