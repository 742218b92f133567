"""The Workers panel at 1280×800 after a worker is lost (issue 22 §1, §2): the plain-words line
"Lost worker 1 at step … restarted from the checkpoint …" is in view, not scrolled out of the
panel's table area, and the stage ribbon draws each stage's tensor shape from the engine's plan."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

CONFIG = "model=transformer&n_layer=1&n_head=2&n_embd=32&block_size=16&batch_size=4&seed=3&workers=2&checkpoint_every=1"
READY = "window.flowscope && flowscope.state().gpt.info?.ddp?.ready === true && flowscope.state().conn === 'open'"

SEEN = """sel => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
  if (!r.height || r.bottom > innerHeight || r.right > innerWidth) return false;
  const hit = document.elementFromPoint(r.left + Math.min(20, r.width / 2), r.top + r.height / 2);
  return el.contains(hit); }"""


def test_the_lost_worker_line_is_in_view_at_a_laptop(page, server_url, shot):
    page.goto(f"{server_url}/?{CONFIG}")
    page.wait_for_function(READY, timeout=120_000)
    page.keyboard.press("s")
    page.wait_for_function("flowscope.state().step === 1", timeout=30_000)
    page.click("#gpt-workers button.gw-kill[data-rank='1']")
    page.wait_for_function("document.querySelector('#gpt-workers').dataset.lost === '1'", timeout=60_000)
    assert "Lost worker 1" in page.text_content("#gpt-workers .gw-lost")
    page.wait_for_function(READY, timeout=120_000)
    shot(page, "workers-lost-1280")
    assert page.evaluate(SEEN, "#gpt-workers .gw-lost"), "the Lost worker line is cut or covered"
    # the data-parallel plan's shapes reach the formula panel (llm-viz's B, T, C)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#gpt-formula .gf-shape')?.textContent.includes('(B, T)')", timeout=30_000)
