// Wires the page: reads the URL, opens the socket, feeds every server message through the pure
// reducer, and redraws the views on the next animation frame when (and only when) state changed.

import { connect, fetchSchema } from "./api.js";
import { configureMessage, readLocation } from "./config.js";
import { initialState, reduce } from "./state.js";
import { Controls, commandMessage, keyCommand } from "./views/controls.js";
import { Curve } from "./views/curve.js";
import { DataPlot } from "./views/dataplot.js";
import { Formula } from "./views/formula.js";
import { LossChart } from "./views/losschart.js";
import { Notices } from "./views/notices.js";
import { Pipeline } from "./views/pipeline.js";
import { Settings } from "./views/settings.js";
import { Status } from "./views/status.js";
import { Tabs } from "./views/tabs.js";

const $ = (id) => document.getElementById(id);

const schema = await fetchSchema();
const where = readLocation(location.pathname, location.search, schema);
document.body.dataset.model = where.model;

const frames = []; // timestamps of frames rendered while playing, the last second's worth
let drawnStageSeq = 0;
let draws = 0;

const flowscope = {
  state: () => state,
  fps: () => frames.filter((t) => t > performance.now() - 1000).length,
  draws: () => draws,
  lastStageDrawnAt: 0, // performance.now() when the views last showed a new stage
  lastStageReceivedAt: 0, // … and when its frame arrived, to split latency into server vs drawing
};
window.flowscope = flowscope;

let state = initialState();
let dirty = true;
// Grows with each `configure`, so a reconnect recreates the run the owner had set up.
let config = { ...where.config };

function dispatch(msg) {
  if (msg.type === "stage") flowscope.lastStageReceivedAt = performance.now();
  const next = reduce(state, msg);
  if (next !== state) {
    state = next;
    dirty = true;
    // A stage is one key press, never a stream: draw it now instead of waiting up to a frame for
    // the next animation callback. Streams (play) stay coalesced to one draw per frame.
    if (msg.type === "stage") render();
  }
}

const api = connect({
  hello: () => (where.room ? { type: "join", session: where.room } : { type: "create", model: where.model, config }),
  onMessage: dispatch,
  onStatus: (status) => dispatch({ type: "_conn", status }),
});

function send(msg) {
  if (!msg) return;
  if (!api.send(msg)) notices.toast("Not connected to the server; retrying…");
}

function command(name) {
  if (!state.session || state.session.role === "viewer") return;
  send(commandMessage(name, state.playing));
}

const notices = Notices($("banner"), $("toasts"), $("warning"));
const views = [
  Tabs($("tabs"), { current: where.model }),
  Status($("status")),
  Pipeline($("pipeline")),
  Formula($("formula-panel")),
  DataPlot($("dataplot")),
  LossChart($("losschart")),
  Curve($("curve")),
  Controls($("controls"), { command }),
  Settings($("settings"), {
    schema: () => schema,
    onChange(key, value) {
      if (!state.session) return;
      const msg = configureMessage(state.session.model, key, value);
      config = { ...config, ...msg.config };
      dispatch({ type: "_configured", config: msg.config });
      send(msg);
    },
    onInvalid: (text) => notices.toast(text),
  }),
  notices,
];

if (where.ignored.length) notices.toast(`Ignored unknown settings in the URL: ${where.ignored.join(", ")}`);

function typing(target) {
  const tag = target?.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target?.isContentEditable;
}

window.addEventListener("keydown", (ev) => {
  if (typing(ev.target)) return;
  const name = keyCommand(ev);
  if (!name) return;
  ev.preventDefault(); // Space would scroll or press a focused button; arrows would scroll
  if (ev.repeat && (name === "play" || name === "reset")) return;
  command(name);
});

// ---- render loop ------------------------------------------------------------------------------

function render() {
  if (!dirty) return;
  dirty = false;
  const t0 = performance.now();
  for (const v of views) v.update(state);
  flowscope.lastUpdateMs = performance.now() - t0;
  draws += 1;
  if (state.stageSeq !== drawnStageSeq) {
    drawnStageSeq = state.stageSeq;
    flowscope.lastStageDrawnAt = performance.now();
  }
}

function frame(now) {
  requestAnimationFrame(frame);
  render();
  for (const v of views) v.tick?.(now);
  if (state.playing) {
    frames.push(now);
    while (frames.length && frames[0] < now - 1000) frames.shift();
  }
}
requestAnimationFrame(frame);

// Canvases size themselves from CSS; a resize only needs the views to look again.
new ResizeObserver(() => {
  dirty = true;
}).observe(document.body);
