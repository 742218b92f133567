"""Every page at the five screens a class meets it on (issue 22 §2): a phone in the hand (390×844,
touch), a tablet (768×1024), a 1024×768 presenter, a 1280×800 laptop and a 1920×1080 projector.
On each: nothing wider than the screen, what the page is for in view (its charts, the lit stage,
the Transformer's bars and room for a sample), the one top bar with Keys/? and a ring on every
control a keyboard reaches. One browser, one server, one tab per screen reused for every page, so
the whole sweep stays cheap on a 2-core CI machine."""
from __future__ import annotations

import pytest

from e2e_helpers import SESSION_READY
from layout_audit import FOCUS_RINGS, OFF_SCREEN, PRIMARY_HIDDEN, SIDEWAYS, WHOLE_BARS, audit

pytestmark = pytest.mark.e2e

SIZES = {
    "phone": (390, 844),
    "tablet": (768, 1024),
    "presenter": (1024, 768),
    "laptop": (1280, 800),
    "projector": (1920, 1080),
}
# Screens that show a page whole (no scrolling): what a page is for must be on screen, not below.
WHOLE = {"presenter", "laptop", "projector"}

GPT = "model=transformer&n_layer=2&n_head=2&n_embd=48&block_size=24&batch_size=12&seed=3"
DESCENT_READY = "window.descent && descent.race().racers.length && descent.race().racers.every(r => r.connected && r.state)"
PAGES = {
    "neuron": ("/?model=neuron", SESSION_READY),
    "line": ("/?model=line", SESSION_READY),
    "network": ("/?model=mlp&hidden=4,4,4", SESSION_READY),
    # ready once its probes have answered: the bars, the loss of each character
    "transformer": (f"/?{GPT}", SESSION_READY + " && flowscope.state().gpt.info"
                    " && document.querySelector('#gpt-probs .gq-bar') && document.querySelector('#gpt-samples .gs-charloss')"),
    "descent": ("/descent", DESCENT_READY),
    "scale": ("/scale", "window.scale && scale.state().reply && scale.settled()"),
}
# What each page is for: seen (no smaller than a thumb, not hidden) on every screen, and on the
# screens that show a page whole, inside the window.
PRIMARY = {
    "neuron": ["#formula-panel .values", "#dataplot canvas", "#losschart canvas"],
    "line": ["#formula-panel .values", "#dataplot canvas", "#losschart canvas", "#curve canvas"],
    "network": ["#network .net-stage", "#boundary canvas", "#netloss canvas"],
    "transformer": ["#gpt-attention canvas", "#gpt-probs .gq-bar", "#gpt-loss canvas", "#gpt-samples .gs-list"],
    "descent": ["#landscape canvas", "#lanes"],
    "scale": ["#ladder", "#params", "#memory"],
}
# The Scale page scrolls on every screen (each figure keeps its formula beside it): its ladder is in
# view, the figures under it are shown.
SCROLLS = {"scale": ["#ladder"]}
# The one control row every page has: the model tabs, the Keys list.
TOP_BAR = [".topbar #tabs", ".topbar #keys-button"]


@pytest.fixture(scope="module")
def tabs(browser):
    """One tab per screen, opened on first use and reused by every page."""
    made = {}

    def get(size):
        if size not in made:
            w, h = SIZES[size]
            phone = size == "phone"
            ctx = browser.new_context(viewport={"width": w, "height": h}, has_touch=phone, is_mobile=phone)
            pg = ctx.new_page()
            pg.errors = []
            pg.on("pageerror", lambda e: pg.errors.append(str(e)))
            made[size] = pg
        return made[size]

    yield get
    for pg in made.values():
        pg.context.close()


def open_page(pg, url, name):
    path, ready = PAGES[name]
    pg.goto(url + path)
    pg.wait_for_function(ready, timeout=40_000)
    pg.wait_for_timeout(250)  # the views' second frame (charts sized to their boxes)


