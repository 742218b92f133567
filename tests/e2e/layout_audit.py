"""What a person at a phone or a projector would notice, measured in the page: boxes that overlap,
text cut off by its box, a number broken over lines, a page wider than the screen, touch targets
under 44 px, type under a size, text over a chart, panels that leave the workspace's bottom empty. Used by
test_classroom_ui.py and test_course_walk.py; each check returns a list of offenders (empty: fine)."""
from __future__ import annotations

# The main panels and the buttons a teacher or student uses: none may overlap another (an element
# may sit inside another, e.g. a button in the lesson panel).
MAIN = [
    "#pipeline", ".workspace > .panel", ".panel-stack > .panel", "#lesson-panel", "#controls button",
    "#room-actions .btn", ".topbar .bar-button", ".topbar .room-button", ".tabs a", "#settings .field",
    ".lp-nav .btn", "#status .chip", ".topbar .watching",
]

_VISIBLE = """
const visible = (e) => {
  if (e.closest('.fs-off, [hidden]')) return false;
  const r = e.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return false;
  for (let p = e; p; p = p.parentElement) {
    const cs = getComputedStyle(p);
    if (cs.display === 'none' || cs.visibility === 'hidden' || Number(cs.opacity) === 0) return false;
  }
  return true;
};
// Each line box of each visible text under `root` (svg and popovers aside): [element, rect] pairs.
const textLines = (root) => {
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || !e || e.closest('svg, .popover') || !visible(e)) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    for (const q of r.getClientRects()) out.push([e, q]);
  }
  return out;
};
const label = (e) => (e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + [...e.classList].join('.')) +
  ' "' + (e.textContent || '').trim().slice(0, 30) + '"';
"""

OVERLAPS = _VISIBLE + """
(selectors) => {
  const els = [...new Set(selectors.flatMap((s) => [...document.querySelectorAll(s)]))].filter(visible);
  const out = [];
  for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
    const a = els[i], b = els[j];
    if (a.contains(b) || b.contains(a)) continue;
    const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 1 && h > 1) out.push(`${label(a)} × ${label(b)} (${Math.round(w)}×${Math.round(h)})`);
  }
  return out;
}
"""

# Text cut by its own box: an element whose overflow is hidden/clipped (or ellipsised) and whose
# content is wider than it. Scrolling boxes (overflow auto) are not cut: they scroll.
CLIPPED = _VISIBLE + """
() => {
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.tagName === 'CANVAS' || e.tagName === 'svg' || e.closest('svg') || e.closest('.popover')) continue;
    if (!(e.textContent || '').trim()) continue;
    const cs = getComputedStyle(e);
    const cuts = ['hidden', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis';
    if (!cuts || !visible(e)) continue;
    if (e.scrollWidth > e.clientWidth + 1) out.push(`${label(e)} ${e.scrollWidth}>${e.clientWidth}`);
  }
  return out;
}
"""

# A number in the values table broken over lines ("0." then "4", "0", "2", "5", one a line): a cell
# whose text is one word but stands taller than one line.
SPLIT_NUMBERS = _VISIBLE + """
() => [...document.querySelectorAll('.values td')]
  .filter((e) => visible(e) && /^\\S+$/.test((e.textContent || '').trim()))
  .filter((e) => {
    const r = document.createRange();
    r.selectNodeContents(e);
    return new Set([...r.getClientRects()].map((q) => Math.round(q.top))).size > 1;
  })
  .map((e) => `${label(e)} stands on several lines`)
"""

# A page wider than the screen: the document scrolls sideways, or (where the body hides its overflow,
# as a phone's does) a box sticks out past the window's right edge outside any strip that scrolls or
# clips it, so its end is cut off for good.
SIDEWAYS = _VISIBLE + """
() => {
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth + 1) out.push(`page is ${document.documentElement.scrollWidth} px wide`);
  const held = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible' || getComputedStyle(p).position === 'fixed') return true;
    }
    return false;
  };
  for (const e of document.body.querySelectorAll('*')) {
    if (e.closest('svg, .popover, #toasts') || !visible(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.right > innerWidth + 1 && !held(e)) out.push(`${label(e)} reaches ${Math.round(r.right)} px`);
    if (out.length > 6) break;
  }
  return out;
}
"""

