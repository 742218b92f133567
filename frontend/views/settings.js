// The settings form, built from the model's config schema. lr and speed apply live; any other
// change rebuilds the run from its seed (the server's rule), which the hint under the form says.

import { choiceTitle, coerce, formFields, liveKeys, modelSchema } from "../config.js";
import { el } from "../render/dom.js";

const LABELS = {
  lr: "learning rate η", batch_size: "batch", noise: "noise", seed: "seed", speed: "steps/s", dataset: "dataset", bias: "bias b",
  l1: "L1 rate λ₁", l2: "L2 rate λ₂",
};

// A network's bottom bar is full (six buttons): short labels, and the rule in each field's tooltip.
const MODEL_LABELS = {
  mlp: { lr: "rate η", speed: "steps/s", l1: "L1 λ₁", l2: "L2 λ₂" },
  transformer: { lr: "rate η", grad_clip: "clip ‖g‖", n_layer: "blocks", n_head: "heads", n_embd: "width", task: "task B", block_size: "context", workers: "workers" },
};
const NOTES = { mlp: null };

function inputFor(key, prop) {
  if (Array.isArray(prop.enum)) return el("select", {}, ...prop.enum.map((v) => el("option", { value: v }, choiceTitle(prop, v))));
  if (prop.type === "boolean") return el("input", { type: "checkbox" });
  return el("input", { type: "number", inputmode: "decimal", step: prop.type === "integer" ? "1" : "any", min: prop.minimum, max: prop.maximum });
}

/** `onChange(key, value)` sends it; `onInvalid(key, text)`: typed text that is no value. */
export function Settings(root, { onChange, onInvalid }) {
  root.classList.add("settings");
  root.addEventListener("submit", (e) => e.preventDefault());
  let model = null;
  let props = {};
  let inputs = {};
  let shown = {};
  let lastKey = "";

  function build(m) {
    model = m;
    props = modelSchema(m).properties;
    inputs = {};
    shown = {};
    root.replaceChildren();
    const note = el("p", "settings-note");
    note.innerHTML = NOTES[m] === undefined ? "<b>Settings</b><br>η and steps/s apply live;<br>the others restart the run." : NOTES[m] ?? "";
    if (note.innerHTML) root.appendChild(note);
    const labels = { ...LABELS, ...(MODEL_LABELS[m] ?? {}) };
    for (const key of formFields(m)) {
      const prop = props[key];
      if (!prop) continue;
      const label = el("label", `field field-${key}${prop.type === "boolean" ? " check" : ""}`);
      const name = el("span", {}, labels[key] ?? prop.title ?? key);
      const input = inputFor(key, prop);
      input.name = key;
      input.addEventListener("change", () => commit(key)); // Enter, or leaving the field (blur)
      // Space in a number field means "play": apply what was typed first (typing 100 then Space
      // trains at 100), then hand the key to the page's shortcuts.
      if (input.type === "number") {
        input.addEventListener("keydown", (ev) => {
          if (ev.key !== " ") return;
          ev.preventDefault();
          ev.stopPropagation();
          commit(key); // blurs: "change" does not fire twice
          window.dispatchEvent(new KeyboardEvent("keydown", { key: " " }));
        });
      }
      if (prop.type === "boolean") label.append(input, name);
      else label.append(name, input);
      const note = liveKeys(m).has(key) ? "applies immediately" : "changing this restarts the run from its seed";
      label.title = prop.description ? `${prop.description} (${note})` : note;
      root.appendChild(label);
      inputs[key] = input;
    }
  }

  function commit(key) {
    const input = inputs[key];
    // Hand the keyboard back to the shortcuts: otherwise → after picking a dataset would change
    // the dataset again instead of stepping.
    input.blur();
    const prop = props[key];
    const value = prop.type === "boolean" ? input.checked : coerce(prop, input.value);
    if (value === undefined) {
      onInvalid(key, `${input.value === "" ? "an empty field" : `“${input.value}”`} is not a value for ${LABELS[key] ?? key}`);
      show(key, shown[key]);
      return;
    }
    shown[key] = value;
    onChange(key, value);
  }

  function show(key, value) {
    const input = inputs[key];
    if (!input || value === undefined || value === null) return;
    if (input.type === "checkbox") input.checked = !!value;
    else input.value = String(value);
    shown[key] = value;
  }

  function update(state) {
    const m = state.session?.model;
    if (!m) return;
    if (m !== model) {
      build(m);
      lastKey = "";
    }
    const viewer = state.session.role === "viewer";
    const config = { ...state.session.config, ...(state.lr !== null ? { lr: state.lr } : {}) };
    // a refusal puts the field back to what runs, even when that is what it showed before the typing
    const key = `${viewer}|${JSON.stringify(config)}|${JSON.stringify(state.refusals)}`;
    if (key === lastKey) return;
    lastKey = key;
    for (const [k, input] of Object.entries(inputs)) {
      input.disabled = viewer;
      const value = config[k] ?? props[k]?.default;
      // Never overwrite what someone is typing.
      if (document.activeElement !== input) show(k, value);
    }
  }

  /** Put the field back to `value` (a change the user called off). */
  function revert(key, value) {
    show(key, value);
    lastKey = "";
  }

  return { update, revert };
}
