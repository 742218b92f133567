// A box that scrolls says so while it holds more than it shows: a fade over its last visible row and
// a "more below ↓" tag at its bottom edge, gone once it is scrolled to the end. On a projector a
// class can't see a scrollbar (macOS hides them; the room is far) and half a number under the edge
// reads as a whole one; the tag tells them (and the teacher) to scroll. The box also keeps a
// scrollbar in sight (styles/app.css, .more-scroll). Text boxes get this; lists of rows rather
// show whole rows only (render/wholerows.js).

import { el } from "./dom.js";

/** Give `box` (overflow-y: auto) its cue; it follows scrolling, resizing and new content. */
export function moreBelow(box, words = "more below ↓") {
  box.classList.add("more-scroll");
  // aria-hidden: the content itself is there for a screen reader
  const cue = el("div", { class: "more-below", "aria-hidden": "true", hidden: true }, el("span", {}, words));
  box.append(cue);

  function fit() {
    if (cue.parentElement !== box) box.append(cue); // a view that replaced the box's children
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(box).overflowY); // a phone lets it grow
    cue.hidden = !(scrolls && box.scrollTop + box.clientHeight < box.scrollHeight - 2);
  }
  const sizes = new ResizeObserver(fit);
  const watchChildren = () => {
    sizes.disconnect();
    sizes.observe(box);
    for (const c of box.children) if (c !== cue) sizes.observe(c);
  };
  new MutationObserver(() => {
    watchChildren();
    fit();
  }).observe(box, { childList: true, subtree: true, characterData: true });
  box.addEventListener("scroll", fit, { passive: true });
  watchChildren();
  fit();
  return fit;
}
