// "Measure here": for the rungs this machine trains (the neuron, the network, the Transformer
// page's GPT) open a session of that model over the websocket, ask it to `measure` (real steps:
// bytes of parameters, gradients and optimizer state read from torch, bytes autograd saves for
// backward with and without checkpointing and under bf16, step times, achieved FLOP/s), show the
// measurement beside the formula's prediction for the same config with the engine's notes, and
// close the session. The top half is pure (the create message, the rows); MeasureRunner owns one
// socket at a time; MeasurePanel draws.

import { connect } from "../api.js";
import { el } from "../views/popover.js";
import { fmtBytes, fmtFlops, fmtFlopsRate, fmtPercent, fmtSeconds } from "./units.js";
import { SCHEMA } from "../schema.js";
import { LIVE_RUNGS } from "./where.js";
import { onPress, sameAsLast } from "../render/dom.js";

export const MEASURE_TIMEOUT_MS = 60_000;

// The optimizers each live model's session takes (its config schema): the page's choice goes along
// when the session knows it, so the measurement is of the optimizer on screen.
const SESSION_OPTIMIZERS = Object.fromEntries(LIVE_RUNGS.map((m) => [m, SCHEMA.models[m].properties.optimizer.enum]));

/**
 * The `create` message for a live rung, at the settings on screen: its micro-batch as the batch and
 * its optimizer (when that model's session has it). The transformer is the GPT at the resolved
 * model, in the Transformer page's names, with one torch thread (the other core stays the
 * browser's, as on the Transformer page); the neuron and the network are their pages' defaults
 * otherwise. null for a rung this machine does not train.
 */
export function createMessage(rung, reply, tf = {}) {
  if (!LIVE_RUNGS.includes(rung)) return null;
  const t = reply?.training ?? {};
  const config = { batch_size: t.micro_batch };
  if (SESSION_OPTIMIZERS[rung].includes(t.optimizer)) config.optimizer = t.optimizer;
  if (rung === "transformer") {
    const m = reply?.model ?? {};
    Object.assign(config, { n_layer: m.n_layer, n_head: m.n_head, n_embd: m.d_model, block_size: m.seq_len, threads: 1 });
    if (tf.task) config.task = tf.task;
  }
  for (const k of Object.keys(config)) if (config[k] === undefined || config[k] === null) delete config[k];
  return { type: "create", model: rung, config };
}

// [label, path in the measure reply (and in its `predicted`), format]
export const MEASURE_ROWS = [
  ["parameters", "param_bytes", fmtBytes],
  ["gradients", "grad_bytes", fmtBytes],
  ["optimizer state", "optimizer_bytes", fmtBytes],
  ["saved for backward", "saved.plain", fmtBytes],
  ["… with checkpointing", "saved.checkpoint", fmtBytes],
  ["… under bf16 autocast", "saved.bf16", fmtBytes],
  ["step time", "step_seconds.plain", fmtSeconds],
  ["step time, checkpointed", "step_seconds.checkpoint", fmtSeconds],
  ["FLOPs per step", "flops_per_step", fmtFlops],
  ["achieved", "achieved_flops", fmtFlopsRate],
  ["this machine's peak (matmul)", "peak_flops", fmtFlopsRate],
  ["MFU here", "mfu", fmtPercent],
];

