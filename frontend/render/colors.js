// One palette for every view. Classes use blue vs orange (safe for the common colour-vision
// deficiencies) and are also told apart by shape: class 0 a circle, class 1 a square.

export const INK = "#111827";
export const MUTED = "#4b5563";
export const GRID = "#e5e7eb";
export const AXIS = "#374151";

export const CLASS_COLORS = ["#1f77b4", "#e66100"];
export const CLASS_FILLS = ["rgba(31, 119, 180, 0.10)", "rgba(230, 97, 0, 0.10)"];

// The pipeline's forward blue and backward green (dashed too, so never hue alone) live in
// styles/app.css as --fwd / --back: the pipeline is HTML and SVG, styled by CSS.
export const MODEL_LINE = "#111827";
export const LOSS_LINE = "#6d28d9";
export const TEST_LINE = "#b45309"; // dashed beside the train loss, so never told apart by hue alone
export const DOT = "#d62728";
