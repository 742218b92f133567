"""One layout system (issue 22 §2): below a laptop every workspace is laid out by the same shared
tiers (styles/responsive.css), so each chart keeps a readable size and a panel a page has never had
fits with no rule of its own. At a 768 tablet the line page's loss chart was ~30 px tall (three
columns squeezed it under its note) and a new panel landed in a row of its own content's height."""
from __future__ import annotations

import pytest

from test_every_screen import PAGES, SIZES

pytestmark = pytest.mark.e2e

INDEX_PAGES = ["neuron", "line", "network", "transformer"]

# Every chart of the workspace a readable size (the network's unit pictures are thumbnails by design).
SMALL_CHARTS = """
() => [...document.querySelectorAll('.workspace .panel canvas')].filter((c) => c.getClientRects().length
    && !c.closest('.net-stage') && getComputedStyle(c.closest('.panel')).display !== 'none')
  .map((c) => [c, c.getBoundingClientRect()]).filter(([, r]) => r.height < 48 || r.width < 120)
  .map(([c, r]) => `${c.closest('.panel').id} chart ${Math.round(r.width)}×${Math.round(r.height)}`)
"""

# A panel no stylesheet names, with a chart in it: a fair share of the workspace, nothing sideways.
NEW_PANEL = """
() => {
  const ws = [...document.querySelectorAll('.workspace')].find((w) => w.getClientRects().length);
  const p = document.createElement('section');
  p.className = 'panel';
  p.id = 'a-new-panel';
  p.innerHTML = '<div class="panel-head"><span class="panel-title">New</span></div><canvas></canvas>';
  ws.appendChild(p);
  const r = p.getBoundingClientRect(), w = ws.getBoundingClientRect();
  const out = [];
  if (r.width < 0.45 * w.width) out.push(`new panel ${Math.round(r.width)} px wide in a ${Math.round(w.width)} px workspace`);
  if (r.height < 250) out.push(`new panel ${Math.round(r.height)} px tall`);
  if (document.documentElement.scrollWidth > innerWidth) out.push(`page ${document.documentElement.scrollWidth} px wide`);
  p.remove();
  return out;
}
"""


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_every_chart_is_readable_and_a_new_panel_fits(browser, server_url, size):
    w, h = SIZES[size]
    ctx = browser.new_context(viewport={"width": w, "height": h}, has_touch=size == "phone", is_mobile=size == "phone")
    try:
        pg = ctx.new_page()
        found = {}
        for name in INDEX_PAGES:
            path, ready = PAGES[name]
            pg.goto(server_url + path)
            pg.wait_for_function(ready, timeout=40_000)
            pg.wait_for_timeout(250)
            problems = pg.evaluate(SMALL_CHARTS) + pg.evaluate(NEW_PANEL)
            if problems:
                found[name] = problems
        assert not found, found
    finally:
        ctx.close()


# The Transformer at a 1024×768 screen: its loss chart tall enough to read, Adam's weight picker whole
# (it read "block 1 W_qk…" and the chart was 70 px tall); in presenter mode on a tablet, nothing wider
# than the screen (a presenter rule placed the loss and samples at 12 of 2 columns: 961 px wide).
READABLE = """
() => { const c = document.querySelector('#gpt-loss canvas').getBoundingClientRect();
        const s = document.querySelector('#gpt-optim .go-weight');
        return { chart: Math.round(c.height), picker: [s.clientWidth, s.scrollWidth], wide: document.documentElement.scrollWidth }; }
"""


@pytest.mark.parametrize("size,query", [((1024, 768), ""), ((768, 1024), "&presenter=1")])
def test_the_transformer_reads_at_1024_and_fits_a_tablet_in_presenter_mode(browser, server_url, size, query):
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h})
    try:
        pg = ctx.new_page()
        path, ready = PAGES["transformer"]
        pg.goto(server_url + path + query)
        pg.wait_for_function(ready, timeout=40_000)
        pg.wait_for_timeout(250)
        got = pg.evaluate(READABLE)
        assert got["wide"] <= w, got
        if not query:
            assert got["chart"] >= 110, got
            assert got["picker"][1] <= got["picker"][0], got
    finally:
        ctx.close()