def lit_box(pg):
    """Light the first stage (→) and say where its box is against the window and its strip."""
    pg.keyboard.press("ArrowRight")
    pg.wait_for_function("document.getElementById('pipeline').dataset.activeStage", timeout=10_000)
    pg.wait_for_timeout(300)  # the strip scrolls the lit box into view
    return pg.evaluate(OFF_SCREEN, "#pipeline .active:is(.stage-box, .rb-box)")


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_the_screen(tabs, server_url, size):
    pg = tabs(size)
    found = {}
    for name in PAGES:
        open_page(pg, server_url, name)
        problems = pg.evaluate(SIDEWAYS)
        # the lesson walk's audit too: overlaps, cut text and rows, text over charts, thumb-sized targets
        problems += [f"{k}: {v}" for k, v in audit(pg, phone=size == "phone").items()
                     if k not in ("sideways", "empty below", "lesson scrolls")]
        in_view = PRIMARY[name] + TOP_BAR if size in WHOLE else TOP_BAR
        problems += pg.evaluate(PRIMARY_HIDDEN, [PRIMARY[name], False])
        problems += pg.evaluate(PRIMARY_HIDDEN, [SCROLLS[name] + TOP_BAR if name in SCROLLS and size in WHOLE else in_view, True])
        if name == "transformer":
            bars = pg.evaluate(WHOLE_BARS)
            if bars < 3:
                problems.append(f"{bars} next-character bars seen whole")
            problems += pg.evaluate(SAMPLE_ROOM)
        if name in ("neuron", "line", "network", "transformer"):
            problems += lit_box(pg)
            if size in WHOLE:  # the whole loop in view, its last box (Update) too
                problems += pg.evaluate(EVERY_BOX)
        if name == "descent":
            problems += pg.evaluate(LANES_FIT)
        problems += pg.evaluate(EVERY_TAB)
        if problems:
            found[name] = problems
    # the room card, opened from the neuron page's top bar: whole across the screen
    open_page(pg, server_url, "neuron")
    pg.click("#room-button")
    pg.wait_for_selector("#room-panel", state="visible", timeout=3_000)
    card = pg.evaluate(SIDEWAYS) + pg.evaluate(CARD_FITS)
    if card:
        found["room card"] = card
    assert not pg.errors, pg.errors
    assert not found, found


CARD_FITS = """
() => {
  const r = document.getElementById('room-panel').getBoundingClientRect();
  const out = r.left < 0 || r.right > innerWidth ? [`room card ${Math.round(r.left)}–${Math.round(r.right)} in a ${innerWidth} px window`] : [];
  for (const e of document.querySelectorAll('#room-panel :is(button, input, img, .rp-code)')) {
    const q = e.getBoundingClientRect();
    if (q.width && q.right > r.right + 1) out.push(`${e.className || e.tagName} past the card's edge`);
  }
  return out;
}
"""


# Every page's tab whole in view: on a phone a row scrolling sideways cut "Descent" and hid Scale.
EVERY_TAB = """
() => {
  const row = document.querySelector('.topbar #tabs').getBoundingClientRect();
  return [...document.querySelectorAll('.topbar #tabs a')].filter((a) => a.getClientRects().length)
    .map((a) => [a, a.getBoundingClientRect()])
    .filter(([, r]) => r.left < Math.max(0, row.left) - 1 || r.right > Math.min(innerWidth, row.right) + 1)
    .map(([a, r]) => `tab ${a.textContent.trim()} at ${Math.round(r.left)}–${Math.round(r.right)}, its row shows ${Math.round(row.left)}–${Math.round(row.right)}`);
}
"""


# Every box of the training loop whole inside its strip (the last one was cut with 3 hidden layers).
EVERY_BOX = """
() => {
  const strip = document.getElementById('pipeline').getBoundingClientRect();
  return [...document.querySelectorAll('#pipeline :is(.rb-box, .stage-box)')].map((b) => [b, b.getBoundingClientRect()])
    .filter(([, r]) => r.width && (r.left < strip.left - 1 || r.right > strip.right + 1))
    .map(([b, r]) => `${b.dataset.stage || b.className} box ${Math.round(r.left)}–${Math.round(r.right)} outside ${Math.round(strip.left)}–${Math.round(strip.right)}`);
}
"""


# Each racer's row holds its swatch, optimizer, η, loss, step and ✕ inside its box, two rows at most
# (at a tablet its loss ran out of the row; on a phone each swatch stood 240 px tall), and its
# optimizer's name whole: the select no narrower than a copy of it left to its own width (at a 1024
# presenter "Momentum" and "RMSprop" were cut).
LANES_FIT = """
() => [...document.querySelectorAll('.lane')].flatMap((lane, i) => {
  const box = lane.getBoundingClientRect();
  const sel = lane.querySelector('select');
  const copy = sel.cloneNode(true);
  copy.style.cssText = 'position: absolute; visibility: hidden; width: auto; min-width: 0; max-width: none';
  lane.append(copy);
  const [has, wants] = [sel.getBoundingClientRect().width, copy.getBoundingClientRect().width];
  copy.remove();
  const named = has < wants - 1 ? [`racer ${i + 1}: its optimizer's name cut (${Math.round(has)} of ${Math.round(wants)} px)`] : [];
  const out = [...lane.children].filter((c) => c.getClientRects().length).map((c) => [c, c.getBoundingClientRect()])
    .filter(([, r]) => r.left < box.left - 1 || r.right > box.right + 1)
    .map(([c, r]) => `racer ${i + 1}: ${c.className} ${Math.round(r.left)}–${Math.round(r.right)} outside ${Math.round(box.left)}–${Math.round(box.right)}`);
  if (box.height > 130) out.push(`racer ${i + 1} row ${Math.round(box.height)} px tall`);
  return [...named, ...out];
})
"""


