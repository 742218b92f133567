// The race's websockets, one per racer (race.js holds the race itself, pure): each racer's session is
// created, stepped in lockstep, refused and reconnected here, and nothing else.

import { connect } from "../api.js";
import { Refusals, withoutRefused } from "../refusal.js";
import { LIVE_KEYS, MIN_RACERS, freeSlot, landscapeQuery, markSent, newRacer, nextOptimizer, planTick, reduceRace, tickReady, tickTiming } from "./race.js";

/**
 * One websocket per racer. `getRace()`/`setRace(race)` hold the race (page.js owns the variable);
 * `onStatus(text)` hears connection trouble. Every change to the race goes through setRace.
 */
export function RaceSockets({ getRace, setRace }) {
  const sockets = new Map();
  const refusals = new Map(); // racer key → its socket's Refusals (refusal.js: the page's one refusal path)
  let timer = null;
  let lastExplain = 0;
  let waitingSince = 0;

  const race = () => getRace();
  function send(key, msg) {
    const r = race().racers.find((x) => x.key === key);
    refusals.get(key)?.sent(msg, { ...race().config, ...(r ? { lr: r.lr, optimizer: r.optimizer } : {}) });
    return sockets.get(key)?.send(msg) ?? false;
  }
  const sendAll = (msg) => race().racers.forEach((r) => send(r.key, msg));

  /** A refused setting: the racer starts without it (the engine's default), or goes back to the last
   * good value; the reason stays in its lane (reduceRacer's error) until it moves on. */
  function refused(key, r) {
    if (!r.key) return;
    if (r.kind === "create") {
      const config = withoutRefused(race().config, r);
      if (!config) return;
      setRace({ ...race(), config });
      const hello = sockets.get(key) && helloOf(race().racers.find((x) => x.key === key));
      if (hello) send(key, hello);
    } else if (r.kind === "configure" && r.key in r.before) {
      const back = { [r.key]: r.before[r.key] };
      const rc = race();
      const racers = rc.racers.map((x) => (x.key === key && (r.key === "lr" || r.key === "optimizer") ? { ...x, ...back } : x));
      setRace({ ...rc, racers, config: r.key in rc.config ? { ...rc.config, ...back } : rc.config });
    }
  }

  function onMessage(key, msg) {
    const refusal = refusals.get(key)?.heard(msg);
    const before = race();
    const after = reduceRace(before, key, msg);
    if (after !== before) setRace(after);
    if (msg.type === "session") send(key, landscapeQuery(race()));
    if (msg.type === "state") afterState(key);
    if (refusal) refused(key, refusal);
  }

  function afterState(key) {
    const r = race().racers.find((x) => x.key === key);
    // A racer that joined late, or came back from diverging, catches up with the others at once.
    if (r && r.pending === null && !r.diverged && r.state.step < race().target && !race().playing) stepBy(0);
    if (!tickReady(race())) return;
    waitingSince = 0;
    const now = performance.now();
    if (!race().playing || now - lastExplain >= 250) {
      lastExplain = now;
      explainAll();
    }
  }

  const helloOf = (r) => (r.watch ? { type: "join", session: r.watch }
    : { type: "create", model: race().model, config: { ...race().config, optimizer: r.optimizer, lr: r.lr } });

  function open(r) {
    const tracker = Refusals();
    refusals.set(r.key, tracker);
    const api = connect({
      hello() {
        const msg = helloOf(race().racers.find((x) => x.key === r.key) ?? r);
        tracker.sent(msg);
        return msg;
      },
      onMessage: (msg) => onMessage(r.key, msg),
      onStatus: (status) => onMessage(r.key, { type: "_conn", status }),
    });
    sockets.set(r.key, api);
  }

  /** Send one lockstep tick of k steps (k = 0: only bring late racers up to the target). */
  function stepBy(k) {
    if (race().viewer) return false; // the race's own page steps it; a watcher only listens
    const plan = planTick(race(), k);
    if (!plan || !plan.sends.length) return false;
    setRace(markSent(race(), plan));
    for (const s of plan.sends) send(s.key, { type: "step", unit: "step", count: s.count });
    return true;
  }

  function loop() {
    const rc = race();
    if (!rc.playing) return;
    const { interval, k } = tickTiming(rc.speed);
    if (tickReady(rc)) stepBy(k);
    else if (!waitingSince) waitingSince = performance.now();
    else if (performance.now() - waitingSince > 5000) {
      // A racer that never answered (lost message, server busy) must not stall the others forever.
      waitingSince = 0;
      setRace({ ...rc, racers: rc.racers.map((r) => ({ ...r, pending: null })) });
    }
    timer = setTimeout(loop, interval);
  }

  function explainAll() {
    const sel = race().selected;
    if (sel) sendAll({ type: "explain", name: sel.name, index: sel.index });
  }

  function restartAll() {
    if (race().viewer) return;
    setRace({ ...race(), target: 0 });
    sendAll({ type: "reset" });
    sendAll(landscapeQuery(race()));
  }

  return {
    start: () => race().racers.forEach(open),
    step: () => stepBy(1),
    play(on) {
      if (race().viewer) return;
      clearTimeout(timer);
      setRace({ ...race(), playing: on });
      if (on) loop();
      else explainAll();
    },
    reset: restartAll,
    /** A change for every racer; a rebuild (init, weight decay, batch…) also re-asks the landscape. */
    configure(change) {
      if (race().viewer) return;
      setRace({ ...race(), config: { ...race().config, ...change } });
      sendAll({ type: "configure", config: change });
      if (Object.keys(change).some((k) => !LIVE_KEYS.has(k))) {
        setRace({ ...race(), target: 0 });
        sendAll(landscapeQuery(race()));
      }
    },
    /** One racer's own lr or optimizer. A new optimizer restarts the whole race, so it stays fair. */
    configureRacer(key, change) {
      if (race().viewer) return;
      setRace({ ...race(), racers: race().racers.map((r) => (r.key === key ? { ...r, ...change } : r)) });
      send(key, { type: "configure", config: change });
      if ("optimizer" in change) restartAll();
    },
    select(name, index) {
      setRace({ ...race(), selected: { name, index } });
      explainAll();
    },
    askLandscape: () => sendAll(landscapeQuery(race())),
    add() {
      const rc = race();
      if (rc.viewer) return;
      const slot = freeSlot(rc);
      if (slot < 0) return;
      const lr = rc.racers.at(-1)?.lr ?? rc.config.lr;
      const r = newRacer(slot, nextOptimizer(rc), lr);
      setRace({ ...rc, racers: [...rc.racers, r] });
      open(r);
    },
    remove(key) {
      if (race().viewer || race().racers.length <= MIN_RACERS) return;
      sockets.get(key)?.close();
      sockets.delete(key);
      refusals.delete(key);
      const racers = race().racers.filter((r) => r.key !== key);
      setRace({ ...race(), racers, landscape: racers[0].landscape ?? race().landscape });
    },
    close() {
      clearTimeout(timer);
      for (const api of sockets.values()) api.close();
      sockets.clear();
    },
  };
}
