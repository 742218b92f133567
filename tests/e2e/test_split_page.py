"""A tensor-parallel run from the Scale page: the calculator's who-holds-what for tp 2, "Run it here"
opens the Transformer page's model on 2 worker processes split the same way, and after whole steps its
Split panel draws the engine's measured timeline (a Gantt row per rank, the all-reduces as comm), who
holds what (each cell the engine's share) and the bytes sent per step beside the formula."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

READY = "window.flowscope && flowscope.state().gpt.info?.ddp?.ready === true && flowscope.state().conn === 'open'"


def test_run_it_here_opens_a_tp_run_whose_timeline_and_holds_are_the_engines(page, server_url, shot):
    page.goto(f"{server_url}/scale?preset=transformer&tp=2")
    page.wait_for_selector("#parallel .par-holds-grid tbody tr", timeout=30_000)
    rows = page.eval_on_selector_all("#parallel .par-holds-grid tbody th", "els => els.map(e => e.textContent)")
    assert rows == ["w0 · tp0", "w1 · tp1"]
    halves = page.eval_on_selector_all("#parallel .par-holds-grid .hd-params", "els => els.map(e => e.dataset.share)")
    assert halves and set(halves) == {"0.5", "1"}  # the calculator, as the run: the layers cut in 2, the embedding
    assert halves[0] == halves[-1] == "1"  # and the head whole on both ranks
    assert page.get_attribute("#parallel .par-holds", "data-runnable") == "true"
    shot(page, "split-scale-holds")
    page.click("#par-run")
    page.wait_for_url("**/?model=transformer*parallel=dp:1,tp:2*", timeout=15_000)
    page.wait_for_function(READY, timeout=120_000)
    for n in (1, 2):
        page.keyboard.press("s")
        page.wait_for_function(f"flowscope.state().step === {n}", timeout=30_000)
    page.wait_for_function("Number(document.querySelector('#gpt-split').dataset.segments) > 0", timeout=10_000)
    assert page.is_visible("#gpt-split") and not page.is_visible("#gpt-attention")
    info = page.evaluate("flowscope.state().gpt.info")
    timeline, par = info["timeline"], info["parallel"]
    assert par["spec"]["tp"] == 2 and [r["rank"] for r in timeline] == [0, 1]
    drawn = int(page.get_attribute("#gpt-split", "data-segments"))
    assert drawn == sum(len(r["segments"]) for r in timeline) > 2
    assert page.get_attribute("#gpt-split", "data-ops") == "allreduce"  # tp's forward and backward all-reduces
    # who holds what: each bar is the engine's share (block 0's weights: the qkv, proj, fc, proj rows it keeps)
    shares = page.eval_on_selector_all("#gpt-split .gx-holds .hd-params", "els => els.map(e => Number(e.dataset.share))")
    engine = [c["params"] for r in par["holds"]["ranks"] for c in r["cells"]]
    assert shares == engine and 0 < min(engine) < 1 == max(engine)
    # bytes per step: measured beside the formula, equal (✓)
    cells = page.eval_on_selector_all("#gpt-split .gx-bytes tbody tr", "els => els.map(e => [e.dataset.op, e.className])")
    assert ("allreduce", "equal") in [tuple(c) for c in cells]
    assert par["bytes"][0]["measured"]["allreduce"] == par["bytes"][0]["formula"]["allreduce"]
    mem = page.eval_on_selector_all("#gpt-split .gx-mem tbody tr td:first-child", "els => els.map(e => e.textContent)")
    assert mem == ["calculator", "w0 · tp0", "w1 · tp1"]
    shot(page, "split-tp2-1280x800")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_timeout(300)
    shot(page, "split-tp2-1024x768")
    box = page.eval_on_selector("#gpt-split .gx-gantt", "e => [e.clientWidth, e.clientHeight]")
    assert box[0] > 200 and box[1] >= 48, box


def test_a_tp_run_stepped_by_stage_shows_the_forward_allreduce(page, server_url, shot):
    """Stage by stage: the ribbon has an All-reduce box each way (forward before the loss, backward after the
    gradients), and the forward one's panel shows each rank's partial sum and the sum on every rank."""
    page.goto(f"{server_url}/?model=transformer&workers=2&parallel=dp:1,tp:2")
    page.wait_for_function(READY, timeout=120_000)
    boxes = page.eval_on_selector_all("#ribbon .rb-box, .rb-box", "els => els.map(e => [e.dataset.stage, e.className])")
    ar = [c for s, c in boxes if s == "allreduce"]
    assert len(ar) == 2 and "forward" in ar[0] and "backward" in ar[1]
    stages = [s for s, _ in boxes]
    assert stages.index("allreduce") < stages.index("loss") < stages.index("gradients") < len(stages) - 2
    plan = page.evaluate("flowscope.state().session.plan ?? flowscope.state().plan")
    first = next(i for i, e in enumerate(plan) if e["stage"] == "allreduce")
    for n in range(first + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"flowscope.state().stage?.index === {n}", timeout=60_000)
    v = page.evaluate("flowscope.state().stage.values")
    assert v["op"] == "allreduce" and v["group"] == "tp" and v["direction"] == "forward"
    rows = page.eval_on_selector_all(".gf-picture .gw-slices tr", "els => els.map(e => e.className)")
    assert rows == ["before", "before", "after", "after"]
    cells = page.eval_on_selector_all(".gf-picture .gw-slices tr.after td", "els => els.map(e => e.textContent)")
    assert cells[:6] == cells[6:] and len(cells) == 12  # the same sum on both ranks, every entry drawn
    shot(page, "split-tp2-stage-allreduce-1280x800")


FITS = """() => { const r = document.querySelector('#pipeline').getBoundingClientRect();
  return [...document.querySelectorAll('#pipeline .rb-box')].map(b => { const x = b.getBoundingClientRect();
    return [b.dataset.stage, x.left >= r.left - 0.5 && x.right <= r.right + 0.5]; }); }"""


@pytest.mark.parametrize("parallel", ["pp:2,micro_batches:4", "dp:2,zero:3"])
def test_a_split_loop_keeps_every_box_and_update_in_view(page, server_url, shot, parallel):
    """A pipeline's two send/receive boxes (zero 3: four gather and scatter boxes) pushed Update off the loop at
    1280×800; the sublayer pills become dots and the titles break, so every box fits at 1280×800 and 1024×768."""
    page.goto(f"{server_url}/?model=transformer&workers=2&parallel={parallel}")
    page.wait_for_function(READY, timeout=120_000)
    name = parallel.split(",")[0].replace(":", "")
    for w, h in ((1280, 800), (1024, 768)):
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(300)
        boxes = page.evaluate(FITS)
        assert boxes[-1][0] == "update" and all(fits for _, fits in boxes), (w, boxes)
        shot(page, f"split-{name}-loop-{w}x{h}")
