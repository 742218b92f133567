// One line of facts: step, loss, room code, role, playing or paused, connection.

import { fmt } from "../render/format.js";
import { sameAsLast } from "../render/dom.js";

/** Which loss the top bar shows, said beside it: a language model's is measured on its training text
 * now and then (the engine says at which step), not after every step as the batch loss is. */
export function lossLabel(state) {
  const at = state.gpt?.info?.eval_step;
  if (!Number.isFinite(at)) return { label: "loss", title: "the loss over the whole training set, after the latest step" };
  const late = at !== state.step ? ` (step ${at})` : "";
  return {
    label: `text loss${late}`,
    title: `the mean loss over the training text, measured at step ${at}; the Loss panel's faint line is each step's batch loss`,
  };
}

export function Status(root) {
  root.classList.add("status");
  root.innerHTML = `
    <span class="chip">step <b id="step">0</b></span>
    <span class="chip" id="loss-chip"><span id="loss-label">loss</span> <b id="loss">—</b></span>
    <span class="chip">room <b id="room">—</b></span>
    <span class="chip role" id="role"></span>
    <span class="chip run" id="run">paused</span>
    <span class="chip conn" id="conn"></span>`;
  const q = (id) => root.querySelector(`#${id}`);
  const [stepEl, lossEl, roomEl, roleEl, runEl, connEl] = ["step", "loss", "room", "role", "run", "conn"].map(q);
  const same = sameAsLast();

  function update(state) {
    const s = state.session;
    // A viewer's role is already spelled out by the "watching room" badge beside the tabs.
    const role = s && s.role !== "viewer" ? "owner" : "";
    const conn = { open: "connected", connecting: "connecting…", closed: "disconnected" }[state.conn] ?? state.conn;
    const named = lossLabel(state);
    const key = [state.step, state.loss, s?.id, role, state.playing, conn, state.diverged, named.label].join("|");
    if (same(key)) return;
    stepEl.textContent = Number.isFinite(state.step) ? String(state.step) : "—";
    lossEl.textContent = fmt(state.loss);
    q("loss-label").textContent = named.label;
    q("loss-chip").title = named.title;
    roomEl.textContent = s?.id || "—";
    roleEl.textContent = role;
    roleEl.hidden = !role;
    roleEl.classList.toggle("viewer", s?.role === "viewer");
    runEl.textContent = state.diverged ? "stopped" : state.playing ? "▶ playing" : "paused";
    runEl.classList.toggle("playing", !!state.playing);
    runEl.hidden = state.conn !== "open"; // while the server is away nothing is playing: the conn chip says so
    connEl.textContent = conn;
    connEl.hidden = state.conn === "open";
    connEl.classList.toggle("bad", state.conn === "closed");
  }

  return { update };
}