const at = (obj, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
const has = (v) => typeof v === "number" && Number.isFinite(v);

/** Rows [path, label, predicted text, measured text, exact] for what the reply holds. */
export function measureRows(m) {
  if (!m) return [];
  return MEASURE_ROWS.filter(([, path]) => has(at(m, path)) || has(at(m.predicted, path))).map(([label, path, f]) => {
    const p = at(m.predicted, path);
    const v = at(m, path);
    return [path, label, has(p) ? f(p) : "—", has(v) ? f(v) : "—", has(p) && has(v) && p === v];
  });
}

/**
 * One measurement at a time. `onChange(run)` gets {status: "connecting" | "measuring" | "done" |
 * "error", rung, startedAt, reply, error} on every change. `open` is api.js's connect (injectable).
 */
export function MeasureRunner({ onChange, open = connect, now = () => performance.now(), timeoutMs = MEASURE_TIMEOUT_MS }) {
  let sock = null;
  let run = null;
  let timer = null;

  function finish(patch) {
    clearTimeout(timer);
    run = { ...run, ...patch, endedAt: now() };
    const s = sock;
    sock = null;
    s?.close();
    onChange(run);
  }

  return {
    start(rung, create) {
      if (sock) return false; // one at a time
      run = { status: "connecting", rung, startedAt: now(), reply: null, error: null, config: create.config };
      onChange(run);
      const mine = { done: false };
      sock = open({
        hello: () => create,
        onStatus(s) {
          // The socket reconnects by itself; a measurement does not survive that, so it ends here.
          if (s === "closed" && run.status !== "done" && run.status !== "error" && sock) finish({ status: "error", error: "the connection closed before the measurement came back" });
        },
        onMessage(msg) {
          if (!sock || mine.done) return;
          if (msg.type === "session") {
            run = { ...run, status: "measuring", session: msg.id };
            onChange(run);
            sock.send({ type: "measure" });
          } else if (msg.type === "measure") {
            mine.done = true;
            finish({ status: "done", reply: msg });
          } else if (msg.type === "error") {
            mine.done = true;
            finish({ status: "error", error: msg.message ?? msg.detail ?? msg.code ?? "the server refused" });
          }
        },
      });
      timer = setTimeout(() => sock && finish({ status: "error", error: `no answer in ${timeoutMs / 1000} s` }), timeoutMs);
      return true;
    },
    busy: () => sock !== null,
  };
}

const STATUS_TEXT = { connecting: "opening a session…", measuring: "running real steps: plain, checkpointed, bf16…" };

export function MeasurePanel(root, { onMeasure }) {
  root.innerHTML = `<div class="panel-head"><span class="panel-title">Measured here, beside the formula</span>
    <button type="button" class="btn measure-btn" id="measure-btn" title="train this model for a few real steps and measure it (M)">Measure here <kbd>M</kbd></button></div>
    <p class="placeholder" id="ms-why"></p>
    <div class="progress" id="ms-progress" hidden><div class="progress-bar"><i></i></div><span id="ms-progress-text"></span></div>
    <p class="ms-error" id="ms-error" role="alert" hidden></p>
    <p class="ms-config" id="ms-config"></p>
    <table class="ms-table" id="ms-table" hidden><thead><tr><th></th><th>formula</th><th>measured</th></tr></thead><tbody></tbody></table>
    <ul class="ms-notes" id="ms-notes"></ul>`;
  const $ = (id) => root.querySelector(id);
  onPress($("#measure-btn"), () => onMeasure());
  const sameKey = sameAsLast();

  return {
    update({ rung, measure, nowMs }) {
      const live = LIVE_RUNGS.includes(rung);
      const running = measure && (measure.status === "connecting" || measure.status === "measuring");
      $("#measure-btn").disabled = !live || running;
      $("#ms-why").hidden = live;
      $("#ms-why").textContent = live ? "" : "This model is far too large to train here. Walk down the ladder to the neuron, the network or the transformer (←) to measure one for real.";
      $("#ms-progress").hidden = !running;
      if (running) {
        const s = Math.max(0, (nowMs - measure.startedAt) / 1000);
        $("#ms-progress-text").textContent = `${STATUS_TEXT[measure.status]} ${s.toFixed(1)} s`;
      }
      const shown = measure && measure.rung === rung ? measure : null;
      const key = JSON.stringify([shown?.status, shown?.reply, shown?.error]);
      if (sameKey(key)) return;
      $("#ms-error").hidden = shown?.status !== "error";
      $("#ms-error").textContent = shown?.status === "error" ? `Measurement failed: ${shown.error}` : "";
      const m = shown?.status === "done" ? shown.reply : null;
      const rows = measureRows(m);
      $("#ms-table").hidden = rows.length === 0;
      $("#ms-table tbody").replaceChildren(...rows.map(([path, label, p, v, exact]) => {
        const tr = el("tr", { "data-key": path, class: exact ? "exact" : "" });
        tr.append(el("th", {}, label), el("td", { class: "ms-pred" }, p), el("td", { class: "ms-meas", title: exact ? "equal to the byte" : null }, exact ? `${v} ✓` : v));
        return tr;
      }));
      const cfg = m?.config ? Object.entries(m.config).filter(([k]) => ["n_layer", "n_head", "n_embd", "block_size", "batch_size", "optimizer", "hidden", "features"].includes(k)) : [];
      $("#ms-config").textContent = m ? `${m.model}${cfg.length ? ` (${cfg.map(([k, v]) => `${k} ${Array.isArray(v) ? v.join("·") : v}`).join(", ")})` : ""} at step ${m.step} on ${m.device ?? "?"}${shown.endedAt ? `, measured in ${((shown.endedAt - shown.startedAt) / 1000).toFixed(1)} s` : ""}` : "";
      $("#ms-notes").replaceChildren(...(Array.isArray(m?.notes) ? m.notes : []).map((n) => el("li", {}, n)));
    },
  };
}
