// Number formatting for a projector: few digits, a real minus sign, and "—" for anything that is
// not a finite number, so NaN/Infinity/null from a diverged run never reach the screen raw.

export const MINUS = "\u2212";
export const DASH = "\u2014";

const SUPERSCRIPT = {
  "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
  "-": "⁻", "+": "",
};

/** 12 → "₁₂": indices written as subscripts (classes, weights, layers). */
export function sub(n) {
  return String(n).replace(/[0-9]/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
}

export function isNum(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/** [min, max] of the finite numbers among `values`, or null when there is none. */
export function finiteBounds(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!isNum(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? null : [lo, hi];
}

function trimZeros(s) {
  if (!s.includes(".")) return s;
  return s.replace(/0+$/, "").replace(/\.$/, "");
}

function withMinus(s) {
  return s.replace(/-/g, MINUS);
}

// Scientific notation as students write it (1.5×10⁻⁴), not as programmers do (1.5e-4).
function scientific(v, digits) {
  const [mantissa, exponent] = v.toExponential(digits - 1).split("e");
  const exp = [...exponent].map((c) => SUPERSCRIPT[c] ?? c).join("");
  return `${withMinus(trimZeros(mantissa))}×10${exp}`;
}

/** One number, `digits` significant digits (trailing zeros dropped). */
export function fmt(v, digits = 4) {
  if (!isNum(v)) return DASH;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) {
    const s = v.toPrecision(digits);
    if (!s.includes("e")) return withMinus(trimZeros(s));
  }
  // Five-digit integers read better whole than as 1.235×10⁴.
  if (a >= 1e4 && a < 1e5) return withMinus(String(Math.round(v)));
  return scientific(v, digits);
}

/** A stage value: a number, a list (a batch) or a list of lists (batch × features). */
export function fmtValue(v, digits = 4) {
  if (Array.isArray(v)) {
    if (v.some(Array.isArray)) {
      // One sample per line: a tuple split across lines is hard to read.
      return v.map((row) => (Array.isArray(row) ? `(${row.map((x) => fmt(x, digits)).join(", ")})` : fmt(row, digits))).join("\n");
    }
    return v.map((x) => fmt(x, digits)).join(", ");
  }
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return v;
  return fmt(v, digits);
}

/** The numbers a value holds, flattened (for tests and summaries). */
export function flatNumbers(v) {
  if (Array.isArray(v)) return v.flatMap(flatNumbers);
  return [v];
}

/** Short form for cramped places: first number of a batch, with "…" when there are more. */
export function fmtBrief(v, digits = 3) {
  const flat = flatNumbers(v);
  if (flat.length === 0) return DASH;
  const first = fmt(flat[0], digits);
  return flat.length > 1 ? `${first}, …` : first;
}
