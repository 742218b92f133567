// The classroom, wired: rooms (join with the stored owner token, hand-over, take back, fork),
// saved runs, lessons, presenter mode and locked controls. app.js hands it the socket and the
// dispatcher; it hands back its views and the few checks app.js makes before sending.
//
// The page's URL is the room's: /room/CODE, and for the owner every setting too (so a reload that
// finds the room gone starts the same run again). The owner token lives in localStorage, keyed by
// room code (tokens.js: the teacher's every tab and window can drive), never in a URL.

import { fetchInfo } from "./api.js";
import { locationSearch, MODELS } from "./config.js";
import { LessonFlow } from "./lessonflow.js";
import { blockedKeys, commandAllowed, joinSearch, pageOptionsSearch, readPageOptions } from "./locks.js";
import { joinBase, roomLink } from "./room.js";
import { SavedRuns } from "./savedruns.js";
import { OwnerTokens } from "./tokens.js";
import { Dashboard } from "./views/dashboard.js";
import { JoinBox } from "./views/joinbox.js";
import { JoinSlide } from "./views/joinslide.js";
import { KeyHelp } from "./views/keyhelp.js";
import { controlsFor, Layout, PresenterButton } from "./views/layout.js";
import { LessonMenu, LessonPanel } from "./views/lessons.js";
import { el } from "./views/popover.js";
import { RoomActions, RoomPanel } from "./views/roompanel.js";
import { Runs } from "./views/runs.js";
import { Share } from "./views/share.js";

const tokens = OwnerTokens(globalThis.localStorage, globalThis.sessionStorage);
const HOME_KEY = "flowscope.class"; // sessionStorage: the class room this tab forked from ("back to the class")

/** The students' join page, with the code filled in and why the student is back there. */
function joinPage(code, why, field = "code") {
  const q = new URLSearchParams({ ...(code ? { code } : {}), ...(why ? { why, field } : {}) });
  return `/join?${q}`;
}

/** A config a new session can be created from, and a URL can carry: your own drawn points or a
 * pasted training text are data, not settings (a URL stays short). */
function creatable(config) {
  const c = { ...(config ?? {}) };
  if (c.dataset === "custom") delete c.dataset;
  for (const [k, v] of Object.entries(c)) if (typeof v === "string" && v.length > 200) delete c[k];
  return c;
}

/** Why this tab stopped driving its room, in words. */
function lostControl(room) {
  const driver = room.driver ?? room.roster.find((m) => m.role === "owner" && m.id !== room.you)?.name;
  if (driver && room.token) return `You gave control to ${driver}: you are watching now. Take control back whenever you like.`;
  if (room.driver) return `You gave control to ${room.driver}: you are watching now. Take control back whenever you like.`;
  if (room.token) return "Your other tab or window of this room took control: this one watches now. Take control back to drive here.";
  return "The room's owner took control back: you are watching now.";
}

/**
 * `where`: readLocation's answer; `getState()`, `dispatch(msg)`,
 * `send(msg)` → bool, `configure(change, {trusted})`, `toast(text)`, `redraw()` from app.js.
 */
