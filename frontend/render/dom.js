// The one element factory every view builds with: el("button", {class: "x", type: "button"}, "text", child…),
// or el("div", "x", …) when a class is all it takes.

/** An element with its attributes (false, null and undefined ones left out; true as "") and its
 * children: text, numbers and nodes, null and undefined skipped. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(typeof attrs === "string" ? { class: attrs || null } : attrs)) {
    if (v === false || v === null || v === undefined) continue;
    e.setAttribute(k, v === true ? "" : String(v));
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

/** An SVG element with its attributes (and its text, if any). */
export function svgEl(tag, attrs = {}, text = "") {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text) e.textContent = text;
  return e;
}

/** `fn(ev)` on a click (or `type`: a select's change), the control blurred first: the page's keys
 * (Space, arrows) stay the page's. */
export function onPress(node, fn, type = "click") {
  node?.addEventListener(type, (ev) => {
    ev.currentTarget.blur();
    fn(ev);
  });
}

/** A view's memo: `same(key)` is true when `key` is what it was given last time (nothing to
 * redraw), and remembers `key` otherwise. */
export function sameAsLast() {
  let last;
  return (key) => key === last || ((last = key), false);
}
