// The teacher's class list, pure: the roster (room members and the students who left, as the server
// sends it) → what the dashboard and the join slide show. No DOM, no network: node --test runs it.

import { memberLabel } from "./room.js";

export const STATE_WORDS = { following: "following", forked: "forked", disconnected: "disconnected" };

/** The students (everyone but the teacher) in rows, by state then name, with the counts. */
export function classView(members, you) {
  const students = (members ?? []).filter((m) => m && m.id && m.id !== you && !m.teacher);
  const teacherDrives = (members ?? []).some((m) => m.teacher && m.role === "owner");
  const rank = { following: 0, forked: 1, disconnected: 2 };
  const rows = students
    .map((m) => {
      const state = STATE_WORDS[m.state] ? m.state : "following";
      const here = state === "following";
      return {
        id: m.id,
        label: memberLabel(m),
        state,
        drives: here && m.role === "owner",
        // a forked student's run, as its room reported it: shown only when the server sent it
        step: state === "forked" && Number.isInteger(m.step) ? m.step : null,
        loss: state === "forked" && typeof m.loss === "number" ? m.loss : null,
        canGive: here && m.role !== "owner",
      };
    })
    .sort((a, b) => rank[a.state] - rank[b.state] || a.label.localeCompare(b.label));
  const count = (s) => rows.filter((r) => r.state === s).length;
  return {
    rows,
    here: count("following"),
    forked: count("forked"),
    gone: count("disconnected"),
    driver: rows.find((r) => r.drives)?.label ?? null, // a student who drives now
    teacherDrives,
  };
}

/** "3 joined": the students in the room now (the join slide's live count). */
export function joinedText(view) {
  return `${view.here} joined`;
}

/** The dashboard's one line about who drives, from the teacher's side. */
export function driverText(view) {
  if (view.driver) return `You gave control to ${view.driver}. Take it back whenever you like.`;
  return "You drive: the class follows your steps.";
}