export function Classroom({ where, getState, dispatch, send, configure, toast, redraw }) {
  const opts = readPageOptions(location.search);
  dispatch({ type: "_page", page: { presenter: opts.presenter, lock: opts.lock, hide: opts.hide } });
  let name = opts.name;
  let hello = null; // while the reply to our first message is due: {create}, {code, token} or {run}
  let runLink = where.run; // a trained-run link (/run/ID?key=…) opens that run once, to view at its step
  let pendingLesson = opts.lesson ? { id: opts.lesson, step: opts.lstep } : null;
  let lastTry = -Infinity;

  const page = () => getState().room.page;
  const createMsg = () => ({ type: "create", model: where.model, config: creatable(getState().session?.config ?? where.config) });
  const { ensureLesson, openLesson, clicker, loadLessons } = LessonFlow({ getState, dispatch, send, configure, toast, page,
    name: () => name, slideOpen: () => slide.isOpen() });
  const runs = SavedRuns({ getState, dispatch, send, tokens });

  function helloMessage() {
    const code = getState().session?.id ?? where.room;
    if (!code && runLink) {
      hello = { run: runLink };
      runLink = null;
      return { type: "load", id: hello.run.id, key: hello.run.key, view: true }; // "Copy to train on" forks it
    }
    if (!code) {
      hello = { create: true };
      return createMsg();
    }
    const token = tokens.forJoin(code); // none when this tab was made to watch (tokens.js)
    // a tab made to watch still holds the token: it comes back as the teacher who watches (the class
    // list goes on reaching it; whoever drives keeps driving)
    const held = !token && tokens.get(code);
    hello = { code, token: token || held || null };
    return { type: "join", session: code, ...(token ? { token } : held ? { token: held, watch: true } : {}), ...(name ? { name } : {}) };
  }

  function syncUrl() {
    const s = getState();
    if (!s.session) return;
    const owner = s.session.role === "owner";
    const lesson = owner && s.room.lesson ? { lesson: s.room.lesson.id, lstep: s.room.lesson.step } : {};
    const run = owner ? locationSearch(s.session.model, creatable(s.session.config)) : s.session.model !== "neuron" ? `model=${s.session.model}` : "";
    const url = `/room/${s.session.id}${joinSearch(run, pageOptionsSearch({ ...page(), ...lesson, name }))}`;
    if (url !== location.pathname + location.search) history.replaceState(null, "", url);
  }

  const restoredSaid = new Set(); // rooms whose return from a checkpoint was already told

  /** Every server message passes here first: returns it (maybe reworded), or null to drop it. */
  function intercept(msg) {
    if (msg.type === "session") {
      if (hello?.run) {
        dispatch({ type: "_viewing", code: msg.id });
        toast("A shared run, at the step it was saved: look around; “Copy to train on” makes a copy of your own.");
      }
      const created = !!hello?.create;
      hello = null;
      if (msg.token) tokens.set(msg.id, msg.token);
      tokens.role(msg.id, msg.role);
      // Watching a room this browser holds the token of (another tab drives): it may take control back.
      if (!msg.token && tokens.get(msg.id)) msg = { ...msg, heldToken: true };
      // Each model has its own workspace: a room (or a fork, a loaded run) of another model opens
      // as that model's page, which joins it again (as owner, with the token just stored).
      if (msg.model !== where.model && MODELS.includes(msg.model)) {
        location.replace(`/room/${msg.id}${joinSearch(`model=${msg.model}`, pageOptionsSearch({ ...page(), name }))}`);
        return null;
      }
      const before = getState().session;
      // A room back from its checkpoint (the server restarted, or it sat empty): say from where, once.
      if (msg.restored && !restoredSaid.has(msg.id)) {
        restoredSaid.add(msg.id);
        const at = new Date(msg.restored.saved * 1000).toLocaleTimeString();
        toast(`Room ${msg.id} is back as it was saved at ${at}: step ${msg.restored.step}, same code.`);
      }
      if (before && before.id !== msg.id && msg.role === "owner" && !created) toast(`Room ${msg.id} is your own now: experiment freely.`);
      // Losing control is said at once, with the reason, not when a key is next refused.
      if (before && before.id === msg.id && before.role !== "viewer" && msg.role === "viewer") toast(lostControl(getState().room));
      if (created && msg.role === "owner" && pendingLesson) {
        const p = pendingLesson;
        pendingLesson = null;
        setTimeout(() => openLesson(p.id, p.step), 0);
      }
      return msg;
    }
    if (msg.type === "error" && hello?.run) {
      // The link's run is gone (deleted, or the link is cut short), or the server is full: start afresh.
      hello = { create: true };
      toast(`The run this link opens could not be opened: ${msg.message} A new room was started instead.`);
      send(createMsg());
      return null;
    }
    if (msg.type === "error" && hello && !hello.create) {
      const { code, token } = hello;
      if (msg.code === "bad_name" || (msg.code === "no_session" && !token)) {
        // a student's join refused: back to the join page, which says why in the server's words
        location.replace(joinPage(code, msg.message, msg.code === "bad_name" ? "name" : "code"));
        return null;
      }
      if (msg.code === "no_session" && token) {
        // Our room ended while we were away (the server restarted, or it sat empty): start the same run.
        tokens.drop(code);
        toast(`Room ${code} has ended: a new room with the same settings was started.`);
        hello = { create: true };
        send(createMsg());
        return null;
      }
      if (msg.code === "not_owner" && token) {
        tokens.drop(code); // a stale token: watch instead
        hello = { code, token: null };
        send({ type: "join", session: code, ...(name ? { name } : {}) });
        return null;
      }
      if (msg.code === "busy") {
        // The room is full, or this computer has as many pages in it as one may: the refusal's note stays
        // beside the join box (refusal.js, as any join's); the person may try another code or start afresh.
        hello = null;
        setTimeout(() => {
          room.popover.show(true);
          join.offerOwn();
          join.focus();
        }, 0);
        return msg;
      }
      if (msg.code === "no_session") {
        hello = null;
        setTimeout(() => {
          room.popover.show(true);
          join.focus();
        }, 0);
        return { ...msg, message: `${msg.message} Type the code you see on the projector.` };
      }
    }
    if (msg.type === "error" && msg.code === "not_owner") {
      const r = getState().room;
      if (r.viewing && r.viewing === r.id) return { ...msg, message: "This shared run is here to view: nothing changes it. “Copy to train on” makes a copy of your own." };
      const hint = getState().room.token ? "Take control back to drive it again." : "Ask for control, or fork to experiment on your own.";
      return { ...msg, message: `${msg.message} ${hint}` };
    }
    if (msg.type === "lesson") {
      ensureLesson(msg.id);
      loadLessons(); // a fresh or reloaded tab on a lesson's last step goes on with PageDown
    }
    if (msg.type === "recall") {
      backToClass(msg.session);
      return null;
    }
    if (msg.type === "removed") {
      location.replace(joinPage("", `The teacher removed you from room ${msg.session}.`));
      return null;
    }
    return msg;
  }

  /** A student who forked goes back to the class room (the teacher's "bring everyone back" too). */
  function backToClass(code = getState().room.home) {
    if (!code) return;
    location.assign(`/room/${code}${joinSearch("", pageOptionsSearch({ ...page(), name }))}`);
  }



  function reclaim() {
    const code = getState().session?.id;
    const token = code && tokens.get(code);
    if (token) send({ type: "reclaim", token });
    else toast("This page has no owner token for the room: open it in the tab that created it.");
  }

  function togglePresenter() {
    dispatch({ type: "_page", page: { presenter: !page().presenter } });
    syncUrl();
  }

  // ---- the views ----------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const bar = $("classroom");
  bar.classList.add("classroom-bar");
  const joinUrl = (state) => roomLink(joinBase(state.room.info, location.origin), state.room.id);
  const roomPanel = el("div");
  const lessonsMenu = el("div");
  document.body.append(roomPanel, lessonsMenu);
  const room = RoomPanel(bar, roomPanel, {
    joinUrl,
    onOpen: runs.refresh,
    actions: {
      handover(id, label) {
        if (send({ type: "handover", to: id })) dispatch({ type: "_handover", name: label });
      },
      setName(text) {
        name = text;
        send({ type: "join", session: getState().session?.id, name });
        syncUrl();
      },
    },
  });
  const join = JoinBox(room.sections.join, {
    go: (path) => location.assign(path),
    own() {
      history.replaceState(null, "", "/" + joinSearch(where.model !== "neuron" ? `model=${where.model}` : "", ""));
      where.room = null;
      hello = { create: true };
      send(createMsg());
    },
  });
  const lessonMenu = LessonMenu(bar, lessonsMenu, { open: (id) => openLesson(id, 0), load: loadLessons });
  const joinAddress = (state) => `${joinBase(state.room.info, location.origin)}/join`;
  const slide = JoinSlide(document.body.appendChild(el("div")), {
    joinUrl: (state) => `${joinAddress(state)}?code=${encodeURIComponent(state.room.id)}`,
    address: (state) => joinAddress(state).replace(/^https?:\/\//, ""),
  });
  const teacherRow = roomPanel.querySelector(".rp-drive").appendChild(el("div", { class: "rp-row rp-teacher" }));
  const dashboard = Dashboard(teacherRow, document.body.appendChild(el("div")), {
    give(id, label) {
      const s = getState();
      if (s.room.role !== "owner") reclaim(); // a student drives: the teacher takes it back, then gives it on
      if (send({ type: "handover", to: id })) dispatch({ type: "_handover", name: label });
    },
    takeBack: () => reclaim(),
    remove: (id) => send({ type: "remove", to: id }),
    recall: () => send({ type: "recall" }),
    slide: () => slide.toggle(),
  });
  const keysPanel = el("div");
  document.body.append(keysPanel);
  const keyHelp = KeyHelp(bar, keysPanel);
  const views = [
    room,
    RoomActions($("room-actions"), {
      fork() {
        const code = getState().session?.id;
        if (!send({ type: "fork" }) || !code || getState().room.viewing === code) return; // a shared run's copy has no class
        globalThis.sessionStorage?.setItem(HOME_KEY, code); // the class to go back to
        dispatch({ type: "_home", code });
      },
      home: () => backToClass(),
      reclaim: () => reclaim(),
    }),
    Runs(room.sections.runs, runs),
    Share(room.sections.share, {
      base: (state) => joinBase(state.room.info, location.origin),
      // what the owner ticks reaches everyone already watching, not only those who open a new link
      onLocks: (page) => getState().room.role === "owner" && send({ type: "locks", ...page }),
    }),
    join,
    dashboard,
    slide,
    lessonMenu,
    keyHelp,
    LessonPanel($("lesson-panel"), {
      move: (k) => {
        const l = getState().room.lesson;
        if (l) openLesson(l.id, k);
      },
      close: () => {
        if (getState().room.role === "owner") send({ type: "lesson_close" }); // the whole room's panel closes
        dispatch({ type: "_lesson_close" });
        syncUrl();
      },
      nextLesson: (id) => openLesson(id, 0),
    }),
    PresenterButton(bar, { toggle: togglePresenter }),
    { update: urlView() },
    Layout({ relayout: redraw }), // last: it locks and hides what the views above have just drawn
  ];

  function urlView() {
    let last = "";
    return (state) => {
      const key = JSON.stringify([state.session?.id, state.session?.role, state.session?.config, state.room.page, state.room.lesson]);
      if (key === last) return;
      last = key;
      syncUrl();
    };
  }

  fetchInfo().then((info) => info && dispatch({ type: "_info", info }));
  const home = globalThis.sessionStorage?.getItem(HOME_KEY);
  if (home) dispatch({ type: "_home", code: home });
  room.popover.show(false);

  return {
    views,
    helloMessage,
    intercept,
    syncUrl,
    /** Create the room again from `where.config` (a refused setting was taken out of it). */
    createAgain() {
      hello = { create: true };
      send({ type: "create", model: where.model, config: creatable(where.config) });
    },
    /** May this page send command `name`? (locked, hidden by the link, or left out by the lesson step: no) */
    allows: (name) => commandAllowed(name, controlsFor(getState())),
    /** A settings change from the page's own controls: refused (with a note) when locked. */
    allowsConfig(change) {
      const s = getState();
      const blocked = blockedKeys(s.session?.model, change, controlsFor(s));
      if (blocked.length) toast(`Locked in this link: ${blocked.join(", ")}`);
      return blocked.length === 0;
    },
    /** A viewer pressed a driving key: let the server say no (politely), at most every 1.5 s. */
    viewerTried(msg) {
      const now = performance.now();
      if (now - lastTry < 1500) return;
      lastTry = now;
      send(msg);
    },
    /** P toggles presenter mode; PageDown/PageUp (a clicker) move the open lesson. True when the
     * key was ours. */
    onKey(ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return false;
      if (ev.key === "PageDown" || ev.key === "PageUp") return clicker(ev.key);
      if (ev.key === "?") {
        keyHelp.toggle();
        return true;
      }
      if (getState().room.token && (ev.key === "j" || ev.key === "J")) {
        slide.toggle(); // the teacher's: the projector's join slide
        return true;
      }
      if (getState().room.token && (ev.key === "c" || ev.key === "C")) {
        dashboard.toggle();
        return true;
      }
      if (ev.key !== "p" && ev.key !== "P") return false;
      togglePresenter();
      return true;
    },
  };
}
