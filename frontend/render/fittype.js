// A box that should show all it holds without scrolling — a lesson step on a 1024×768 projector,
// its task and Previous/Next under the text: its type steps down (the CSS variable --fit, which the
// box's font sizes are scaled by) until the content fits, to the box's --fit-floor (0.8 unless its
// stylesheet says) at the least; beyond that it scrolls. A box that grows with its content (a
// phone's lesson in the page's flow) keeps full size. The box may scroll in a part of it (the
// neuron's formula panel: its values table) — `scroller`, which is what must fit.

const STEP = 0.05;

/** Watch `box` (resized: fit again); returns `fit()`, to call after its content changes. */
export function fitType(box, scroller = box) {
  function fit() {
    if (box.hidden) return;
    box.style.setProperty("--fit", "1");
    if (!["auto", "scroll", "hidden"].includes(getComputedStyle(scroller).overflowY)) return;
    const floor = parseFloat(getComputedStyle(box).getPropertyValue("--fit-floor")) || 0.8;
    for (let f = 1 - STEP; scroller.scrollHeight > scroller.clientHeight + 1 && f >= floor - 1e-9; f -= STEP) {
      box.style.setProperty("--fit", f.toFixed(2));
    }
  }
  const sizes = new ResizeObserver(fit);
  sizes.observe(box);
  if (scroller !== box) sizes.observe(scroller); // its share of the box moves with the type above it
  return fit;
}
