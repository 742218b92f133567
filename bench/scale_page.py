"""The Scale page in headless Chromium: how long from a control change to the figures drawn and to
the frame that paints them (1 frame = drawn before the first frame after the change). Every change
is timed from the event that commits it (`change`: a select, Tab or Enter in a number box, an
arrow key's step) or the key that walks the ladder, to the frame that paints the engine's answer.

Kinds: a select or a ladder step (asked ahead while the page was idle); a number pasted into a box
then Tab (Playwright's fill, then Tab a few ms later); a number typed key by key then Enter (80 ms
between keys, a fast typist); an arrow key's step in a focused number box, pressed once or held
(a step every 33 ms, as a key repeats); and the round trip
itself: a value committed with no keystroke before it (nothing could be asked ahead), the
fallback's cost. Each line says how many of its answers were already here when the change came.

    .venv/bin/python bench/scale_page.py [rounds]
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.stream import serve  # noqa: E402

READY = "window.scale && scale.state().reply && scale.state().presets"
# Selects whose choices the page asks for ahead, and two values to flip between.
SELECTS = [("#precision", ["fp32", "bf16_mixed"]), ("#recompute", ["full", "selective"]), ("#zero", ["3", "1"]),
           ("#gpu", ["h200", "h100"])]
# A value set and committed in one task, with no `input` before it: always a fresh round trip.
COMMIT_ONLY = "([sel, v]) => { const e = document.querySelector(sel); e.value = v; e.dispatchEvent(new Event('change')); }"
KINDS = ["select or ladder step", "pasted number, then Tab", "typed key by key, then Enter", "arrow key in a number box",
         "arrow key held (30 steps/s)", "round trip (nothing ahead)"]


def idle(page) -> None:
    """Wait until the page has nothing out (its asked-ahead list drained)."""
    page.wait_for_timeout(600)


def timed(page, kind: str, out: list, action) -> None:
    """Run `action`, let the page settle, and file the changes it timed under `kind`."""
    before = page.evaluate("scale.timing().all.length")
    action()
    idle(page)
    out += [(kind, t) for t in page.evaluate(f"scale.timing().all.slice({before})")]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    proc, port = serve()
    times: list = []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = b.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{port}/scale?preset=llama-3.1-8b")
            page.wait_for_function(READY, timeout=15_000)
            idle(page)
            for i in range(rounds):
                for sel, values in SELECTS:
                    timed(page, KINDS[0], times, lambda: page.select_option(sel, values[i % 2]))
                for sel, v in [("#micro-batch", str(2 + i)), ("#tokens", f"{1 + i}e12")]:
                    timed(page, KINDS[1], times, lambda: (page.fill(sel, v), page.press(sel, "Tab")))
                for sel, v in [("#m-d_model", str(4096 + 128 * (i + 1))), ("#m-seq_len", str(3000 + 17 * i))]:
                    page.click(sel, click_count=3)  # select what is there: typing replaces it
                    timed(page, KINDS[2], times, lambda: (page.keyboard.type(v, delay=80), page.keyboard.press("Enter")))
                page.focus("#dp")
                idle(page)
                for key in ["ArrowUp", "ArrowUp", "ArrowDown"]:
                    timed(page, KINDS[3], times, lambda: page.keyboard.press(key))
                timed(page, KINDS[4], times, lambda: [(page.keyboard.press("ArrowUp"), page.wait_for_timeout(33)) for _ in range(5)])
                for sel, v in [("#pp", str(1 + i % 2)), ("#m-n_layer", str(33 + i))]:
                    timed(page, KINDS[5], times, lambda: page.evaluate(COMMIT_ONLY, [sel, v]))
                page.evaluate("document.activeElement.blur()")  # the keys walk the ladder, not a box
                timed(page, KINDS[0], times, lambda: page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft"))
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    for kind in KINDS:
        t = [x for k, x in times if k == kind]
        if not t:
            continue
        drawn = [x["ms"] for x in t]
        painted = [x["paintedMs"] for x in t]
        frames = [x["frames"] for x in t]
        here = sum(x["cached"] for x in t)
        print(f"{kind:30s} n={len(t):3d} ({here:2d} here)  drawn p50 {statistics.median(drawn):5.1f} ms (max {max(drawn):5.1f}),"
              f" painted p50 {statistics.median(painted):5.1f} ms (max {max(painted):5.1f}),"
              f" frames p50 {statistics.median(frames):.0f} (max {max(frames)})")


if __name__ == "__main__":
    main()