# What a page is for, seen: each selector's first match shown (not hidden, 16 px or more each way)
# and, on a screen that shows the page whole, inside the window.
PRIMARY_HIDDEN = _VISIBLE + """
([selectors, whole]) => selectors.map((s) => {
  const e = document.querySelector(s);
  if (!e) return `${s} missing`;
  if (!visible(e)) return `${s} not shown`;
  const r = e.getBoundingClientRect();
  if (r.width < 16 || r.height < 16) return `${s} is ${Math.round(r.width)}×${Math.round(r.height)} px`;
  if (whole && (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1)) return `${s} off screen (${Math.round(r.left)},${Math.round(r.top)}–${Math.round(r.right)},${Math.round(r.bottom)})`;
  return null;
}).filter(Boolean)
"""

# A box (the ribbon's lit stage) seen whole: inside the window and inside every box that clips it.
OFF_SCREEN = _VISIBLE + """
(sel) => {
  const e = document.querySelector(sel);
  if (!e || !visible(e)) return [`${sel} not shown`];
  const r = e.getBoundingClientRect();
  let [l, t, rt, b] = [0, 0, innerWidth, innerHeight];
  for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX === 'visible' && getComputedStyle(p).overflowY === 'visible') continue;
    const q = p.getBoundingClientRect();
    [l, t, rt, b] = [Math.max(l, q.left), Math.max(t, q.top), Math.min(rt, q.right), Math.min(b, q.bottom)];
  }
  const cut = r.left < l - 1 || r.right > rt + 1 || r.top < t - 1 || r.bottom > b + 1;
  return cut ? [`${label(e)} cut: ${Math.round(r.left)}–${Math.round(r.right)} × ${Math.round(r.top)}–${Math.round(r.bottom)} in ${Math.round(l)}–${Math.round(rt)} × ${Math.round(t)}–${Math.round(b)}`] : [];
}
"""

# Keyboard focus that can't be seen: every control a Tab reaches (button, link, field, select,
# slider, a tab) given focus in turn must draw an outline of 2 px or more (the old faint 1 px ring
# of chips, −/+, the racers' ✕ and selects did not count).
FOCUS_RINGS = _VISIBLE + """
() => {
  const out = [];
  const all = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]
    .filter((e) => !e.disabled && visible(e));
  for (const e of all) {
    e.focus({ preventScroll: true });
    if (document.activeElement !== e) continue;
    const cs = getComputedStyle(e);
    const ring = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
    if (!ring) out.push(`${label(e)} outline ${cs.outlineStyle} ${cs.outlineWidth}`);
  }
  document.activeElement && document.activeElement.blur();
  return [...new Set(out)].slice(0, 12);
}
"""

# Every button, field, slider and tab a thumb meets (a link inside a sentence, a checkbox beside its
# label and the network diagram's own small +/− excepted).
SMALL_TARGETS = _VISIBLE + """
() => [...document.querySelectorAll('button, select, input:not([type=checkbox]):not([type=file]), .tabs a')]
  .filter((e) => visible(e) && !e.closest('.net-cols, .popover'))
  .filter((e) => e.getBoundingClientRect().height < 44 - 0.5)
  .map((e) => `${label(e)} ${Math.round(e.getBoundingClientRect().height)} px`)
"""

# Type smaller than `min` px in the given areas: every element that has a text node of its own.
SMALL_TEXT = _VISIBLE + """
([selectors, min]) => {
  const out = [];
  for (const root of selectors.flatMap((s) => [...document.querySelectorAll(s)])) {
    for (const e of [root, ...root.querySelectorAll('*')]) {
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !visible(e)) continue;
      const px = parseFloat(getComputedStyle(e).fontSize);
      if (px < min) out.push(`${label(e)} ${px}px`);
    }
  }
  return [...new Set(out)];
}
"""

# The controls a step needs: on screen (scrolled to on a phone) and the topmost element at their
# centre, so a tap or click reaches them.
CLICKABLE = """
(ids) => ids.map((sel) => {
  const e = document.querySelector(sel);
  if (!e) return `${sel} missing`;
  e.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  const r = e.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return `${sel} not shown`;
  if (r.left < 0 || r.top < 0 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1) return `${sel} off screen`;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit && (hit === e || e.contains(hit)) ? null : `${sel} covered by ${hit && (hit.id || hit.className)}`;
}).filter(Boolean)
"""


