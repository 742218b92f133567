// The Scale page: reads the address, asks the engine (POST /api/scale, one request in flight, the
// newest settings win), draws its reply the moment it arrives, keeps the address saying what is
// on screen, and runs "Measure here" for the rungs this machine trains. Keys: ←/→ or J/K walk the
// ladder, M measures, P presenter mode.

import { PAGE_DEFAULTS } from "../gpt/page.js";
import { Tabs } from "../views/tabs.js";
import { KeyHelp } from "../views/keyhelp.js";
import { ComputePanel } from "./compute.js";
import { groupFigures } from "./figures.js";
import { Ladder } from "./ladder.js";
import { MeasurePanel, MeasureRunner, createMessage } from "./measure.js";
import { MemoryPanel } from "./memory.js";
import { ParallelPanel } from "./parallel.js";
import { ParamsPanel } from "./params.js";
import { PublishedPanel } from "./published.js";
import { ShareLink } from "./share.js";
import { Requester, fetchPresets, socketScale } from "../api.js";
import { LIVE_RUNGS, buildRequest, oneClickAway, presetsQuery, readWhere, stepRung, whereSearch, withPreset, withSetting } from "./where.js";
import { fmtSeconds } from "./units.js";
import { onPress, sameAsLast } from "../render/dom.js";

const $ = (id) => document.getElementById(id);

let where = readWhere(location.search);
// Without a link from the Transformer page, the transformer rung is that page's starting model.
if (!Object.keys(where.tf).length) {
  const { n_layer, n_embd, n_head, block_size, batch_size } = PAGE_DEFAULTS;
  where.tf = { n_layer, n_embd, n_head, block_size, batch_size };
}
let presets = null;
let reply = null;
let error = null;
let measure = null;
let replyMs = null;
let dirty = true;
let addressDue = false; // the address is behind the settings: written once their figures are painted
let frameCount = 0;
// Change → drawn: when a control changed, and when the reply for it was drawn and then painted.
const timing = { pending: null, last: null, all: [] };

const requester = Requester({
  post: socketScale(), // the websocket's `scale` query (POST /api/scale when it can't open)
  now: () => performance.now(),
  onReply(json, body, ms, cached) {
    reply = json;
    error = null;
    if (!cached) replyMs = ms;
    // Draw now, not at the next frame: an answer already here (asked ahead) is on the very next frame.
    render(true);
    noteDrawn(cached);
    askAhead();
  },
  onError(detail) {
    error = detail;
    render(true);
    noteDrawn();
  },
});

function noteDrawn(cached = false) {
  const p = timing.pending;
  if (!p) return;
  timing.pending = null;
  const drawnAt = performance.now();
  // The next frame callback is the frame that paints what was just drawn. frame() asked for that
  // frame first, so frameCount already counts it: `frames` is 1 when it is the first frame after
  // the change.
  requestAnimationFrame(() => {
    const t = { ms: drawnAt - p.t0, paintedMs: performance.now() - p.t0, frames: frameCount - p.frame, what: p.what, cached };
    timing.last = t;
    timing.all.push(t);
  });
}

/** While idle, the engine's answers for the settings one click away. */
function askAhead() {
  const rungs = rungNames();
  const model = (w) => (w.preset === "transformer" ? presets?.find((p) => p.name === "transformer")?.model ?? null : null);
  requester.prefetch(oneClickAway(where, reply, rungs).map((w) => buildRequest(w, model(w))));
}

function ask(what) {
  timing.pending = { t0: performance.now(), frame: frameCount, what };
  requester.want(buildRequest(where, rungModel()));
  // The address waits until the figures are painted: history.replaceState took 5–9 ms of the
  // main thread here (it saves the page's state), which the answer's draw would wait behind.
  addressDue = true;
  // No redraw now: the engine's answer is a socket round trip away (or already here, drawn above),
  // and a whole redraw of the old figures in between would hold the answer up by a frame or two.
  if (!requester.busy()) dirty = true;
}

window.scale = {
  state: () => ({ where, presets, reply, error, measure, replyMs }),
  timing: () => timing,
  // The figures drawn are for the settings asked, and the address says so.
  settled: () => !timing.pending && !addressDue,
  // A question is out to the engine (one asked for, or one asked ahead).
  asking: () => requester.busy(),
};

// ---- views ----------------------------------------------------------------------------------------

// The ladder is the presets marked for it, in the engine's order (BLOOM is a published run beside it).
const rungNames = () => (presets ?? []).filter((p) => p.ladder !== false).map((p) => p.name);
// The rung asked for last (keys pressed faster than the engine answers still count every step);
// the engine's default rung until one is chosen.
const currentRung = () => where.preset ?? reply?.preset;
// The rung on screen: the one the drawn figures (and Measure here) are for.
const shownRung = () => reply?.preset ?? where.preset;

function pick(name) {
  if (!name || name === currentRung()) return;
  where = withPreset(where, name);
  ask(`preset ${name}`);
}

/** `ahead`: `value` is a list of values the user may pick next (a number being typed): only asked. */
function setSetting(group, field, value, ahead = false) {
  if (ahead) {
    requester.guess(value.map((v) => buildRequest(withSetting(where, group, field, v), rungModel())));
    return;
  }
  where = withSetting(where, group, field, value);
  ask(`${group}.${field}`);
}

