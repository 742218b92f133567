// Saved runs, as a room card lists them: this browser's (its key, or a teacher's name: runowner.js) and,
// from before keys, the room's (its owner token), each kept with the owner it was listed under for
// load, download, link and delete.

import { deleteRun, fetchRuns, runHref, weightsHref } from "./api.js";
import { joinBase } from "./room.js";
import { forgetRunsOwner, nameRunsOwner, runsOwner, runsOwnerName } from "./runowner.js";
import { copyText } from "./views/popover.js";

/** The Runs view's actions (views/runs.js): `tokens` as classroom.js holds them. */
export function SavedRuns({ getState, dispatch, send, tokens }) {
  /** This browser's runs (its key) and, from before keys, the room's (its owner token): each run
   * keeps the owner it was listed under, for load, download and delete. */
  function refresh() {
    const code = getState().session?.id;
    const owners = [...new Set([runsOwner(), code ? tokens.get(code) : null])].filter(Boolean);
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

  const save = (text) => send({ type: "save", name: text, ...(runsOwner() ? { owner: runsOwner() } : {}) });
  const named = (who, passphrase) => nameRunsOwner(who, passphrase).finally(refresh);
  function forget() {
    forgetRunsOwner();
    refresh();
  }
  // a teacher's name keeps them: the same list in any browser (runowner.js)
  return { save, load, refresh, remove, link, whose: runsOwnerName, named, forget };
}
