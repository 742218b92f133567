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

/**
 * A number box; an empty or invalid entry is refused (the box goes back to the last value).
 * `onChange(value)` gets a committed value (Enter, Tab, an arrow key's step); `onChange(values, true)`
 * the values the user may commit next, most likely first, for the page to ask the engine ahead:
 * what is typed so far, at each keystroke, and the values one arrow-key step (±1) or a doubling or
 * halving away from it, while the box has the focus.
 * `show(value)` → the text put in the box (e.g. "1.5e13" for a token count); plain digits by default.
 */
export function NumberField(parent, { id, label, onChange, min = 0, max = Infinity, step = "any", integer = false, title = null, width = null, show = String }) {
  const wrap = el("label", { class: "field", title });
  wrap.append(label);
  const input = el("input", { id, type: "number", min, step, inputmode: integer ? "numeric" : "decimal" });
  if (Number.isFinite(max)) input.max = String(max);
  if (width) input.style.width = width;
  let last = "";
  const valid = (v) => Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v));
  const typed = () => (input.value !== "" && valid(Number(input.value)) ? Number(input.value) : null);
  const near = (v) => [v + 1, v - 1, v * 2, v / 2].filter(valid);
  input.addEventListener("input", () => {
    const v = typed();
    if (v !== null) onChange([v, ...near(v)], true);
  });
  input.addEventListener("focus", () => {
    const v = typed();
    if (v !== null) onChange(near(v), true);
  });
  input.addEventListener("change", () => {
    const v = typed();
    if (v === null) {
      input.value = last;
      return;
    }
    onChange(v);
    if (document.activeElement === input) onChange(near(v), true); // Enter or an arrow key: it stays here
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
