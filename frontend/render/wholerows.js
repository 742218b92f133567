// Rows of a box that clips (overflow: hidden) are seen whole or not at all: a row the box's bottom
// would cut through — the second Next-character bar with its "1.44%" sliced in half, an old sample
// — is hidden (visibility, so nothing moves), and so is every row under it. A projector shows
// three whole bars, never two and a half.

/** Watch `box` (resized: fit again); returns `fit()`, to call after its rows change. */
export function wholeRows(box) {
  function fit() {
    const rows = [...box.children];
    for (const r of rows) r.style.visibility = "";
    const bottom = box.getBoundingClientRect().top + box.clientTop + box.clientHeight;
    let out = false;
    for (const r of rows) {
      out ||= r.getBoundingClientRect().bottom > bottom + 0.5;
      if (out) r.style.visibility = "hidden";
    }
  }
  new ResizeObserver(fit).observe(box);
  return fit;
}
