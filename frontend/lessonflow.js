// A room's lessons, driven: a step opened (the whole room follows: a switch of model, a configure, or
// the page of the step's model), the clicker's PageDown/PageUp, and the course's list fetched once.
// classroom.js wires it to the socket; lesson.js plans each step (pure).

import { fetchLesson, fetchLessons } from "./api.js";
import { locationSearch, modelSchema } from "./config.js";
import { clickerMove, planStep } from "./lesson.js";
import { joinSearch, pageOptionsSearch } from "./locks.js";

/** `page()`: the page's options; `name()`: the viewer's name; `slideOpen()`: is the join slide up. */
export function LessonFlow({ getState, dispatch, send, configure, toast, page, name, slideOpen }) {
  async function ensureLesson(id) {
    const have = getState().room.lessonData[id];
    if (have) return have;
    const data = await fetchLesson(id);
    if (data) dispatch({ type: "_lesson_data", lesson: data });
    else toast(`Could not load the lesson “${id}”.`);
    return data;
  }

  async function openLesson(id, k = 0) {
    if (getState().room.role !== "owner") return;
    loadLessons(); // "Next lesson" and the clicker need the course's list
    const lesson = await ensureLesson(id);
    const step = lesson?.steps?.[k];
    if (!step) return;
    const s = getState();
    const plan = planStep(lesson, k, s.session, modelSchema(step.model).properties);
    if (plan.kind === "navigate") {
      if (s.session) {
        // The whole room moves to the lesson's model: same code, every member's page follows (a
        // `session` of another model opens that model's page, which joins the room again).
        send({ type: "switch", model: plan.model, config: plan.config });
        send({ type: "lesson", id, step: k });
        return;
      }
      location.assign(`/${joinSearch(locationSearch(plan.model, plan.config), pageOptionsSearch({ ...page(), lesson: id, lstep: k, name: name() }))}`);
      return;
    }
    if (plan.kind === "configure") configure(plan.change, { trusted: true });
    send({ type: "lesson", id, step: k });
    dispatch({ type: "lesson", id, step: k });
  }

  /** A clicker's key: the owner moves the lesson (a viewer's follows); without a lesson the key is
   * left to the page (it scrolls). */
  function clicker(key) {
    const s = getState();
    const l = s.room.lesson;
    const n = l ? s.room.lessonData[l.id]?.steps?.length : 0;
    if (!l && slideOpen() && s.room.role === "owner" && key === "PageDown") {
      // the join slide is up and the clicker says go: the course begins (its list from the server)
      loadLessons().then((lessons) => lessons[0] && openLesson(lessons[0].id, 0));
      return true;
    }
    if (!l || !n) return false;
    if (s.room.role !== "owner") return true; // the teacher moves it; don't scroll the page under the student
    const move = clickerMove(key, { id: l.id, step: l.step, n }, s.room.lessons);
    if (move?.lesson) openLesson(move.lesson, move.step);
    else if (move) openLesson(l.id, move.step);
    return true;
  }

  /** The course's lessons, in the server's order (fetched once). */
  function loadLessons() {
    const have = getState().room.lessons;
    if (have) return Promise.resolve(have);
    return fetchLessons().then((lessons) => {
      dispatch({ type: "_lessons", lessons: lessons ?? [] });
      return lessons ?? [];
    });
  }

  return { ensureLesson, openLesson, clicker, loadLessons };
}
