// A split run (tensor, pipeline or sharded parallelism), the page's pure part: what the Split panel
// draws, read from the engine's state — state.gpt.parallel (the spec, the bytes each rank sent beside
// the formula's, the pipeline bubble measured beside (p−1)/(m+p−1), who holds what) and
// state.gpt.timeline (each rank's compute, communication and idle, measured). Nothing here is
// measured or worked out: these functions choose what to show and say it in words.

import { bytesText } from "./ddp.js";
import { fmt } from "../render/format.js";

// the plan's op words → a segment's short tag in the Gantt chart and its words in the legend
export const OP_TAGS = { allreduce: "AR", allgather: "AG", reducescatter: "RS", sendrecv: "P2P", broadcast: "BC" };
export const OP_WORDS = { allreduce: "all-reduce", allgather: "all-gather", reducescatter: "reduce-scatter", sendrecv: "send/recv", broadcast: "broadcast" };

/** The split that runs ({name, spec}), or null: a run on one process, or plain data parallelism (its
 * ring is the Workers panel's). */
export function splitOf(info) {
  const p = info?.parallel;
  const s = p?.spec;
  if (!s || !(s.tp > 1 || s.pp > 1 || s.zero > 0)) return null;
  return { name: p.name, spec: s };
}

/** A rank's place in the mesh, in words: "w1 · tp1" (only the dimensions the split has). */
export function rankLabel(rank, coords, spec) {
  const dims = ["dp", "pp", "tp"].filter((d) => (spec?.[d] ?? 1) > 1 && coords && typeof coords[d] === "number");
  return [`w${rank}`, ...dims.map((d) => `${d}${coords[d]}`)].join(" · ");
}

/** A segment's tag: F2/B2 for a pipeline chunk's forward/backward of micro-batch 2, the op's tag for
 * a collective, nothing for plain compute or a wait. */
export function segmentTag(s) {
  if (s.kind === "compute" && (s.op === "forward" || s.op === "backward") && typeof s.micro_batch === "number") {
    return `${s.op === "forward" ? "F" : "B"}${s.micro_batch}`;
  }
  if (s.kind === "comm") return OP_TAGS[s.op] ?? s.op ?? "";
  return "";
}

/** The Gantt chart's rows: {rows: [{rank, label, segments: [{kind, op, tag, t0, t1}]}], end (s)}; null
 * before a step was observed. */
export function ganttRows(info) {
  const tl = Array.isArray(info?.timeline) ? info.timeline : null;
  if (!tl || !tl.length) return null;
  const spec = info.parallel?.spec;
  const coords = Object.fromEntries((info.workers ?? []).map((w) => [w.rank, w.coords]));
  let end = 0;
  const rows = tl.map((r) => {
    const segments = (r.segments ?? []).map((s) => {
      end = Math.max(end, s.t1);
      return { kind: s.kind, op: s.op, micro_batch: s.micro_batch, tag: segmentTag(s), t0: s.t0, t1: s.t1 };
    });
    return { rank: r.rank, label: rankLabel(r.rank, coords[r.rank], spec), segments };
  });
  return { rows, end };
}

/** Seconds each rank spent per kind ({compute, comm, idle}), summed from its segments, for the chart's
 * tooltip and tests. */
export function timeByKind(row) {
  const out = { compute: 0, comm: 0, idle: 0 };
  for (const s of row.segments) out[s.kind] = (out[s.kind] ?? 0) + (s.t1 - s.t0);
  return out;
}

/** The pipeline bubble in words, measured beside the formula: {text, detail} (detail: per rank and the
 * formula with its numbers); null without a pipeline. */
export function bubbleText(parallel) {
  const b = parallel?.bubble;
  const s = parallel?.spec;
  if (!b || !s || !(s.pp > 1)) return null;
  const per = Array.isArray(b.per_rank) ? `per rank: ${b.per_rank.map((x, r) => `w${r} ${fmt(x, 2)}`).join(", ")}. ` : "";
  const measured = typeof b.measured === "number" ? `${fmt(b.measured, 2)} measured` : "not measured yet";
  return { text: `Bubble: ${measured} · (p−1)/(m+p−1) = ${fmt(b.formula, 2)}`,
           detail: `${per}The formula with p = ${s.pp} stages and m = ${s.micro_batches} micro-batches: ` +
             `(${s.pp}−1)/(${s.micro_batches}+${s.pp}−1) = ${fmt(b.formula, 2)}. Measured: each rank's idle share of its busy span, the mean over ranks.` };
}

/** Bytes sent per step, per rank and op: [{rank, op, words, measured, formula, equal}]. */
export function bytesRows(parallel) {
  const out = [];
  for (const r of parallel?.bytes ?? []) {
    const ops = [...new Set([...Object.keys(r.measured ?? {}), ...Object.keys(r.formula ?? {})])].sort();
    for (const op of ops) {
      const m = r.measured?.[op] ?? 0;
      const f = r.formula?.[op] ?? 0;
      out.push({ rank: r.rank, op, words: OP_WORDS[op] ?? op, measured: m, formula: f, equal: m === f,
                 measuredText: bytesText(m), formulaText: bytesText(f) });
    }
  }
  return out;
}

/** The who-holds-what grid of a live run: {blocks, rows: [{label, cells}]} (render/holds.js draws it). */
export function holdsGridOf(info) {
  const h = info?.parallel?.holds;
  if (!h || !Array.isArray(h.blocks) || !Array.isArray(h.ranks)) return null;
  const spec = info.parallel.spec;
  return { blocks: h.blocks, rows: h.ranks.map((r) => ({ label: rankLabel(r.rank, r.coords, spec), cells: r.cells })) };
}

/** Per-rank memory measured on each rank beside the Scale page's calculator for this split (engine-sent
 * both): {rows: [{label, params, grads, optimizer, activations}] (the calculator's first: one row, or
 * one a pipeline stage where its `per_rank` figures differ by stage), gaps: [words]}; null before a step
 * was observed. Byte counts as text (ddp.js bytesText). */
export function memoryRows(info) {
  const calc = info?.parallel?.calculator;
  const workers = (info?.workers ?? []).filter((w) => w.memory);
  if (!calc || !workers.length) return null;
  const spec = info.parallel.spec;
  const calcRow = (label, c) => ({ label, params: bytesText(c.params), grads: bytesText(c.grads),
                                    optimizer: bytesText(c.optimizer), activations: "—" });
  const per = Array.isArray(calc.per_rank) ? calc.per_rank : [];
  const stages = new Map(); // pipeline stage → the calculator's figure for its ranks
  for (const w of workers) {
    const c = per.find((p) => p.rank === w.rank);
    if (c && !stages.has(w.coords?.pp ?? 0)) stages.set(w.coords?.pp ?? 0, c);
  }
  const rows = (spec?.pp ?? 1) > 1 && stages.size > 1
    ? [...stages].map(([pp, c]) => calcRow(`calculator · pp${pp}`, c))
    : [calcRow("calculator", calc)];
  for (const w of workers) {
    const m = w.memory;
    rows.push({ label: rankLabel(w.rank, w.coords, spec), params: bytesText(m.params), grads: bytesText(m.grads),
                optimizer: bytesText(m.optimizer), activations: bytesText(m.activations) });
  }
  return { rows, gaps: Array.isArray(calc.gaps) ? calc.gaps : [] };
}
