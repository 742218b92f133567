// When the transformer page asks the server to look inside the model. Each query is read-only
// and answered to this page alone; each costs the trainer thread a few milliseconds (a sample of
// 120 characters about 0.1 s on a 2-core CPU), so: while playing, each kind at its own pace and
// only once its last reply came back; while paused, once per change (a step, a new probe, another
// temperature); and nothing at all while the browser tab is hidden.

import { splitOf } from "./split.js";
import { defaultProbe, tokenize } from "./gptstate.js";

/** While playing, the least time between two queries of a kind (ms). */
export const EVERY_MS = { attention: 1000, probs: 1000, sample: 2000, char_loss: 2000, optimizer_state: 500 };
/** A reply that has not come back after this long is given up on (the next query may go). */
export const GIVE_UP_MS = 4000;
/** Paused, a new step is looked at once it has stood this long: keys pressed in a row (S, →) stay quick. */
export const SETTLE_MS = 250;
export const SAMPLE_CHARS = 120;
export const SAMPLE_TEMPERATURE = 0.8;
/** Prompts: the text (A) after a newline; the task (B) after its question mark "Q: ". */
export const TEXT_PROMPT = "\n";
export const TASK_PROMPT = "Q: ";

const ADD_QUESTION = "Q: 23+19? A: 42";
const REVERSE_QUESTION = "Q: reverse wolf? A: flow";
const DOCS_SNIPPET = "The loop runs while the condition is true.";

/** The probe on display: the person's own, or a default from the data (see defaultProbe). */
export function probeText(st) {
  const g = st.gpt;
  if (typeof g.ui.probe === "string") return g.ui.probe;
  return defaultProbe(st.dataset, g.phase, st.session?.config?.block_size ?? 32);
}

/**
 * The snippets whose per-character loss the page shows: the text (A) and the task (B). The server
 * sends no held-out text, so A is a sentence written for this page (in the style of the docs, not
 * copied from them) or, for your own text, its last line of the excerpt; B a question written here.
 */
export function snippets(st) {
  const d = st.dataset;
  const vocab = d?.vocab ?? [];
  let text = DOCS_SNIPPET;
  if (d?.source === "your text" || !tokenize(text, vocab).ok) {
    const lines = String(d?.excerpt ?? "").split("\n").filter((l) => l.trim().length > 8);
    text = (lines[lines.length - 1] ?? "").slice(-80);
  }
  const task = d?.finetune_task === "reverse" ? REVERSE_QUESTION : ADD_QUESTION;
  return { text, task: tokenize(task, vocab).ok ? task : (d?.task_examples?.[0] ?? "") };
}

/** The probs query's position: the clicked character, kept inside the probe. */
export function probsPosition(ui, probe) {
  const n = [...probe].length;
  if (ui.position === null || ui.position === undefined) return n - 1;
  return Math.max(0, Math.min(n - 1, ui.position));
}

/**
 * What the page would ask now: [{kind, key, msg}]. `key` says what the answer depends on; a kind
 * is asked again when its key changed (paused) or its interval passed (playing).
 */
export function wanted(st) {
  const g = st.gpt;
  if (splitOf(g.info)) return []; // a split run's looks are not built yet (the engine refuses them): ask none
  const probe = probeText(st);
  const { ok } = tokenize(probe, st.dataset?.vocab);
  const step = st.step;
  const out = [];
  if (ok) {
    const chars = [...probe].slice(-(st.session?.config?.block_size ?? 256)).join("");
    out.push({ kind: "attention", key: `${chars}|${step}`, msg: { type: "attention", text: chars } });
    const position = probsPosition(g.ui, probe);
    const pm = { type: "probs", text: probe, position, temperature: g.ui.temperature };
    if (g.ui.topK) pm.top_k = g.ui.topK;
    out.push({ kind: "probs", key: `${probe}|${position}|${g.ui.temperature}|${g.ui.topK}|${step}`, msg: pm });
  }
  const finetuned = g.switches.length > 0;
  const sampleMsg = (prompt) => ({ type: "sample", chars: SAMPLE_CHARS, temperature: SAMPLE_TEMPERATURE, seed: 0, prompt });
  out.push({ kind: "sample", key: `text|${step}`, msg: sampleMsg(TEXT_PROMPT) });
  if (finetuned) out.push({ kind: "sample", key: `task|${step}`, msg: sampleMsg(TASK_PROMPT) });
  const { text, task } = snippets(st);
  for (const snippet of finetuned ? [text, task] : [text]) {
    if ([...snippet].length >= 2) out.push({ kind: "char_loss", key: `${snippet}|${step}`, msg: { type: "char_loss", text: snippet } });
  }
  const w = g.ui.weight;
  out.push({ kind: "optimizer_state", key: `${w.name}|${w.index}|${step}`, msg: { type: "optimizer_state", name: w.name, index: w.index } });
  return out;
}

