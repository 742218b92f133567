// Wires the page: reads the URL, opens the socket, feeds every server message through the pure
// reducer, and redraws the views on the next animation frame when (and only when) state changed.

import { connect } from "./api.js";
import { Classroom } from "./classroom.js";
import { configureMessage, liveKeys, modelSchema, readLocation } from "./config.js";
import { rebuildLoses } from "./lesson.js";
import { Refusals, unreadRefusal, withoutRefused } from "./refusal.js";
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
import { RefusalNotes } from "./views/refusals.js";
import { Ribbon } from "./views/ribbon.js";
import { Settings } from "./views/settings.js";
import { Status } from "./views/status.js";
import { Tabs } from "./views/tabs.js";
import { GptPage, gptDefaults } from "./gpt/page.js";
import { resumeAfterLoss } from "./gpt/ddp.js";

const $ = (id) => document.getElementById(id);

const where = readLocation(location.pathname, location.search);
document.body.dataset.model = where.model;
const isNet = where.model === "mlp";
// One page, two workspaces: keep the one this model uses, so ids stay unique.
$(isNet ? "unit-workspace" : "net-workspace").remove();
// The Transformer page builds its own workspace (gpt/page.js) and starts from a small model.
const isGpt = where.model === "transformer";
if (isGpt) {
  $("unit-workspace").remove();
  where.config = gptDefaults(where.config);
}

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
let classroom = null; // rooms, lessons, presenter mode, locks (classroom.js): set up below
const refusals = Refusals(); // which request each `error` answers, and the setting it refused
let resumeDdp = false; // a data-parallel run lost a worker while playing: play again once its workers are back

/** The server refused a request: keep why beside its control, and start or go on with what it accepts. */
function refused(r) {
  dispatch({ type: "_refused", refusal: r });
  if (r.kind !== "create" || r.code !== "bad_message") return; // a refused configure's setting went back (state.js); a switch or load left the room as it was
  // the page's (else the engine's) default for the refused setting: the run starts, the address follows
  const start = (config) => (isGpt ? gptDefaults(config) : config);
  const without = withoutRefused(where.config, r);
  let config = without && start(without);
  if (!config || JSON.stringify(config) === JSON.stringify(where.config)) {
    // a refusal that names none of the address's settings, or one the page's own start brings back:
    // start from the defaults, once
    if (startedPlain) return;
    startedPlain = true;
    config = start({});
  }
  where.config = config;
  classroom.createAgain();
}
let startedPlain = false;

function dispatch(msg) {
  if (msg.type === "stage") flowscope.lastStageReceivedAt = performance.now();
  // The classroom may reword a message, or drop it (a room of another model reloads as its page).
  if (classroom && !String(msg.type).startsWith("_")) msg = classroom.intercept(msg);
  if (!msg) return;
  const refusal = String(msg.type).startsWith("_") ? null : refusals.heard(msg);
  const ddp = isGpt ? resumeAfterLoss(resumeDdp, state.playing, msg) : null;
  const next = reduce(state, msg);
  if (next !== state) {
    state = next;
    dirty = true;
    // A stage is one key press, never a stream: draw it now instead of waiting up to a frame for
    // the next animation callback. Streams (play) stay coalesced to one draw per frame.
    if (msg.type === "stage") render();
  }
  if (refusal) refused(refusal);
  if (ddp) resumeDdp = ddp.resume;
  if (ddp?.play && state.session?.role === "owner") send({ type: "play" });
}

const api = connect({
  hello() { // join our room (with the owner token if we have it), or create one
    const msg = classroom.helloMessage();
    refusals.sent(msg);
    return msg;
  },
  onMessage: dispatch,
  onStatus: (status) => dispatch({ type: "_conn", status }),
});

function send(msg) {
  if (!msg) return false;
  refusals.sent(msg, state.session?.config);
  if (api.send(msg)) return true;
  notices.toast("Not connected to the server; retrying…");
  return false;
}

const offered = commandsFor(where.model);

function command(name) {
  if (!state.session || !offered.includes(name)) return;
  if (name === "undo" && !Number.isInteger(state.undo)) return notices.toast("Nothing to undo: no change of settings yet.");
  // A viewer's key goes to the server, which answers with its polite not_owner note.
  if (state.session.role === "viewer") return classroom.viewerTried(commandMessage(name, state.playing));
  if (!classroom.allows(name)) return; // locked or hidden by the link, or left out by the lesson step
  send(commandMessage(name, state.playing));
}

