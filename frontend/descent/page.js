// The Descent page: reads the address, starts one session per racer (race.js), mounts the views,
// the bottom bar and the keys, keeps the address saying what is on screen, and redraws on the next
// animation frame when the race changed.

import { Tabs } from "../views/tabs.js";
import { KeyHelp } from "../views/keyhelp.js";
import { Landscape } from "./landscape.js";
import { Lanes } from "./lanes.js";
import { boundAttrs } from "../config.js";
import { SETTINGS, initialRace } from "./race.js";
import { RaceSockets } from "./sockets.js";
import { boundRefusal } from "../refusal.js";
import { FieldRefusal } from "../views/refusals.js";
import { ShareRace } from "./share.js";
import { DESCENT_DATASETS, DESCENT_MODELS, DESCENT_MODEL_TITLES, SPEEDS, batchFor, batchSize, readWhere, sharedConfig, whereSearch } from "./where.js";
import { onPress, sameAsLast } from "../render/dom.js";

const $ = (id) => document.getElementById(id);

const where = readWhere(location.search);
document.body.dataset.model = where.model;

let race = initialRace({
  model: where.model,
  config: { ...sharedConfig(where), lr: where.lr },
  racers: where.racers,
  speed: where.speed,
  view: where.view,
  span: where.span,
  watch: where.watch,
});
let dirty = true;

function setRace(next) {
  if (next === race) return;
  race = next;
  dirty = true;
}

window.descent = { race: () => race };

const sockets = RaceSockets({ getRace: () => race, setRace });

// ---- views --------------------------------------------------------------------------------------

const landscape = Landscape($("landscape"), {
  onView: (view) => setRace({ ...race, view }),
  onZoom(span) {
    setRace({ ...race, span });
    sockets.askLandscape();
  },
});
const lanes = Lanes($("lanes"), {
  onOptimizer: (key, optimizer) => sockets.configureRacer(key, { optimizer }),
  onLr: (key, lr) => sockets.configureRacer(key, { lr }),
  onAdd: () => sockets.add(),
  onRemove: (key) => sockets.remove(key),
});

/** A panel another file provides; if it is missing or broken the page still runs, with a note. */
async function mountPanel(file, name, root, title, opts) {
  try {
    const mod = await import(file);
    return mod[name](root, opts);
  } catch (err) {
    console.warn(`${name} not mounted:`, err);
    root.innerHTML = `<div class="panel-head"><span class="panel-title">${title}</span></div><p class="placeholder">not available yet</p>`;
    return { update() {} };
  }
}

const views = [Tabs($("tabs"), { current: "descent" }), landscape, lanes, Status($("status"))];
const [updatePanel, tricksPanel] = await Promise.all([
  mountPanel("./update.js", "UpdatePanel", $("update"), "Update of one weight", { select: (name, index) => sockets.select(name, index) }),
  mountPanel("./tricks.js", "TricksPanel", $("tricks"), "Tricks", { configure: (change) => sockets.configure(change) }),
]);
const guarded = (panel, name) => {
  let failed = false;
  return {
    update(r) {
      try {
        panel.update(r);
      } catch (err) {
        if (!failed) console.error(`${name}.update failed:`, err);
        failed = true;
      }
    },
  };
};
views.push(guarded(updatePanel, "UpdatePanel"), guarded(tricksPanel, "TricksPanel"));

/** Step, how many racers are connected, playing or paused. */
function Status(root) {
  root.classList.add("status");
  root.innerHTML = `<span class="chip">step <b id="step">0</b></span><span class="chip run" id="run">paused</span><span class="chip conn" id="conn" hidden></span>`;
  const sameKey = sameAsLast();
  return {
    update(r) {
      const up = r.racers.filter((x) => x.connected).length;
      const conn = up === r.racers.length ? "" : up === 0 ? "disconnected: retrying…" : `${r.racers.length - up} of ${r.racers.length} racers disconnected`;
      const key = `${r.step}|${r.playing}|${conn}|${r.viewer}`;
      if (sameKey(key)) return;
      root.querySelector("#step").textContent = String(r.step);
      const run = root.querySelector("#run");
      // A watcher can't tell play from steps: it says whose race it is instead.
      run.textContent = r.viewer ? "watching" : r.playing ? "▶ playing" : "paused";
      run.classList.toggle("playing", r.playing);
      run.classList.toggle("watching", !!r.viewer);
      const c = root.querySelector("#conn");
      c.textContent = conn;
      c.hidden = !conn;
      c.classList.toggle("bad", !!conn);
    },
  };
}

// ---- bottom bar ---------------------------------------------------------------------------------

const controls = $("controls");
controls.innerHTML = `
  <button type="button" id="step-btn" title="one step for every racer (S)"><span>Step</span> <kbd>S</kbd></button>
  <button type="button" id="play-btn" title="race continuously (Space)"><span>▶ Play</span> <kbd>Space</kbd></button>
  <button type="button" id="reset-btn" title="every racer back to the same start (R)"><span>Reset</span> <kbd>R</kbd></button>`;