# The panels a lesson step leaves fill the workspace down to its bottom (a fixed grid left the
# hidden panels' row standing empty: half a 1920 px page). Wide screens only: a phone scrolls.
EMPTY_BELOW = _VISIBLE + """
() => {
  const w = document.querySelector('.workspace');
  if (!w || !visible(w)) return [];
  const panels = [...w.querySelectorAll(':scope > .panel, :scope > .panel-stack')].filter(visible);
  if (!panels.length) return [];
  const gap = w.getBoundingClientRect().bottom - Math.max(...panels.map((p) => p.getBoundingClientRect().bottom));
  return gap > 24 ? [`${label(w)}: ${Math.round(gap)} px empty under the panels`] : [];
}
"""


# A row cut in half: a line of text (or a chart) that its panel, or a box inside it, shows only in
# part — the second of the Next-character bars with its "1.44%" sliced through the middle, a
# paragraph's last line under the panel's edge, the values table's "L 0.6121" halved by the bottom of
# its scroll box. Each line box of every text node (a Range's client rects), every table row and list
# item (a row "L (whole set)" shows its first line of, the rest under the edge) and every canvas is held
# against what the ancestors that clip (overflow hidden, clip, auto or scroll) leave in sight
# together, up to the panel: seen whole or not at all passes; seen in part (more than 3 px of it
# seen, and more than 3 px and a quarter of it out of sight) does not. A box that scrolls may cut a
# row only under its "more below ↓" cue (render/morebelow.js: a visible `.more-below` over the cut
# row), so a class sees there is more rather than half a number. Vertical only: a strip that scrolls
# sideways (the probe's tokens, the ribbon) shows its first items whole and scrolls to the rest.
PANELS = [".workspace > .panel", ".panel-stack > .panel", "#pipeline"]

CUT_ROWS = _VISIBLE + """
(selectors) => {
  const out = new Set();
  const clips = (e, root) => {
    const boxes = [];
    for (let p = e; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowY;
      if (['hidden', 'clip', 'auto', 'scroll'].includes(o)) {
        const r = p.getBoundingClientRect();
        const top = r.top + p.clientTop;
        boxes.push({ p, top, bottom: top + p.clientHeight, scrolls: o === 'auto' || o === 'scroll' });
      }
      if (p === root) break;
    }
    return boxes;
  };
  // A scroll box's cue over the cut part of row `q`: it says there is more.
  const cued = (q, box) => [...box.p.querySelectorAll('.more-below')].some((c) => {
    if (!visible(c)) return false;
    const r = c.getBoundingClientRect();
    return r.top < Math.min(q.bottom, box.bottom) && r.bottom > Math.max(q.top, box.top);
  });
  const why = (by) => label(by.p).split(' "')[0] + (by.scrolls ? ', a scroll box with no cue,' : '');
  // What all the clipping boxes together leave in sight (their intersection); the box that cuts.
  const cut = (q, boxes) => {
    if (!boxes.length) return null;
    const top = Math.max(...boxes.map((b) => b.top));
    const bottom = Math.min(...boxes.map((b) => b.bottom));
    const seen = Math.min(q.bottom, bottom) - Math.max(q.top, top);
    const lost = q.height - Math.max(0, seen);
    if (!(seen > 3 && lost > 3 && lost > q.height / 4)) return null;
    const by = boxes.find((b) => (q.bottom > bottom && b.bottom === bottom) || (q.top < top && b.top === top));
    return by && by.scrolls && cued(q, by) ? null : by;
  };
  for (const root of selectors.flatMap((s) => [...document.querySelectorAll(s)])) {
    if (!visible(root)) continue;
    for (const [e, q] of textLines(root)) {
      const by = q.height > 0 && cut(q, clips(e, root));
      if (by) out.add(`${label(e)} cut by ${why(by)} (${Math.round(q.top)}–${Math.round(q.bottom)} seen to ${Math.round(by.bottom)})`);
    }
    for (const t of root.querySelectorAll('tr, li')) {
      const by = visible(t) && cut(t.getBoundingClientRect(), clips(t.parentElement, root));
      if (by) out.add(`row ${label(t)} cut by ${why(by)}`);
    }
    for (const c of root.querySelectorAll('canvas')) {
      const by = visible(c) && cut(c.getBoundingClientRect(), clips(c.parentElement, root));
      if (by) out.add(`${label(c)} cut by ${why(by)}`);
    }
  }
  return [...out];
}
"""


# The lesson step beside the panels shows whole, its task and Previous/Next included, without
# scrolling (its type steps down first, render/fittype.js): a class can't scroll the teacher's screen.
LESSON_SCROLLS = _VISIBLE + """
() => {
  const p = document.getElementById('lesson-panel');
  if (!p || !visible(p) || getComputedStyle(p).position !== 'fixed') return [];
  return p.scrollHeight > p.clientHeight + 1 ? [`the lesson needs ${p.scrollHeight - p.clientHeight} px more (type at ${p.style.getPropertyValue('--fit') || 1})`] : [];
}
"""


