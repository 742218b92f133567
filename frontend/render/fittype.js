// A box that should show all it holds without scrolling — a lesson step on a 1024×768 projector,
// its task and Previous/Next under the text: its type steps down (the CSS variable --fit, which the
// box's font sizes are scaled by) until the content fits, to the box's --fit-floor (0.8 unless its
// stylesheet says) at the least; beyond that it scrolls. A box that grows with its content (a
// phone's lesson in the page's flow) keeps full size.

const STEP = 0.05;

/** Watch `box` (resized: fit again); returns `fit()`, to call after its content changes. */
export function fitType(box) {
  function fit() {
    if (box.hidden) return;
    box.style.setProperty("--fit", "1");
    const css = getComputedStyle(box);
    if (!["auto", "scroll", "hidden"].includes(css.overflowY)) return;
    const floor = parseFloat(css.getPropertyValue("--fit-floor")) || 0.8;
    for (let f = 1 - STEP; box.scrollHeight > box.clientHeight + 1 && f >= floor - 1e-9; f -= STEP) {
      box.style.setProperty("--fit", f.toFixed(2));
    }
  }
  new ResizeObserver(fit).observe(box);
  return fit;
}
