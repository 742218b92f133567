// "Watch this race": the link (and its QR code) a class opens to follow the race live. Each racer
// is a room; the link names the rooms, and the page that opens it joins them read-only — only the
// page that started the race steps it.

import { LinkShare } from "../views/linkshare.js";
import { watchSearch } from "./where.js";

/** `bar`: where the button goes (before `before`, when given). */
export function ShareRace(bar, { getRace, before = null }) {
  const button = LinkShare(bar, {
    id: "share-race", label: "Watch link…", ids: "watch", cls: "share-race", before,
    title: "a link the class opens to watch this race live",
    note: "Open this on other screens to watch the race live, read-only: this page steps it.",
    path: () => {
      const search = watchSearch(getRace());
      return search ? `/descent${search}` : "";
    },
    waiting: "racers are still connecting…",
  });

  let last = null;
  return {
    update(race) {
      const hidden = !!race.viewer; // a watcher has nothing of its own to share
      if (hidden !== last) button.hidden = last = hidden;
    },
  };
}
