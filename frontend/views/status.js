// One line of facts: step, loss, room code, role, playing or paused, connection.

import { fmt } from "../render/format.js";

export function Status(root) {
  root.classList.add("status");
  root.innerHTML = `
    <span class="chip">step <b id="step">0</b></span>
    <span class="chip">loss <b id="loss">—</b></span>
    <span class="chip">room <b id="room">—</b></span>
    <span class="chip role" id="role"></span>
    <span class="chip run" id="run">paused</span>
    <span class="chip conn" id="conn"></span>`;
  const q = (id) => root.querySelector(`#${id}`);
  const [stepEl, lossEl, roomEl, roleEl, runEl, connEl] = ["step", "loss", "room", "role", "run", "conn"].map(q);
  let last = "";

  function update(state) {
    const s = state.session;
    // A viewer's role is already spelled out by the "watching room" badge beside the tabs.
    const role = s && s.role !== "viewer" ? "owner" : "";
    const conn = { open: "connected", connecting: "connecting…", closed: "disconnected" }[state.conn] ?? state.conn;
    const key = [state.step, state.loss, s?.id, role, state.playing, conn, state.diverged].join("|");
    if (key === last) return;
    last = key;
    stepEl.textContent = Number.isFinite(state.step) ? String(state.step) : "—";
    lossEl.textContent = fmt(state.loss);
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
