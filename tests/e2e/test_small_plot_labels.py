"""The network's output plot on a 1024×768 presenter screen (about 110 px across): its axis numbers
and axis names never run together (they read "−6 −3 0 3x₁6"; issue 22 §2 — what a student sees)."""
from __future__ import annotations

import pytest

from e2e_helpers import SESSION_READY

pytestmark = pytest.mark.e2e

# Every text the output plot's canvas writes, with its box (centre-aligned along the x axis).
RECORD = """
(() => {
  const fill = CanvasRenderingContext2D.prototype.fillText;
  window.__texts = [];
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
    if (this.canvas.closest && this.canvas.closest('#boundary')) {
      const w = this.measureText(text).width;
      const left = this.textAlign === 'center' ? x - w / 2 : this.textAlign === 'right' ? x - w : x;
      window.__texts.push({ text: String(text), left, right: left + w, y: Math.round(y), base: this.textBaseline });
    }
    return fill.call(this, text, x, y, ...rest);
  };
})();
"""

OVERLAPS = """
() => {
  const axis = window.__texts.filter((t) => t.base === 'top');  // the x axis's numbers and its name
  const lastY = Math.max(...axis.map((t) => t.y));
  const row = axis.filter((t) => t.y === lastY).slice(-6);
  const out = [];
  for (let i = 0; i < row.length; i++) for (let j = i + 1; j < row.length; j++) {
    const a = row[i], b = row[j];
    if (a.left < b.right + 2 && b.left < a.right + 2) out.push(`${a.text} and ${b.text} overlap`);
  }
  return out;
}
"""


def test_the_output_plots_axis_labels_stay_apart_on_a_presenter_screen(browser, server_url):
    ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        pg = ctx.new_page()
        pg.add_init_script(RECORD)
        pg.goto(f"{server_url}/?model=mlp&hidden=4,4,4")
        pg.wait_for_function(SESSION_READY, timeout=40_000)
        pg.wait_for_timeout(500)
        size = pg.evaluate("document.querySelector('#boundary canvas').clientWidth")
        assert size < 400  # the small plot this is about
        pg.evaluate("window.__texts = []")
        pg.keyboard.press("s")  # one step: the plot is drawn again
        pg.wait_for_function("window.__texts.some((t) => t.text.includes('x₁'))", timeout=10_000)
        assert pg.evaluate(OVERLAPS) == []
    finally:
        ctx.close()
