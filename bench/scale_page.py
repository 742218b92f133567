"""The Scale page in headless Chromium: how long from a control change to the figures drawn and to
the frame that paints them. A change to a setting one click away (asked ahead while the page was
idle) is drawn from the engine's stored reply; a typed number is a fresh POST /api/scale round
trip. Prints p50/max per kind, and the frames counted (1 = the first frame after the change).

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


def idle(page) -> None:
    """Wait until the page has nothing out (its asked-ahead list drained)."""
    page.wait_for_timeout(600)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    proc, port = serve()
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = b.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{port}/scale?preset=llama-3.1-8b")
            page.wait_for_function(READY, timeout=15_000)
            idle(page)
            for i in range(rounds):
                for sel, values in SELECTS:
                    page.select_option(sel, values[i % 2])
                    idle(page)
                for sel, v in [("#micro-batch", str(2 + i)), ("#tokens", f"{1 + i}e12")]:
                    page.fill(sel, v)
                    page.press(sel, "Tab")  # commit the typed number
                    idle(page)
                page.evaluate("document.activeElement.blur()")  # the keys walk the ladder, not a box
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                idle(page)
            times = page.evaluate("scale.timing().all")
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    for cached, name in [(True, "asked ahead (selects, ladder)"), (False, "round trip (typed numbers)")]:
        t = [x for x in times if x["cached"] == cached]
        if not t:
            continue
        drawn = [x["ms"] for x in t]
        painted = [x["paintedMs"] for x in t]
        frames = [x["frames"] for x in t]
        print(f"{name:32s} n={len(t):3d}  drawn p50 {statistics.median(drawn):5.1f} ms (max {max(drawn):5.1f}),"
              f" painted p50 {statistics.median(painted):5.1f} ms (max {max(painted):5.1f}),"
              f" frames p50 {statistics.median(frames):.0f} (max {max(frames)})")


if __name__ == "__main__":
    main()