/** Send a settings change and keep the URL saying what is on screen (`trusted`: a lesson's, past locks). */
function configure(change, { trusted = false } = {}) {
  if (!state.session || state.session.role === "viewer") return;
  if (!trusted && !classroom.allowsConfig(change)) return;
  dispatch({ type: "_configured", config: change });
  send({ type: "configure", config: change });
  classroom.syncUrl();
}

const notices = Notices($("banner"), $("toasts"), $("warning"), { undo: () => command("undo") });
classroom = Classroom({
  where, getState: () => state, dispatch, send, configure, toast: (t) => notices.toast(t),
  redraw: () => (dirty = true), // presenter mode or a lesson changed the layout: size the canvases again
});
const settings = Settings($("settings"), {
  onChange(key, value) {
    if (!state.session) return;
    const m = state.session.model;
    const lose = rebuildLoses(state, key, liveKeys(m), modelSchema(m)?.properties?.[key]?.title);
    if (lose && !window.confirm(lose)) return settings.revert(key, state.session.config?.[key]);
    configure(configureMessage(state.session.model, key, value).config);
  },
  // Typed text that is no value at all (the server's bounds are the server's to check): refused here, the same way
  onInvalid: (key, text) => dispatch({ type: "_refused", refusal: { kind: "configure", key, message: text, request: { config: {} }, before: {} } }),
});
const common = [Tabs($("tabs"), { current: where.model }), Status($("status")), Controls($("controls"), { command, model: where.model }), settings, notices];
const modelViews = isGpt ? gptViews() : isNet ? networkViews() : [
  Pipeline($("pipeline")),
  Formula($("formula-panel")),
  DataPlot($("dataplot")),
  LossChart($("losschart")),
  Curve($("curve")),
];
const views = [...common, ...modelViews, RefusalNotes($("settings")), ...classroom.views]; // the classroom's last: it locks what the others drew

function gptViews() {
  const canEdit = () => !!state.session && state.session.role !== "viewer";
  return GptPage({ getState: () => state, dispatch, send, configure, canEdit }).views;
}

function networkViews() {
  const owner = () => state.session && state.session.role !== "viewer";
  const editable = (group) => owner() && classroom.allows(group); // a link or a lesson may lock an editor
  const data = NetData($("netdata"), {
    configure,
    sendData: (msg) => editable("data-editor") && send(msg),
    toast: (t) => notices.toast(t),
  });
  const boundary = Boundary($("boundary"), {
    onDraw(x1, x2) {
      if (!editable("data-editor") || !state.dataset) return;
      // The server takes the whole set each time: every current point plus the new one.
      send(addPointMessage(state.dataset, x1, x2, drawLabel(state.dataset.task, data.pick())));
    },
  });
  const network = Network($("network"), {
    configure,
    setParam: (name, index, value) => editable("network-editor") && send({ type: "set_param", name, index, value }),
    explain: (name, index) => send({ type: "explain", name, index }), // read-only: viewers may ask too
    hoverUnit: (unit) => boundary.showUnit(unit), // its picture, large, in the output plot
    toast: (t) => notices.toast(t),
  });
  flowscope.fieldDrawMs = boundary.drawMs;
  flowscope.nodePaintMs = network.paintMs;
  return [Ribbon($("pipeline")), data, network, NetFormula($("netformula")), boundary, LossChart($("netloss"))];
}

// A setting in the address the page could not read is refused like the server's refusals: beside its control.
const asked = new URLSearchParams(location.search);
for (const key of where.ignored) dispatch({ type: "_refused", refusal: unreadRefusal(key, asked.get(key), modelSchema(where.model).properties[key]) });

function typing(target) {
  const tag = target?.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target?.isContentEditable;
}

window.addEventListener("keydown", (ev) => {
  if (typing(ev.target)) return;
  if (classroom.onKey(ev)) return ev.preventDefault(); // P: presenter mode
  const name = keyCommand(ev);
  if (!name) return;
  ev.preventDefault(); // Space would scroll or press a focused button; arrows would scroll
  if (ev.repeat && (name === "play" || name === "reset" || name === "undo")) return;
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
