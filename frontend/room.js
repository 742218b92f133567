// The classroom slice of the UI state: who I am in the room, the roster, saved runs, the lesson the
// room is in, and the page's own options. Pure (no DOM, no network): state.js folds it in, and the
// room views read it. Messages starting with "_" come from this page, not from the server.

import { parseList } from "./locks.js";

export function initialRoom() {
  return {
    id: null, // the room code this page is in
    you: null, // this connection's member id (from `session`)
    role: null, // "owner" | "viewer"
    token: false, // whether we hold the owner token (the server sent it, or another tab of this browser has it)
    roster: [], // [{id, name, role}] — only the owner receives it
    driver: null, // the name of whoever we handed control to, until we are owner again
    saved: null, // the last `saved` reply {id, name, steps}
    savedSeq: 0,
    runs: null, // GET /api/runs, once asked for
    info: null, // GET /api/info: {classroom, public_url}
    lessons: null, // GET /api/lessons: [{id, title, summary, steps}]
    lessonData: {}, // id → the whole lesson (GET /api/lessons/{id})
    lesson: null, // {id, step}: the lesson step on screen, or null when none is open
    lessonSeq: 0, // bumps on each move, so the panel can reset its goal tick
    page: { presenter: false, lock: [], hide: [] }, // from the URL (see locks.js)
    home: null, // the class room this tab forked from: its "Back to the class" button goes there
    viewing: null, // the room a trained-run link opened to view (nobody can change it): its Fork reads "Copy to train on"
  };
}

/** (room slice, message) → room slice; the same object when nothing changed. */
export function reduceRoom(room, msg) {
  if (!msg || typeof msg !== "object") return room;
  switch (msg.type) {
    case "session": {
      const id = String(msg.id ?? "");
      const role = msg.role === "viewer" ? "viewer" : "owner";
      const same = id === room.id;
      return {
        ...room,
        id,
        you: msg.you ?? null,
        role,
        token: !!msg.token || !!msg.heldToken || (same && room.token),
        // a roster belongs to one room and reaches its owner and teacher only: anyone else's would go stale
        roster: same && (role === "owner" || room.token) ? room.roster : [],
        driver: role === "owner" || !same ? null : room.driver,
      };
    }
    case "roster":
      return Array.isArray(msg.members) ? { ...room, roster: msg.members.filter((m) => m && m.id) } : room;
    case "saved":
      return { ...room, saved: { id: String(msg.id), name: String(msg.name ?? ""), steps: msg.steps ?? 0 }, savedSeq: room.savedSeq + 1 };
    case "lesson":
      if (typeof msg.id !== "string" || !Number.isInteger(msg.step)) return room;
      if (room.lesson && room.lesson.id === msg.id && room.lesson.step === msg.step) return room;
      return { ...room, lesson: { id: msg.id, step: msg.step }, lessonSeq: room.lessonSeq + 1 };
    case "_lesson_close":
    case "lesson_closed": // the owner closed it for the whole room
      return room.lesson ? { ...room, lesson: null, lessonSeq: room.lessonSeq + 1 } : room;
    case "locks": // the owner's locks reach everyone watching at once; the owner's own page stays free
      if (room.role === "owner") return room;
      return { ...room, page: { ...room.page, lock: [...(msg.lock ?? [])], hide: [...(msg.hide ?? [])] } };
    case "_lesson_data":
      return msg.lesson?.id ? { ...room, lessonData: { ...room.lessonData, [msg.lesson.id]: msg.lesson } } : room;
    case "_lessons":
      return { ...room, lessons: Array.isArray(msg.lessons) ? msg.lessons : [] }; // in course order (server/lessons.py COURSE)
    case "_runs":
      return { ...room, runs: Array.isArray(msg.runs) ? msg.runs : [] };
    case "_info":
      return { ...room, info: msg.info ?? null };
    case "_home":
      return { ...room, home: msg.code ?? null };
    case "_viewing":
      return { ...room, viewing: msg.code ?? null };
    case "_handover":
      return { ...room, driver: msg.name ?? null };
    case "_page":
      return { ...room, page: { ...room.page, ...msg.page } };
    default:
      return room;
  }
}

/** What a member is called: their name, else "guest" and their id. */
export function memberLabel(m) {
  return m?.name ? String(m.name) : `guest ${m?.id ?? "?"}`;
}

/**
 * The roster as the owner's list shows it: everyone but me, each with a "give control" button
 * unless they already drive. `me` is my own entry (to say "you" in the count).
 */
export function rosterView(members, you, role) {
  // in the room now: the class list's forked and disconnected students are the dashboard's (classlist.js)
  const others = (members ?? []).filter((m) => m.id !== you && (m.state ?? "following") === "following");
  return {
    count: others.length,
    rows: others
      .map((m) => ({ id: m.id, label: memberLabel(m), role: m.role, canGive: role === "owner" && m.role !== "owner" }))
      .sort((a, b) => a.label.localeCompare(b.label)),
  };
}

/** Where others join from: the LAN address in classroom mode, else this page's own origin. */
export function joinBase(info, origin) {
  const url = info?.classroom && info.public_url ? String(info.public_url) : String(origin ?? "");
  return url.replace(/\/+$/, "");
}

/** A room's link; `page` options (hide/lock) ride along; the owner token never does. */
export function roomLink(base, code, page = {}) {
  const q = new URLSearchParams();
  const hide = parseList(page.hide);
  const lock = parseList(page.lock);
  if (hide.length) q.set("hide", hide.join(","));
  if (lock.length) q.set("lock", lock.join(","));
  const text = q.toString().replace(/%2C/g, ",");
  return `${base}/room/${encodeURIComponent(code)}${text ? `?${text}` : ""}`;
}

const CODE_CHARS = /^[A-HJ-KM-NP-Z2-9]{5}$/; // the server's alphabet: no 0/O, 1/I/L

/**
 * A room code out of what someone typed: "k7qxp", " K7Q XP ", or a whole link ending in /room/K7QXP.
 * null when it cannot be one (a code never holds 0, O, 1, I or L).
 */
export function parseJoinCode(text) {
  const s = String(text ?? "").trim();
  const fromLink = /\/room\/([A-Za-z0-9]+)/.exec(s);
  const code = (fromLink ? fromLink[1] : s.replace(/[\s-]+/g, "")).toUpperCase();
  return CODE_CHARS.test(code) ? code : null;
}

/** The page a student goes to for a room, with their name (optional) for the teacher's list. */
export function joinPath(code, name) {
  const n = String(name ?? "").trim().slice(0, 40);
  return `/room/${code}${n ? `?name=${encodeURIComponent(n)}` : ""}`;
}

/** localStorage key of a room's owner token (tokens.js; the token never goes into a URL). */
export function tokenKey(code) {
  return `flowscope.token.${String(code).toUpperCase()}`;
}

/** Who drives, said from this page's side: "owner" (my room), "driving" (handed to me), or "watching". */
export function driveState(room) {
  if (!room?.role) return null;
  if (room.role === "owner") return room.token ? "owner" : "driving";
  return "watching";
}