/** The transformer rung's model as the presets list gives it (the Transformer page's config). */
const rungModel = () => (where.preset === "transformer" ? presets?.find((p) => p.name === "transformer")?.model ?? null : null);

const runner = MeasureRunner({
  onChange(run) {
    measure = run;
    dirty = true;
  },
});

function startMeasure() {
  const rung = shownRung();
  const create = createMessage(rung, reply, where.tf);
  if (!create) return;
  runner.start(rung, create);
}

const views = [
  Tabs($("tabs"), { current: "scale" }),
  Ladder($("ladder"), { onPick: pick, onModel: (k, v, ahead) => setSetting("model", k, v, ahead) }),
  ParamsPanel($("params")),
  MemoryPanel($("memory"), { onSetting: setSetting }),
  ParallelPanel($("parallel"), { onParallel: (k, v, ahead) => setSetting("parallel", k, v, ahead), onSetting: setSetting }),
  ComputePanel($("compute"), { onSetting: setSetting }),
  PublishedPanel($("published")),
  MeasurePanel($("measure"), { onMeasure: startMeasure }),
  Status($("status")),
];
views.push(ShareLink(document.querySelector(".topbar"), { search: () => whereSearch(where), before: $("status") }));
KeyHelp(document.querySelector(".topbar"), undefined, {
  keys: [["← / →", "down or up the ladder (J / K too)"], ["M", "measure here"], ["P", "presenter mode: projector type"], ["?", "this list"], ["Esc", "close a card or this list"]],
  before: $("status"),
  listen: true,
});

/** The engine's answer time, or what it refused. */
function Status(root) {
  root.classList.add("status");
  root.innerHTML = `<span class="chip" id="engine-chip">engine <b id="engine-ms">…</b></span><span class="chip bad" id="engine-error" role="alert" hidden></span>
    <button type="button" class="bar-button" id="presenter-toggle" aria-pressed="false" title="Presenter mode: large type, high contrast (P)">Presenter <kbd>P</kbd></button>`;
  onPress(root.querySelector("#presenter-toggle"), () => togglePresenter());
  let last = "";
  return {
    update() {
      const key = `${replyMs}|${error}|${where.presenter}`;
      if (key === last) return;
      last = key;
      root.querySelector("#engine-ms").textContent = replyMs === null ? "…" : fmtSeconds(replyMs / 1000);
      const e = root.querySelector("#engine-error");
      e.hidden = !error;
      e.textContent = error ? `refused: ${error}` : "";
      root.querySelector("#presenter-toggle").setAttribute("aria-pressed", String(!!where.presenter));
    },
  };
}

function togglePresenter() {
  where = { ...where, presenter: !where.presenter };
  addressDue = true;
  dirty = true;
}

// ---- keys ---------------------------------------------------------------------------------------

function typing(target) {
  const tag = target?.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target?.isContentEditable;
}

const KEYS = {
  arrowleft: () => pick(stepRung(rungNames(), currentRung(), -1)),
  arrowright: () => pick(stepRung(rungNames(), currentRung(), +1)),
  j: () => pick(stepRung(rungNames(), currentRung(), -1)),
  k: () => pick(stepRung(rungNames(), currentRung(), +1)),
  m: startMeasure,
  p: togglePresenter,
};
window.addEventListener("keydown", (ev) => {
  if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const action = KEYS[ev.key.toLowerCase()];
  if (!action) return;
  ev.preventDefault();
  if (ev.repeat && (ev.key === "m" || ev.key === "p")) return;
  action();
});

// ---- drawing and the address ----------------------------------------------------------------------

const same = sameAsLast();
function writeAddress() {
  addressDue = false;
  const search = whereSearch(where);
  if (same(search)) return;
  history.replaceState(null, "", `/scale${search}`);
}

function render(force = false) {
  if (!dirty && !force) return;
  dirty = false;
  document.documentElement.classList.toggle("presenter", !!where.presenter);
  const rung = shownRung();
  document.body.dataset.rung = rung ?? "";
  document.body.dataset.live = String(LIVE_RUNGS.includes(rung));
  const view = { where, presets, reply, error, figs: groupFigures(reply?.figures), rung, measure, nowMs: performance.now() };
  for (const v of views) v.update(view);
}

function frame() {
  frameCount += 1;
  requestAnimationFrame(frame);
  // A running measurement's clock ticks every frame; otherwise only a change redraws.
  if (measure && (measure.status === "connecting" || measure.status === "measuring")) dirty = true;
  render();
  // After this frame is painted (a task queued now runs after it), unless an answer is on its way.
  if (addressDue && !timing.pending) setTimeout(writeAddress, 0);
}
requestAnimationFrame(frame);

writeAddress();
// The transformer rung needs its model from the presets list (asked with the Transformer page's
// config) before the first request; every other rung asks at once.
const presetsLoaded = fetchPresets(presetsQuery(where)).then((list) => {
  presets = Array.isArray(list) ? list : [];
  dirty = true;
});
if (where.preset === "transformer") presetsLoaded.then(() => requester.want(buildRequest(where, rungModel())));
else requester.want(buildRequest(where));
