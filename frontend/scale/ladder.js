// The ladder: one rung per model, from one neuron to Llama-3.1-405B (GET /api/scale/presets, in
// its order), the chosen one lit; ←/→ or J/K walk it. Under it the chosen model's fields (layers,
// width, heads, kv heads, d_ff, vocabulary, sequence length, MLP kind, norm, tied embeddings) as the
// engine resolved them; editing one overrides the rung's value.

import { el } from "../views/popover.js";
import { CheckField, NumberField, SelectField } from "./controls.js";
import { fmtParams } from "./units.js";
import { CHOICES, MLPS, NORMS } from "./where.js";
import { onPress, sameAsLast } from "../render/dom.js";

const FIELDS = [
  ["n_layer", "layers L"],
  ["d_model", "width d"],
  ["n_head", "heads"],
  ["n_kv_head", "kv heads"],
  ["d_ff", "d_ff"],
  ["vocab", "vocab V"],
  ["seq_len", "sequence s"],
];

/** `onPick(name)`: a rung chosen; `onModel(field, value, ahead)`: one model field edited (or, with `ahead`, values being typed: NumberField). */
export function Ladder(root, { onPick, onModel }) {
  root.innerHTML = `<div class="panel-head"><span class="panel-title">The ladder: one neuron → 405B</span>
    <span class="hint"><kbd>←</kbd><kbd>→</kbd> or <kbd>J</kbd><kbd>K</kbd> walk it</span></div>
    <div class="rungs" role="radiogroup" aria-label="models"></div>
    <div class="model-row"><span class="model-title"></span><div class="model-fields"></div></div>
    <p class="fig-source" id="model-source"></p>`;
  const rungs = root.querySelector(".rungs");
  const fieldsBox = root.querySelector(".model-fields");
  const title = root.querySelector(".model-title");
  const source = root.querySelector("#model-source");
  const fields = {};
  for (const [k, label] of FIELDS) {
    fields[k] = NumberField(fieldsBox, { id: `m-${k}`, label, min: 1, step: 1, integer: true, onChange: (v, ahead) => onModel(k, v, ahead) });
  }
  fields.mlp = SelectField(fieldsBox, { id: "m-mlp", label: "MLP", choices: MLPS.map((m) => [m, CHOICES.mlp[m]]), onChange: (v) => onModel("mlp", v) });
  fields.norm = SelectField(fieldsBox, { id: "m-norm", label: "norm", choices: NORMS.map((n) => [n, CHOICES.norm[n]]), onChange: (v) => onModel("norm", v) });
  fields.tied_embeddings = CheckField(fieldsBox, { id: "m-tied", label: "tied embeddings", onChange: (v) => onModel("tied_embeddings", v) });

  const same = sameAsLast();
  const buttons = new Map();

  function rungButton(p, i, cls) {
    const b = el("button", { type: "button", class: `${cls}${p.kind === "live" ? " live" : ""}`, "data-preset": p.name, role: "radio" });
    b.innerHTML = `<span class="rung-step"></span><span class="rung-title"></span><span class="rung-params"></span>`;
    b.querySelector(".rung-step").textContent = i === null ? "also" : String(i + 1);
    b.querySelector(".rung-title").textContent = p.title ?? p.name;
    b.querySelector(".rung-params").textContent = typeof p.params === "number" ? `${fmtParams(p.params)} params` : "";
    b.title = p.kind === "live" ? "a model this machine trains: Measure here (M)" : p.source ?? "";
    onPress(b, () => onPick(p.name));
    buttons.set(p.name, b);
    return b;
  }

  function drawRungs(presets) {
    const key = JSON.stringify(presets?.map((p) => [p.name, p.title, p.params, p.kind, p.ladder]));
    if (same(key)) return;
    buttons.clear();
    // The ladder is the presets marked for it; the others (a published run beside it) come after.
    const list = presets ?? [];
    rungs.replaceChildren(
      ...list.filter((p) => p.ladder !== false).map((p, i) => rungButton(p, i, "rung")),
      ...list.filter((p) => p.ladder === false).map((p) => rungButton(p, null, "rung extra")),
    );
  }

  return {
    update({ presets, reply, where }) {
      drawRungs(presets);
      const current = reply?.preset ?? where.preset;
      for (const [name, b] of buttons) {
        const on = name === current;
        b.classList.toggle("active", on);
        b.setAttribute("aria-checked", String(on));
      }
      const model = reply?.model ?? {};
      const preset = presets?.find((p) => p.name === current);
      const edited = Object.keys(where.model ?? {}).length > 0;
      title.textContent = `${reply?.title ?? preset?.title ?? current ?? "custom model"}${edited ? " (edited)" : ""}`;
      const src = reply?.config_source ?? preset?.source ?? "";
      if (source.textContent !== (src ? `config: ${src}` : "")) source.textContent = src ? `config: ${src}` : "";
      // Neuron and MLP are not transformers: their reply has none of these fields, so none shows.
      for (const [k, f] of Object.entries(fields)) {
        const has = model[k] !== undefined && model[k] !== null;
        f.wrap.hidden = !has;
        if (has) f.set(model[k]);
      }
    },
  };
}
