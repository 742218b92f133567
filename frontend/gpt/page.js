// The Transformer page, assembled: its workspace (built here, so index.html keeps one line for
// it), its views and the query scheduler. app.js calls GptPage() when the model is "transformer"
// and adds the returned views to its render loop; everything else stays app.js's (keys, the
// bottom controls and settings, the classroom).

import { Attention } from "./attention.js";
import { el } from "../render/dom.js";
import { GptFormula } from "./formula.js";
import { Layers } from "./layers.js";
import { GptLossChart } from "./losschart.js";
import { Optim } from "./optim.js";
import { ProbeRow } from "./probe.js";
import { Probs } from "./probs.js";
import { GptQueries } from "./queries.js";
import { GptRibbon } from "./ribbon.js";
import { Samples } from "./samples.js";
import { Split } from "./splitpanel.js";
import { Workers } from "./workers.js";
import { ScaleLink } from "../scale/link.js";
import { ScaleWhy } from "../scale/why.js";
import { SCHEMA } from "../schema.js";

/** The page's starting model, the engine's (engine/transformer/config.py PAGE_START, served): small
 * enough for a 2-core CPU, where the config's own defaults suit a GPU. */
export const PAGE_DEFAULTS = Object.freeze({ ...SCHEMA.starts.transformer });

/** The URL's settings over the page's defaults. */
export function gptDefaults(config) {
  return { ...PAGE_DEFAULTS, ...(config ?? {}) };
}

const AREAS = [
  ["gpt-probe", "probe text and its tokens"],
  ["gpt-formula", "formula"],
  ["gpt-attention", "attention"],
  ["gpt-probs", "next-character probabilities"],
  ["gpt-split", "split run: timeline and who holds what"],
  ["gpt-loss", "loss chart"],
  ["gpt-samples", "samples"],
  ["gpt-layers", "gradients per layer"],
  ["gpt-optim", "learning rate and Adam"],
  ["gpt-workers", "data-parallel workers"],
  ["gpt-scale", "why so many GPUs: memory, then days against GPUs"],
];

function workspace() {
  const main = el("main", { class: "workspace gpt-workspace", id: "gpt-workspace" }, ...AREAS.map(([id, label]) => el("section", { id, class: "panel", "aria-label": label })));
  document.querySelector("footer.bottombar").before(main);
  return (id) => main.querySelector(`#${id}`);
}

/**
 * `getState()`, `dispatch(msg)` (the page's own `_gpt` messages go through the reducer too),
 * `send(msg)` → bool, `configure(change)`, `canEdit()`: the owner, not locked out.
 */
export function GptPage({ getState, dispatch, send, configure, canEdit }) {
  const $ = workspace();
  const dispatchUi = (ui) => dispatch({ type: "_gpt", ui });
  const views = [
    GptRibbon(document.getElementById("pipeline")),
    ProbeRow($("gpt-probe"), { dispatchUi, configure, canEdit }),
    ScaleLink($("gpt-probe")),
    GptFormula($("gpt-formula")),
    Attention($("gpt-attention"), { dispatchUi }),
    Probs($("gpt-probs"), { dispatchUi }),
    GptLossChart($("gpt-loss"), { canEdit, switchPhase: (phase) => send({ type: "phase", phase }) }),
    Samples($("gpt-samples")),
    Layers($("gpt-layers")),
    Optim($("gpt-optim"), { dispatchUi, configure, canEdit }),
    Workers($("gpt-workers"), { send, canEdit }),
    Split($("gpt-split")),
    ScaleWhy($("gpt-scale"), { getState }),
    GptQueries({ getState, send }),
  ];
  return { views };
}
