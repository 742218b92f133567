// Lessons: the "Lessons" menu in the top bar, and the side panel of the open step — its title,
// text, task and a goal that ticks itself off, Previous/Next with "step 3 of 7". The owner moves
// the lesson (the room follows); a viewer's panel follows the owner's.

import { MODEL_TITLES } from "../config.js";
import { goalMet, goalText, nextLesson, progressText, taskFor } from "../lesson.js";
import { el, Popover } from "./popover.js";
import { fitType } from "../render/fittype.js";
import { planOf } from "../state.js";
import { onPress, sameAsLast } from "../render/dom.js";

/** `open(id)`: start a lesson at its first step; `load()`: fetch the list (once). */
export function LessonMenu(bar, panel, { open, load }) {
  const button = el("button", { type: "button", id: "lessons-button", class: "bar-button" }, "Lessons");
  bar.appendChild(button);
  const popover = Popover(button, panel, { onOpen: load, id: "lessons-menu", label: "lessons" });
  panel.addEventListener("click", (ev) => {
    const b = ev.target.closest?.("button[data-lesson]");
    if (!b) return;
    popover.show(false);
    open(b.dataset.lesson);
  });
  let last;

  function update(state) {
    const viewer = state.room.role === "viewer";
    button.hidden = viewer; // the room's owner picks the lesson; a viewer's panel follows it
    button.title = viewer ? "The room's owner picks the lesson; yours follows it" : "Step-by-step lessons for the class";
    const list = state.room.lessons;
    const model = state.session?.model;
    const key = `${model}`;
    if (list === last?.list && key === last?.key) return;
    last = { list, key };
    panel.replaceChildren(el("h2", { class: "rp-title" }, "Lessons"));
    if (!list) return panel.appendChild(el("p", { class: "rp-note" }, "Loading…"));
    if (!list.length) return panel.appendChild(el("p", { class: "rp-note" }, "No lessons found."));
    for (const l of list) {
      const b = el("button", { type: "button", class: "lesson-item", "data-lesson": l.id });
      b.append(el("span", { class: "li-title" }, l.title), el("span", { class: "li-summary" }, l.summary),
        el("span", { class: "rp-note" }, `${l.steps} steps`));
      panel.appendChild(b);
    }
  }

  return { update, popover, button };
}

/** `move(k)`: the owner goes to step k; `close()`: this page closes the panel; `nextLesson(id)`:
 * the owner opens the course's next lesson (from the last step). */