/**
 * The queries due at `now` (ms). `memo` (mutated by `sent`) remembers per key what was asked when;
 * per kind how many replies are still out. Pure apart from that bookkeeping: tested under node.
 */
export function dueQueries(st, now, memo, visible = true) {
  const g = st.gpt;
  if (!g?.active || !visible || !st.session || st.conn !== "open" || !st.dataset) return [];
  // New data (a lesson step's settings, pasted text) clears every answer (gptstate.js): ask again,
  // though the probe and the step are the same (the maps stood at "asking…", the bars empty).
  if (st.dataset !== memo.dataset) {
    memo.dataset = st.dataset;
    memo.keys = {};
  }
  if (st.step !== memo.step) {
    memo.step = st.step;
    memo.stepAt = now;
  }
  const settling = !st.playing && now - memo.stepAt < SETTLE_MS;
  const out = [];
  for (const q of wanted(st)) {
    const kind = memo.kinds[q.kind] ?? (memo.kinds[q.kind] = { out: 0, since: 0, replies: 0 });
    // Replies counted by the reducer: each one back frees a slot.
    const back = g.replies[q.kind] ?? 0;
    if (back !== kind.replies) {
      // (fewer than before: the slice was rebuilt by a new `session`, so nothing is still out)
      kind.out = back < kind.replies ? 0 : Math.max(0, kind.out - (back - kind.replies));
      kind.replies = back;
    }
    if (kind.out > 0 && now - kind.since < GIVE_UP_MS) continue;
    if (kind.out > 0) kind.out = 0; // given up: the reply was lost (an error, a reset)
    const slot = q.msg.prompt ?? q.msg.text ?? "";
    const prev = memo.keys[`${q.kind}|${slot}`];
    const changed = !prev || prev.key !== q.key;
    const inputChanged = prev && prev.key.split("|").slice(0, -1).join("|") !== q.key.split("|").slice(0, -1).join("|");
    const paced = !prev || now - prev.at >= EVERY_MS[q.kind];
    if (!changed) continue;
    if (st.playing && !paced && !inputChanged) continue;
    if (settling && prev && !inputChanged) continue;
    out.push(q);
  }
  return out;
}

/** Book a query as sent. */
export function sent(memo, q, now) {
  const slot = q.msg.prompt ?? q.msg.text ?? "";
  memo.keys[`${q.kind}|${slot}`] = { key: q.key, at: now };
  const kind = memo.kinds[q.kind] ?? (memo.kinds[q.kind] = { out: 0, since: 0, replies: 0 });
  kind.out += 1;
  kind.since = now;
}

export function newMemo() {
  return { keys: {}, kinds: {}, step: null, stepAt: -Infinity, dataset: null };
}

/**
 * The scheduler as a view: app.js calls tick(now) every animation frame; `send(msg)` sends.
 * Several queries due together go out together (a sample with two prompts, two snippets).
 */
/** The panel that shows each kind's answers. A query whose panel is hidden (a lesson step's views,
 * presenter mode) waits until it shows: a watcher may have only a few questions out (the server's
 * `member_queries`, 4), and five kinds asked at once on joining got one refused, in a toast. */
export const PANEL_OF = { attention: "gpt-attention", probs: "gpt-probs", sample: "gpt-samples", char_loss: "gpt-samples",
  optimizer_state: "gpt-optim" };

/** The due queries whose panel `shown(id)` says is on screen. */
export function forShownPanels(due, shown) {
  return due.filter((q) => shown(PANEL_OF[q.kind]));
}

function panelShown(id) {
  if (typeof document === "undefined") return true;
  const e = document.getElementById(id);
  return !!e && !e.hidden && !e.closest(".fs-off") && e.getClientRects().length > 0;
}

export function GptQueries({ getState, send }) {
  let memo = newMemo();
  let session = null;
  return {
    update() {},
    tick(now) {
      const st = getState();
      if (st.session?.id !== session) {
        session = st.session?.id ?? null;
        memo = newMemo();
      }
      const visible = typeof document === "undefined" || document.visibilityState === "visible";
      for (const q of forShownPanels(dueQueries(st, now, memo, visible), panelShown)) {
        send(q.msg); // (dueQueries waits for an open socket; a query lost anyway is given up on later)
        sent(memo, q, now);
      }
    },
  };
}
