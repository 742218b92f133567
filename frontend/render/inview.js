// Keep the lit stage of a ribbon that scrolls sideways (a phone) in view. Pure arithmetic plus one
// DOM helper; the arithmetic runs under node --test.

/**
 * The scrollLeft that shows [left, left + width) inside a viewport of `view` px now scrolled to
 * `scroll`, moving as little as possible; `pad` px of margin on the side it moves towards.
 * An item wider than the view is shown from its start.
 */
export function scrollToShow(scroll, view, left, width, pad = 12) {
  if (left - pad < scroll || width + 2 * pad > view) return Math.max(0, left - pad);
  if (left + width + pad > scroll + view) return left + width + pad - view;
  return scroll;
}

/** Scroll `container` sideways (only if it scrolls) so that `item` is in view. */
export function keepInView(container, item) {
  if (!container || !item || container.scrollWidth <= container.clientWidth + 1) return;
  const c = container.getBoundingClientRect();
  const r = item.getBoundingClientRect();
  const left = r.left - c.left + container.scrollLeft;
  const next = scrollToShow(container.scrollLeft, container.clientWidth, left, r.width);
  if (next !== container.scrollLeft) container.scrollLeft = next;
}
