// The small form controls the Scale panels share: a labelled select or number box that shows the
// engine's resolved value and reports the user's edits. A box being typed in is never overwritten
// by a reply.

import { el } from "../views/popover.js";

/** `choices`: [[value, text], …]; `onChange(value)` gets the chosen value (a number when `numeric`). */
export function SelectField(parent, { id, label, choices, onChange, numeric = false, title = null }) {
  const wrap = el("label", { class: "field", title });
  wrap.append(label);
  const select = el("select", { id });
  select.innerHTML = choices.map(([v, t]) => `<option value="${v}">${t}</option>`).join("");
  select.addEventListener("change", () => onChange(numeric ? Number(select.value) : select.value));
  wrap.appendChild(select);
  parent.appendChild(wrap);
  return {
    wrap,
    set(value) {
      if (value === undefined || value === null || document.activeElement === select) return;
      if (select.value !== String(value)) select.value = String(value);
    },
  };
}

/** A number box; an empty or invalid entry is refused (the box goes back to the last value). */
/** `show(value)` → the text put in the box (e.g. "1.5e13" for a token count); plain digits by default. */
export function NumberField(parent, { id, label, onChange, min = 0, step = "any", integer = false, title = null, width = null, show = String }) {
  const wrap = el("label", { class: "field", title });
  wrap.append(label);
  const input = el("input", { id, type: "number", min, step, inputmode: integer ? "numeric" : "decimal" });
  if (width) input.style.width = width;
  let last = "";
  input.addEventListener("change", () => {
    const v = Number(input.value);
    const ok = input.value !== "" && Number.isFinite(v) && v >= min && (!integer || Number.isInteger(v));
    if (!ok) {
      input.value = last;
      return;
    }
    onChange(v);
  });
  wrap.appendChild(input);
  parent.appendChild(wrap);
  return {
    wrap,
    input,
    set(value) {
      if (value === undefined || value === null) return;
      last = show(value);
      if (document.activeElement === input) return;
      if (input.value !== last) input.value = last;
    },
  };
}

/** A checkbox. */
export function CheckField(parent, { id, label, onChange, title = null }) {
  const wrap = el("label", { class: "field check", title });
  const input = el("input", { id, type: "checkbox" });
  input.addEventListener("change", () => onChange(input.checked));
  wrap.append(input, label);
  parent.appendChild(wrap);
  return {
    wrap,
    set(value) {
      if (typeof value === "boolean" && input.checked !== value) input.checked = value;
    },
  };
}
