// Wires the page: reads the URL, opens the socket, feeds every server message through the pure
// reducer, and redraws the views on the next animation frame when (and only when) state changed.

import { connect, fetchSchema } from "./api.js";
import { configureMessage, locationSearch, MODELS, readLocation } from "./config.js";
import { addPointMessage, drawLabel } from "./data.js";
import { initialState, reduce } from "./state.js";
import { Boundary } from "./views/boundary.js";
import { Controls, commandMessage, commandsFor, keyCommand } from "./views/controls.js";
import { Curve } from "./views/curve.js";
import { DataPlot } from "./views/dataplot.js";
import { Formula } from "./views/formula.js";
import { LossChart } from "./views/losschart.js";
import { NetData } from "./views/netdata.js";
import { NetFormula } from "./views/netformula.js";
import { Network } from "./views/network.js";
import { Notices } from "./views/notices.js";
import { Pipeline } from "./views/pipeline.js";
import { Ribbon } from "./views/ribbon.js";
import { Settings } from "./views/settings.js";
import { Status } from "./views/status.js";
import { Tabs } from "./views/tabs.js";

const $ = (id) => document.getElementById(id);

const schema = await fetchSchema();
const where = readLocation(location.pathname, location.search, schema);
document.body.dataset.model = where.model;
const isNet = where.model === "mlp";
// One page, two workspaces: keep the one this model uses, so ids stay unique.
$(isNet ? "unit-workspace" : "net-workspace").remove();

const frames = []; // timestamps of frames rendered while playing, the last second's worth
let drawnStageSeq = 0;
let draws = 0;

const flowscope = {
  state: () => state,
  fps: () => frames.filter((t) => t > performance.now() - 1000).length,
  draws: () => draws,
  lastStageDrawnAt: 0, // performance.now() when the views last showed a new stage
  lastStageReceivedAt: 0, // … and when its frame arrived, to split latency into server vs drawing
  fieldDrawMs: () => [], // networks: ms to draw each of the last field frames (heatmap + points)
  nodePaintMs: () => 0, // networks: ms to repaint every node's heatmap for the last field frame
};
window.flowscope = flowscope;

let state = initialState();
let dirty = true;
// Grows with each `configure`, so a reconnect recreates the run the owner had set up.
let config = { ...where.config };

function dispatch(msg) {
  if (msg.type === "stage") flowscope.lastStageReceivedAt = performance.now();
  // A room link (/room/CODE) does not say which model the room runs; each model has its own
  // workspace, so come back as that model's page (the URL then says it: no loop).
  if (msg.type === "session" && where.room && msg.model !== where.model && MODELS.includes(msg.model)) {
    const q = new URLSearchParams(location.search);
    q.set("model", msg.model);
    location.replace(`${location.pathname}?${q}`);
    return;
  }
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

const offered = commandsFor(where.model);

function command(name) {
  if (!state.session || state.session.role === "viewer" || !offered.includes(name)) return;
  send(commandMessage(name, state.playing));
}

/** Send a settings change, remember it for reconnects, and keep the URL saying what is on screen. */
function configure(change) {
  if (!state.session || state.session.role === "viewer") return;
  config = { ...config, ...change };
  dispatch({ type: "_configured", config: change });
  send({ type: "configure", config: change });
  if (!where.room) history.replaceState(null, "", `${location.pathname}${locationSearch(where.model, config)}`);
}

const notices = Notices($("banner"), $("toasts"), $("warning"));
const settings = Settings($("settings"), {
  schema: () => schema,
  onChange(key, value) {
    if (state.session) configure(configureMessage(state.session.model, key, value).config);
  },
  onInvalid: (text) => notices.toast(text),
});
const common = [Tabs($("tabs"), { current: where.model }), Status($("status")), Controls($("controls"), { command, model: where.model }), settings, notices];
const views = isNet ? [...common, ...networkViews()] : [
  ...common,
  Pipeline($("pipeline")),
  Formula($("formula-panel")),
  DataPlot($("dataplot")),
  LossChart($("losschart")),
  Curve($("curve")),
];

function networkViews() {
  const owner = () => state.session && state.session.role !== "viewer";
  const data = NetData($("netdata"), {
    configure,
    sendData: (msg) => owner() && send(msg),
    toast: (t) => notices.toast(t),
  });
  const boundary = Boundary($("boundary"), {
    onDraw(x1, x2) {
      if (!owner() || !state.dataset) return;
      // The server takes the whole set each time: every current point plus the new one.
      send(addPointMessage(state.dataset, x1, x2, drawLabel(state.dataset.task, data.pick())));
    },
  });
  const network = Network($("network"), {
    configure,
    setParam: (name, index, value) => owner() && send({ type: "set_param", name, index, value }),
    toast: (t) => notices.toast(t),
  });
  flowscope.fieldDrawMs = boundary.drawMs;
  flowscope.nodePaintMs = network.paintMs;
  return [Ribbon($("pipeline")), data, network, NetFormula($("netformula")), boundary, LossChart($("netloss"))];
}

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
