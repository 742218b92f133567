// Data-parallel runs (workers ≥ 2), the page's pure part: the ring all-reduce's schedule for the
// drawing, and the rows the Workers panel shows. Every number comes from the server's state
// (state.gpt.workers, state.gpt.ddp) or the `allreduce` stage; nothing here is measured or made up.

/**
 * The ring all-reduce over n workers, step by step: the buffer is cut into n chunks; in each of
 * n−1 reduce-scatter steps every worker r sends one chunk to r+1 (which adds it to its own), then in
 * n−1 all-gather steps the finished chunks travel on round the ring. Worker r sends chunk
 * (r − p) mod n in reduce-scatter step p, and chunk (r + 1 − p) mod n in all-gather step p
 * (Patarasuk & Yuan 2009). 2(n−1) steps of 1/n of the buffer each: 2(n−1)/n of it per worker.
 */
export function ringSchedule(n) {
  const mod = (a) => ((a % n) + n) % n;
  const out = [];
  for (let p = 0; p < n - 1; p++) {
    out.push({ kind: "reduce-scatter", step: p, sends: [...Array(n).keys()].map((r) => ({ from: r, to: mod(r + 1), chunk: mod(r - p) })) });
  }
  for (let p = 0; p < n - 1; p++) {
    out.push({ kind: "all-gather", step: p, sends: [...Array(n).keys()].map((r) => ({ from: r, to: mod(r + 1), chunk: mod(r + 1 - p) })) });
  }
  return out;
}

/** Bytes in words: 64,384 B → "62.9 KiB". */
export function bytesText(b) {
  if (typeof b !== "number" || !Number.isFinite(b)) return "—";
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 ** 2).toFixed(2)} MiB`;
}

const STARTING = ["starting", "spawned", "torch imported", "joined", "ready"];

/** The per-worker rows: start-up progress (0…1 of the way to "ready"), pid, checksum, loss, tokens/s. */
export function workerRows(info) {
  const workers = Array.isArray(info?.workers) ? info.workers : [];
  return workers.map((w) => ({
    rank: w.rank,
    pid: w.pid,
    alive: !!w.alive,
    stage: w.stage,
    progress: Math.max(0, STARTING.indexOf(w.stage)) / (STARTING.length - 1),
    checksum: w.param_checksum ?? null,
    loss: typeof w.loss === "number" ? w.loss : null,
    tokensPerS: typeof w.tokens_per_s === "number" ? w.tokens_per_s : null,
  }));
}

/** True when every worker reported the same parameter checksum (null before the first step). */
export function replicasAgree(info) {
  const sums = workerRows(info).map((r) => r.checksum).filter((c) => c !== null);
  if (!sums.length) return null;
  return sums.every((c) => c === sums[0]);
}

/** The lost-step spans of a run, for the loss chart: [{from, to, ranks}] (steps from+1 … to were lost). */
export function lostSpans(info) {
  const lost = Array.isArray(info?.ddp?.lost) ? info.ddp.lost : [];
  return lost.map((l) => ({ from: l.from_step, to: l.to_step, ranks: l.ranks ?? [] }));
}

/**
 * A data-parallel run that loses a worker while playing plays on once its workers are back: the room
 * pauses while it restarts them from the checkpoint, and the page that was playing presses play again
 * when a `state` says they are ready. `resume`: whether that is owed. Returns {resume, play}.
 */
export function resumeAfterLoss(resume, playing, msg) {
  if (msg?.type === "error" && msg.code === "worker_lost") return { resume: resume || playing, play: false };
  if (resume && msg?.type === "state" && msg.gpt?.ddp?.ready === true) return { resume: false, play: !msg.playing };
  return { resume, play: false };
}