# A three-line sample (the newest is shown up to four lines) fits the samples' box whole: measured
# with a row of the page's own classes, taken out again at once.
SAMPLE_ROOM = """
() => {
  const list = document.querySelector('#gpt-samples .gs-list');
  const row = document.createElement('div');
  row.className = 'gs-sample now';
  row.innerHTML = '<span class="gs-tag">step 1</span><span class="gs-text">a\\nb\\nc</span>';
  list.prepend(row);
  const r = row.getBoundingClientRect(), box = list.getBoundingClientRect();
  row.remove();
  return r.bottom <= box.top + list.clientTop + list.clientHeight + 0.5 ? [] : [`a 3-line sample needs ${Math.round(r.height)} px, the box has ${list.clientHeight}`];
}
"""


@pytest.mark.parametrize("size", ["presenter", "projector"])
def test_racers_names_whole_in_presenter_mode(tabs, server_url, size):
    """Presenter type (21 px, 26 px on a projector) in the racers' panel: each name whole, each row in its box."""
    pg = tabs(size)
    pg.goto(f"{server_url}/descent?presenter=1")
    pg.wait_for_function(DESCENT_READY, timeout=40_000)
    pg.wait_for_timeout(250)
    assert pg.evaluate("document.documentElement.classList.contains('presenter')")
    assert not pg.evaluate(LANES_FIT)


@pytest.mark.parametrize("name", ["descent", "scale", "neuron"])
def test_question_mark_opens_the_keys_on_every_page(tabs, server_url, name):
    pg = tabs("laptop")
    open_page(pg, server_url, name)
    pg.keyboard.press("?")
    pg.wait_for_selector("#keys-help", state="visible", timeout=3_000)
    rows = pg.eval_on_selector_all("#keys-help tr", "rs => rs.length")
    assert rows >= 3
    pg.keyboard.press("Escape")


@pytest.mark.parametrize("name", list(PAGES))
def test_keyboard_focus_is_seen_on_every_control(tabs, server_url, name):
    pg = tabs("laptop")
    open_page(pg, server_url, name)
    pg.keyboard.press("Tab")  # keyboard modality: :focus-visible from here on
    faint = pg.evaluate(FOCUS_RINGS)
    assert not faint, faint


def test_network_does_not_jump_when_play_is_pressed(tabs, server_url):
    pg = tabs("laptop")
    open_page(pg, server_url, "network")
    where = "['#network', '#boundary', '#netloss', '#netformula', '.bottombar'].map(s => Math.round(document.querySelector(s).getBoundingClientRect().top))"
    before = pg.evaluate(where)
    pg.keyboard.press("Space")
    pg.wait_for_function("flowscope.state().playing", timeout=5_000)
    pg.wait_for_timeout(600)
    during = pg.evaluate(where)
    pg.keyboard.press("Space")
    assert during == before


def test_line_loss_chart_keeps_its_height_when_the_loss_rises(tabs, server_url):
    """The "Up on this step" note shares the head with the value; the chart under it keeps its
    height (it was crushed to ~10 px at 1280×800)."""
    pg = tabs("laptop")
    pg.goto(f"{server_url}/?model=line&batch_size=1&seed=0")
    pg.wait_for_function(SESSION_READY, timeout=15_000)
    before = pg.evaluate("document.querySelector('#losschart canvas').clientHeight")
    for _ in range(30):
        pg.keyboard.press("s")
        pg.wait_for_timeout(120)
        if pg.evaluate("!document.querySelector('#losschart .loss-note').hidden"):
            break
    assert pg.evaluate("!document.querySelector('#losschart .loss-note').hidden"), "the loss never rose in 30 steps"
    pg.wait_for_timeout(200)
    after = pg.evaluate("document.querySelector('#losschart canvas').clientHeight")
    assert after >= 0.75 * before and after >= 80, (before, after)  # one line of the head, not the chart


def test_a_data_parallel_loop_keeps_its_update_box_in_view(tabs, server_url):
    """With workers=2 the loop gains its all-reduce box; at 1280×800 the Update box after it was
    off-screen."""
    pg = tabs("laptop")
    pg.goto(f"{server_url}/?{GPT}&workers=2")
    pg.wait_for_function(SESSION_READY + " && flowscope.state().gpt.info"
                         " && document.querySelector('#pipeline [data-stage=\"allreduce\"]')", timeout=60_000)
    pg.wait_for_timeout(250)
    assert not pg.evaluate(EVERY_BOX), pg.evaluate(EVERY_BOX)