# Canvases that are pictures, not charts: the network's node pictures, the formula's small attention maps.
CHART_PICTURES = ".net-node, .gf-maps, .gw-ring"

# Charts too small to read from a classroom: a chart canvas in a panel under `w` × `h` CSS px (the
# network's node pictures and the formula's small attention maps excepted: pictures, not charts).
SMALL_CHARTS = _VISIBLE + """
([w, h]) => [...document.querySelectorAll('.workspace .panel canvas')]
  .filter((c) => visible(c) && !c.closest('""" + CHART_PICTURES + """'))
  .filter((c) => c.clientWidth < w || c.clientHeight < h)
  .map((c) => `${c.closest('[id]').id} chart ${c.clientWidth}×${c.clientHeight}`)
"""

# Text lying over a chart: a line of text (a note, a tag, a label) whose box meets a chart canvas in
# its panel by more than 2 px each way hides the axis, the ticks or the curve under it (the loss
# chart's "Up on this step…" note over its x-axis and "loss" label at a 1024 presenter). The same
# pictures as SMALL_CHARTS are left out; so are popovers, which open on purpose over what they explain.
COVERED_CHARTS = _VISIBLE + """
() => {
  const out = new Set();
  for (const c of document.querySelectorAll('.workspace .panel canvas')) {
    if (!visible(c) || c.closest('""" + CHART_PICTURES + """')) continue;
    const box = c.getBoundingClientRect();
    const panel = c.closest('.panel');
    for (const [e, q] of textLines(panel)) {
      const w = Math.min(q.right, box.right) - Math.max(q.left, box.left);
      const h = Math.min(q.bottom, box.bottom) - Math.max(q.top, box.top);
      if (w > 2 && h > 2) out.add(`${label(e)} over ${panel.id || 'a'} chart (${Math.round(w)}×${Math.round(h)})`);
    }
  }
  return [...out];
}
"""

# The formula panel at rest (no stage on display) shows every value it lists (w, b or a, L (whole
# set), η: what a lesson step talks about) in one line each: its box holds no more than it shows, and
# no name stands on several lines ("L (whole set)" on three took the room of η at a 1024 presenter).
VALUES_AT_REST = _VISIBLE + """
() => {
  const f = document.getElementById('formula-panel');
  const wrap = f && f.querySelector('.values-wrap');
  if (!wrap || !visible(f) || f.dataset.stage) return [];
  const out = [];
  if (wrap.scrollHeight > wrap.clientHeight + 1) out.push(`values show ${wrap.clientHeight} of ${wrap.scrollHeight} px`);
  for (const th of wrap.querySelectorAll('th')) {
    const r = document.createRange();
    r.selectNodeContents(th);
    const lines = new Set([...r.getClientRects()].map((q) => Math.round(q.top))).size;
    if (lines > 1) out.push(`"${th.textContent}" on ${lines} lines`);
  }
  return out;
}
"""

# The Next-character bars a person sees whole (wholerows.js hides a bar its box would cut).
WHOLE_BARS = _VISIBLE + """
() => [...document.querySelectorAll('#gpt-probs .gq-bar')].filter(visible).length
"""


def audit(page, *, phone: bool = False, min_font: float | None = None, text_areas=("body",)) -> dict:
    """Every check at once; a dict of non-empty offender lists."""
    found = {
        "overlap": page.evaluate(OVERLAPS, MAIN),
        "clipped": page.evaluate(CLIPPED),
        "sideways": page.evaluate(SIDEWAYS),
        "split numbers": page.evaluate(SPLIT_NUMBERS),
        "cut rows": page.evaluate(CUT_ROWS, PANELS),
        "covered charts": page.evaluate(COVERED_CHARTS),
    }
    if phone:
        found["small targets"] = page.evaluate(SMALL_TARGETS)
    else:
        found["empty below"] = page.evaluate(EMPTY_BELOW)
        found["lesson scrolls"] = page.evaluate(LESSON_SCROLLS)
    if min_font:
        found["small text"] = page.evaluate(SMALL_TEXT, [list(text_areas), min_font])
    return {k: v for k, v in found.items() if v}


def unreachable(page, selectors) -> list[str]:
    return page.evaluate(CLICKABLE, list(selectors))
