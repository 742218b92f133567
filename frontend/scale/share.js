// "Link…": the address of the figures on screen (every setting is in it) as text and a QR code, with
// the classroom's public address in classroom mode, so a class opens the same figures on its own
// screens. It is a snapshot: the Scale page has no session to follow live.

import { LinkShare } from "../views/linkshare.js";

/** `bar`: where the button goes (before `before`); `search()`: the page's query string now. */
export function ShareLink(bar, { search, before = null }) {
  LinkShare(bar, {
    id: "share-scale", label: "Link…", buttonClass: "bar-button", ids: "share", cls: "share-scale", before,
    title: "a link (and QR code) to these figures for other screens",
    note: "Opens these figures, with every setting, on another screen (a snapshot: later changes here do not follow).",
    path: () => `/scale${search()}`,
  });
  return { update() {} };
}