const settings = $("race-settings");
const options = (pairs, value) => pairs.map(([v, t]) => `<option value="${v}"${String(v) === String(value) ? " selected" : ""}>${t}</option>`).join("");
settings.innerHTML = `
  <label class="field">speed<select id="speed">${options(SPEEDS.map((s) => [s, `${s} steps/s`]), race.speed)}</select></label>
  <label class="field field-lr">η for all<input id="lr-all" type="number" ${boundAttrs(SETTINGS.lr)} step="any" value="${where.lr}"></label>
  <label class="field">model<select id="model">${options(DESCENT_MODELS.map((m) => [m, DESCENT_MODEL_TITLES[m]]), race.model)}</select></label>
  <label class="field">batch<select id="batch">${options([["full", "full batch"], ["mini", "mini-batch of 10"]], where.batch)}</select></label>
  ${race.model === "mlp" ? `<label class="field">dataset<select id="dataset">${options(DESCENT_DATASETS.map((d) => [d, d]), where.dataset)}</select></label>` : ""}`;

if (race.viewer) {
  // Watching someone's race: nothing here steers it (the server would refuse anyway).
  controls.innerHTML = `<span class="watching-note">Watching a race live: the page that started it steps it.</span>`;
  settings.replaceChildren();
}
views.push(ShareRace(document.querySelector(".topbar"), { getRace: () => race, before: $("status") }));
/** The same keys, said in the top bar's Keys list (?). */
const DESCENT_KEYS = [["S", "one step for every racer"], ["Space", "race / pause"], ["R", "every racer back to the start"],
  ["T", "terrain or contour map"], ["P", "presenter mode: projector type"], ["?", "this list"], ["Esc", "close a card or this list"]];
KeyHelp(document.querySelector(".topbar"), undefined, { keys: DESCENT_KEYS, before: $("status"), listen: true });

const actions = {
  step: () => sockets.step(),
  play: () => sockets.play(!race.playing),
  reset: () => sockets.reset(),
  terrain: () => setRace({ ...race, view: race.view === "terrain" ? "contour" : "terrain" }),
};
for (const [id, name] of [["step-btn", "step"], ["play-btn", "play"], ["reset-btn", "reset"]]) {
  onPress($(id), () => actions[name]());
}
$("speed")?.addEventListener("change", (ev) => setRace({ ...race, speed: Number(ev.target.value) }));
const lrAllRefusal = $("lr-all") && FieldRefusal($("lr-all"));
$("lr-all")?.addEventListener("change", (ev) => {
  const lr = ev.target.value === "" ? NaN : Number(ev.target.value);
  const refused = boundRefusal("lr", SETTINGS.lr, lr);
  if (refused) return void lrAllRefusal.show(refused, race.config.lr); // kept, marked; the racers keep theirs
  lrAllRefusal.clear();
  setRace({ ...race, config: { ...race.config, lr } });
  for (const r of race.racers) sockets.configureRacer(r.key, { lr });
});
$("model")?.addEventListener("change", (ev) => {
  // A new model is a new race: a fresh page keeps every socket and view simple.
  const next = { ...where, model: ev.target.value, span: null };
  const q = new URLSearchParams(whereSearch({ ...race, model: next.model, span: null, config: { ...sharedConfig(next), lr: undefined } }));
  q.delete("lr");
  q.delete("lrs");
  location.assign(`/descent?${q}`);
});
$("batch")?.addEventListener("change", (ev) => sockets.configure({ batch_size: batchSize(race.model, ev.target.value) }));
$("dataset")?.addEventListener("change", (ev) => sockets.configure({ dataset: ev.target.value }));

function updateControls() {
  if (race.viewer) return;
  const play = $("play-btn");
  play.querySelector("span").textContent = race.playing ? "❚❚ Pause" : "▶ Play";
  play.classList.toggle("playing", race.playing);
  play.setAttribute("aria-pressed", String(race.playing));
  $("batch").value = batchFor(race.model, race.config.batch_size);
}

// ---- keys ---------------------------------------------------------------------------------------

function typing(target) {
  const tag = target?.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target?.isContentEditable;
}

// Presenter mode (P, or presenter=1 in the link): projector type, as on the model pages.
let presenter = new URLSearchParams(location.search).get("presenter") === "1";
document.documentElement.classList.toggle("presenter", presenter);

const KEYS = { s: "step", " ": "play", r: "reset", t: "terrain" };
window.addEventListener("keydown", (ev) => {
  if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === "p" || ev.key === "P") {
    presenter = !presenter;
    document.documentElement.classList.toggle("presenter", presenter);
    lastSearch = "";
    dirty = true;
    return;
  }
  const name = KEYS[ev.key.toLowerCase()];
  if (!name) return;
  ev.preventDefault(); // Space would scroll or press a focused button
  if (ev.repeat && name !== "step") return;
  actions[name]();
});

// ---- drawing and the address ----------------------------------------------------------------------

let lastSearch = "";
function render() {
  if (!dirty) return;
  dirty = false;
  for (const v of views) v.update(race);
  updateControls();
  const search = whereSearch(race) + (presenter ? "&presenter=1" : "");
  if (search !== lastSearch) {
    lastSearch = search;
    history.replaceState(null, "", `/descent${search}`);
  }
}

function frame() {
  requestAnimationFrame(frame);
  render();
}
requestAnimationFrame(frame);
new ResizeObserver(() => (dirty = true)).observe(document.body);

sockets.start();