export function LessonPanel(root, { move, close, nextLesson: openNext }) {
  root.classList.add("lesson-panel");
  root.setAttribute("aria-label", "lesson");
  root.innerHTML = `
    <div class="lp-head"><span class="lp-lesson" id="lesson-title"></span>
      <button type="button" class="lp-close" id="lesson-close" aria-label="close the lesson" title="Close the lesson">✕</button></div>
    <div class="lp-progress"><span id="lesson-progress"></span><span class="lp-dots" id="lesson-dots"></span></div>
    <h2 class="lp-step" id="lesson-step-title"></h2>
    <p class="lp-text" id="lesson-text"></p>
    <p class="lp-task" id="lesson-task"></p>
    <p class="lp-goal" id="lesson-goal"><span class="lp-tick" aria-hidden="true"></span><span class="lp-goal-text"></span></p>
    <p class="lp-note" id="lesson-model" hidden></p>
    <div class="lp-nav">
      <button type="button" class="btn" id="lesson-prev">← Previous</button>
      <button type="button" class="btn primary" id="lesson-next">Next →</button>
      <button type="button" class="btn primary" id="lesson-next-lesson" hidden></button>
    </div>
    <p class="lp-note lp-keys" id="lesson-keys" hidden><kbd>PgDn</kbd> / <kbd>PgUp</kbd> (a clicker) move the lesson.</p>
    <p class="lp-note" id="lesson-follow" hidden>The teacher moves the lesson; yours follows.</p>`;
  const $ = (sel) => root.querySelector(sel);
  root.hidden = true;
  let at = null; // {id, step, n}
  const go = (d) => at && move(at.step + d);
  onPress($("#lesson-prev"), () => go(-1));
  onPress($("#lesson-next"), () => go(1));
  onPress($("#lesson-next-lesson"), (ev) => {
    if (ev.currentTarget.dataset.lesson) openNext?.(ev.currentTarget.dataset.lesson);
  });
  onPress($("#lesson-close"), () => close());
  let lastKey = "";
  let latchSeq = -1; // the lesson move whose goal was met: the tick stays until the next move
  let latchStep = 0; // the run's step count then (a reset below it clears the tick)
  const same = sameAsLast();
  const fit = fitType(root);

  function update(state) {
    const room = state.room;
    const data = room.lesson ? room.lessonData[room.lesson.id] : null;
    const step = data?.steps?.[room.lesson.step];
    root.hidden = !step;
    if (!step) {
      at = null;
      lastKey = "";
      return;
    }
    const n = data.steps.length;
    const k = room.lesson.step;
    at = { id: data.id, step: k, n };
    const owner = room.role === "owner";
    const after = k >= n - 1 ? nextLesson(room.lessons, data.id) : null; // the course goes on
    const key = JSON.stringify([data.id, k, owner, state.session?.model, after?.id]);
    if (key !== lastKey) {
      lastKey = key;
      root.dataset.lesson = data.id;
      root.dataset.step = String(k);
      $("#lesson-title").textContent = data.title;
      $("#lesson-progress").textContent = progressText(k, n);
      const dots = $("#lesson-dots");
      dots.replaceChildren(...data.steps.map((_, i) => el("span", { class: `lp-dot${i < k ? " done" : ""}${i === k ? " now" : ""}` })));
      $("#lesson-step-title").textContent = step.title;
      $("#lesson-text").textContent = step.text;
      $("#lesson-task").textContent = taskFor(step, owner);
      $("#lesson-task").hidden = !step.task;
      const otherModel = state.session && step.model !== state.session.model;
      $("#lesson-model").hidden = !otherModel;
      $("#lesson-model").textContent = otherModel ? `This step runs on the ${MODEL_TITLES[step.model] ?? step.model} model.` : "";
      $("#lesson-prev").hidden = $("#lesson-next").hidden = !owner;
      $("#lesson-prev").disabled = k === 0;
      $("#lesson-next").disabled = k >= n - 1;
      const nl = $("#lesson-next-lesson");
      nl.hidden = !owner || !after;
      $("#lesson-next").hidden = !owner || !!after;
      nl.dataset.lesson = after?.id ?? "";
      nl.textContent = after ? `Next lesson: ${after.title} →` : "";
      $("#lesson-follow").hidden = owner;
      $("#lesson-keys").hidden = !owner;
    }
    // Once met, the tick stays for this step (stepping on past "Linear" does not undo reaching it),
    // until the run goes back to its start (a reset) or the lesson moves.
    const fresh = state.step === 0 && !state.cursor && !state.stage;
    if (latchSeq === room.lessonSeq && (fresh || state.step < latchStep)) latchSeq = -1;
    if (goalMet(step.goal, state)) {
      latchSeq = room.lessonSeq;
      latchStep = state.step;
    }
    const done = !!step.goal && latchSeq === room.lessonSeq;
    const goalKey = `${key}|${done}`;
    if (same(goalKey)) return;
    const g = $("#lesson-goal");
    g.hidden = !step.goal;
    g.classList.toggle("done", done);
    g.dataset.met = String(done);
    g.querySelector(".lp-tick").textContent = done ? "✓" : "";
    g.querySelector(".lp-goal-text").textContent = step.goal ? `${done ? "Done: " : "Goal: "}${goalText(step.goal, planOf(state)).replace(/^./, (c) => (done ? c.toLowerCase() : c))}` : "";
    fit(); // a new step's words (or the tick's): the type fits them again
  }

  return { update };
}
