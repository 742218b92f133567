// Saved runs, as a room card lists them: this browser's (its key) and, from before keys, the room's
// (its owner token), each kept with the owner it was listed under for load, download, link and delete.

import { deleteRun, fetchRuns, runHref, weightsHref } from "./api.js";
import { joinBase } from "./room.js";
import { copyText } from "./views/popover.js";

/** The Runs view's actions (views/runs.js): `tokens` and `runsKey` as classroom.js holds them. */
export function SavedRuns({ getState, dispatch, send, tokens, runsKey }) {
  /** This browser's runs (its key) and, from before keys, the room's (its owner token): each run
   * keeps the owner it was listed under, for load, download and delete. */
  function refresh() {
    const code = getState().session?.id;
    const owners = [...new Set([runsKey, code ? tokens.get(code) : null])].filter(Boolean);
    Promise.all(owners.map((owner) => fetchRuns(owner))).then((lists) => {
      const runs = new Map();
      lists.forEach((list, i) => {
        for (const r of list ?? []) if (!runs.has(r.id)) runs.set(r.id, { ...r, owner: owners[i], href: weightsHref(r.id, owners[i]) });
      });
      dispatch({ type: "_runs", runs: [...runs.values()].sort((a, b) => b.created - a.created) });
    });
  }

  function load(id, intoRoom) {
    const run = getState().room.runs?.find((r) => r.id === id);
    send({ type: "load", id, ...(intoRoom ? { into_room: true } : {}), ...(run?.owner ? { token: run.owner } : {}) });
  }

  async function remove(id) {
    const run = getState().room.runs?.find((r) => r.id === id);
    const ok = !!run?.owner && (await deleteRun(id, run.owner));
    if (ok) refresh();
    return ok;
  }

  async function link(run) {
    const url = runHref(joinBase(getState().room.info, location.origin), run);
    return (await copyText(url)) ? `Copied the link to “${run.name}” (step ${run.steps}).` : url;
  }

  const save = (text) => send({ type: "save", name: text, ...(runsKey ? { owner: runsKey } : {}) });
  return { save, load, refresh, remove, link };
}
