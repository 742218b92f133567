// Units for the Scale page: every figure the engine sends is a bare number in base units (bytes,
// FLOPs, hours, kWh, dollars …); these turn it into what a person reads (8.03 B parameters,
// 1.31 TB, 3.14×10²³ FLOP, 54 days, 1.2 MWh, $4.6 M). Pure; "—" for anything that is not a number,
// so a figure the engine left null never shows as a fake 0.

import { DASH, fmt, isNum } from "../render/format.js";

// Decimal prefixes, as GPU makers and papers use them (80 GB = 80·10⁹ bytes). The page says so.
const SI = [
  [1e24, "Y"], [1e21, "Z"], [1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"],
];
// Counts (parameters, tokens, GPU-hours): the words people say — thousand, million, billion, trillion.
const COUNT = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];

/** `v` with three significant digits, no trailing zeros ("1.50" → "1.5"), a real minus sign. */
export function sig(v, digits = 3) {
  if (!isNum(v)) return DASH;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 10 ** digits) return Math.round(v).toLocaleString("en-US").replace(/-/g, "\u2212");
  return fmt(v, digits);
}

/** `v` scaled by the largest prefix it reaches: [number text, prefix] ("" below the smallest). */
function prefixed(v, table, digits = 3) {
  const a = Math.abs(v);
  for (const [size, p] of table) {
    // 999.7 k rounds to "1000 k": move up a prefix instead.
    if (a >= size * (1 - 0.5 * 10 ** -digits)) return [sig(v / size, digits), p];
  }
  return [sig(v, digits), ""];
}

/** Parameters: 2, 1,281, 124 M, 8.03 B, 405 B. */
export function fmtParams(v) {
  if (!isNum(v)) return DASH;
  if (Math.abs(v) < 1e4) return Math.round(v).toLocaleString("en-US");
  const [n, p] = prefixed(v, COUNT);
  return `${n} ${p}`;
}

/** Tokens: same words as parameters (15 T tokens, 300 B tokens). */
export const fmtTokens = fmtParams;

/** Bytes, decimal: 8 B, 12.3 kB, 1.5 MB, 16.1 GB, 6.48 TB. */
export function fmtBytes(v) {
  if (!isNum(v)) return DASH;
  const [n, p] = prefixed(v, SI);
  return `${n} ${p}B`;
}

/** Bytes in binary gibibytes, as nvidia-smi and PyTorch count them (2³⁰): 74.5 GiB. */
export function fmtGiB(v) {
  return isNum(v) ? `${sig(v / 2 ** 30)} GiB` : DASH;
}

/** FLOPs: small counts as they are, large ones as a power of ten with the SI name (3.14×10²³ FLOP). */
export function fmtFlops(v) {
  if (!isNum(v)) return DASH;
  if (Math.abs(v) < 1e6) return `${sig(v)} FLOP`;
  return `${fmt(v, 3)} FLOP`;
}

/** FLOPs with a prefix (314 ZFLOP, 1.2 PFLOP), for a second reading beside the power of ten. */
export function fmtFlopsPrefixed(v) {
  if (!isNum(v)) return DASH;
  const [n, p] = prefixed(v, SI);
  return `${n} ${p}FLOP`;
}

/** FLOP/s: 989 TFLOP/s, 52.1 GFLOP/s. */
export function fmtFlopsRate(v) {
  if (!isNum(v)) return DASH;
  const [n, p] = prefixed(v, SI);
  return `${n} ${p}FLOP/s`;
}

/** Hours (GPU-hours): 30.8 M h, 1,234 h, 0.52 h. */
export function fmtHours(v) {
  if (!isNum(v)) return DASH;
  if (Math.abs(v) < 1e4) return `${sig(v)} h`;
  const [n, p] = prefixed(v, COUNT);
  return `${n} ${p} h`;
}

/** Days, with years once it passes one: 0.5 days, 54 days, 2.1 years (770 days). */
export function fmtDays(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a < 1 / 24) return fmtSeconds(v * 86400);
  if (a < 1) return `${sig(v * 24)} hours`;
  if (a >= 365) return `${sig(v / 365.25)} years (${sig(v)} days)`;
  return `${sig(v)} ${a === 1 ? "day" : "days"}`;
}

/** Seconds: 3.2 ms, 4.1 s, 12 min. */
export function fmtSeconds(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a === 0) return "0 s";
  if (a < 1e-3) return `${sig(v * 1e6)} µs`;
  if (a < 1) return `${sig(v * 1e3)} ms`;
  if (a < 120) return `${sig(v)} s`;
  if (a < 7200) return `${sig(v / 60)} min`;
  return `${sig(v / 3600)} h`;
}

/** Energy, from kWh: 320 Wh, 12.4 kWh, 1.23 MWh, 21.4 GWh. */
export function fmtEnergy(kwh) {
  if (!isNum(kwh)) return DASH;
  const [n, p] = prefixed(kwh * 1000, SI.filter(([s]) => s <= 1e12));
  return `${n} ${p}Wh`;
}

/** Dollars: $0.42, $1,234, $4.6 M, $1.2 B. */
export function fmtUsd(v) {
  if (!isNum(v)) return DASH;
  const sign = v < 0 ? "\u2212" : "";
  const a = Math.abs(v);
  if (a < 0.01) return `${sign}$${sig(a)}`; // a cent would round a real cost to a fake $0.00
  if (a < 1) return `${sign}$${a.toFixed(2)}`;
  if (a < 1e6) return `${sign}$${Math.round(a).toLocaleString("en-US")}`;
  const [n, p] = prefixed(a, COUNT);
  return `${sign}$${n} ${p}`;
}

/** A whole number of GPUs (or anything counted one by one): 1, 16,384. */
export function fmtCount(v) {
  if (!isNum(v)) return DASH;
  return Math.round(v).toLocaleString("en-US");
}

/** A ratio (formula ÷ published): 1.02×. */
export function fmtRatio(v) {
  return isNum(v) ? `${sig(v)}×` : DASH;
}

/** A fraction as a percent: 0.4 → 40%. */
export function fmtPercent(v) {
  return isNum(v) ? `${sig(v * 100)}%` : DASH;
}

const BY_UNIT = {
  params: fmtParams,
  bytes: fmtBytes,
  flops: fmtFlops,
  flops_per_s: fmtFlopsRate,
  hours: fmtHours,
  days: fmtDays,
  kwh: fmtEnergy,
  usd: fmtUsd,
  tokens: (v) => (isNum(v) ? `${fmtTokens(v)} tokens` : DASH),
  seconds: fmtSeconds,
  gpus: fmtCount,
  ratio: fmtRatio,
  fraction: fmtPercent,
};

/** A figure's value in its unit (the reply's `figures[].unit`); an unknown unit gets plain digits. */
export function fmtUnit(value, unit) {
  const f = BY_UNIT[unit];
  return f ? f(value) : sig(value);
}
