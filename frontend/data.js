// A network's own data, as the page handles it: the points of a `dataset` message as rows
// [x₁, x₂, label], the `data` message that adds one drawn point, and CSV text for export.
// Pure (no DOM, no network).

/** Every point of a dataset message, training set first, then the held-out test set. */
export function datasetPoints(ds) {
  if (!ds || !Array.isArray(ds.x)) return [];
  const rows = [];
  const add = (xs, ys) => {
    if (!Array.isArray(xs)) return;
    xs.forEach((p, i) => {
      if (Array.isArray(p) && p.length >= 2) rows.push([p[0], p[1], ys?.[i] ?? 0]);
    });
  };
  add(ds.x, ds.y);
  add(ds.test_x, ds.test_y);
  return rows;
}

/** The plane the server accepts points on: [−span, span]². */
export const SPAN = 6;

/** Round a drawn coordinate to what a person could have typed, and keep it on the plane. */
export function snap(v, span = SPAN) {
  const r = Math.round(v * 100) / 100;
  return Math.max(-span, Math.min(span, r));
}

/** The `data` message that keeps every current point and adds one more. */
export function addPointMessage(ds, x1, x2, label) {
  return { type: "data", points: [...datasetPoints(ds), [snap(x1), snap(x2), label]] };
}

function cell(v) {
  return Number.isFinite(v) ? String(Math.round(v * 1e6) / 1e6) : "";
}

/** CSV text with a header, one point per line: what the CSV upload reads back. */
export function toCsv(rows) {
  return ["x1,x2,label", ...rows.map((r) => r.map(cell).join(","))].join("\n") + "\n";
}

/**
 * The label a drawn point gets: a class index for classification (class 2 on a two-class set makes
 * it a three-class set), the picked value for regression.
 */
export function drawLabel(task, pick) {
  if (task === "regression") return Number.isFinite(pick.value) ? pick.value : 0;
  return Math.max(0, Math.min(2, pick.cls | 0));
}
