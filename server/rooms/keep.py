"""A room's checkpoints, owned by one object: where they go (a RoomStore, roomstore.py), the owner
token kept with them, the room's meta (lesson, permissions), what was last written, and the retry of
a write that failed. The room's runner asks it to write when the room falls idle or every few
seconds while it works."""
from __future__ import annotations

import logging
import time

from ..replies import ErrorMsg

log = logging.getLogger("flowscope.keep")
EVERY_SECONDS = 5.0  # a working room writes its checkpoint this often (an idle one at once)
BACKOFF_MAX = 60.0  # a failing write is tried again after 1, 2, 4 … s, at most this


class Keep:
    def __init__(self, store, owner_token: str):
        self.store, self.owner_token = store, owner_token
        self.meta, self.meta_dirty = {}, False
        self.saved_version, self.saved_at = None, time.monotonic()  # None: not written yet (a new room is)
        self.backoff, self.retry_at, self.unsaved = 0.0, 0.0, False
        self.writing = False  # a checkpoint is being exported and written now (a shutdown waits for it)

    def set_meta(self, meta: dict) -> None:
        """What makes this run the class's room (lesson, permissions): kept with its next checkpoint."""
        self.meta, self.meta_dirty = meta, True

    def due(self, idle: bool) -> bool:
        return idle or time.monotonic() - self.saved_at >= EVERY_SECONDS

    def retry_in(self) -> float | None:
        """Seconds until a failed write is tried again (an idle room wakes for it); None: nothing owed."""
        return max(0.0, self.retry_at - time.monotonic()) if self.unsaved else None

    def write(self, code: str, model: str, trainer, tell) -> None:
        """Write the checkpoint if anything changed since the last. A failure (a full or read-only disk,
        a worker lost mid-export) is logged and retried with back-off; `tell(message)` tells the room
        once that it is not being saved and why, and once that it is saved again."""
        if trainer.version == self.saved_version and not self.meta_dirty:
            return
        now = time.monotonic()
        if now < self.retry_at:
            return
        version, self.saved_at, self.meta_dirty = trainer.version, now, False
        self.writing = True
        try:
            self.store.put(code, model, self.owner_token, self.meta, trainer.export().pack())
        except Exception as exc:
            self.writing = False
            self.meta_dirty = True  # the meta is not kept either: it goes with the retry
            self.backoff = min(BACKOFF_MAX, max(1.0, 2 * self.backoff))
            self.retry_at = now + self.backoff
            log.exception("room %s: the checkpoint could not be written; retrying in %.0f s", code, self.backoff)
            if not self.unsaved:
                self.unsaved = True
                tell(ErrorMsg(code="not_saved", message=(
                    f"Room {code} is not being saved: {type(exc).__name__}: {exc}. Training goes on; it is "
                    "retried every few seconds, and a restart now would lose the steps since the last save.")))
            return
        self.writing = False
        self.saved_version, self.backoff, self.retry_at = version, 0.0, 0.0
        if self.unsaved:
            self.unsaved = False
            tell(ErrorMsg(code="saved_again", message=f"Room {code} is saved again (at step {trainer.steps_done})."))


def wait_ended(runners, settings, poll: float = 0.05) -> bool:
    """At shutdown, after each runner was told to stop: wait `shutdown_seconds` for them all together,
    and past that for as long as one is writing its checkpoint (and a moment after, for its thread to
    end), `checkpoint_wait_seconds` more at most; logged (which rooms, how long). A runner still inside a
    long torch call and not writing is given up: its previous checkpoint is whole (a write is one
    transaction). Whether all ended."""
    start = time.monotonic()
    soft = start + settings.shutdown_seconds
    hard = soft + settings.checkpoint_wait_seconds
    told = None
    while alive := [r for r in runners if r.thread.is_alive()]:
        now = time.monotonic()
        writing = [r for r in alive if r.keep is not None and r.keep.writing]
        if writing:
            soft = max(soft, min(hard, now + 0.5))  # a write that just ended: its thread ends a moment later
        if now >= hard or (now >= soft and not writing):
            codes = ", ".join(r.code for r in alive)
            if writing:
                log.error("shutdown: gave up after %.1f s on the checkpoints of rooms %s; each keeps its previous "
                          "checkpoint (raise checkpoint_wait_seconds to wait longer)", now - start, codes)
            elif told is not None:
                log.warning("shutdown: the checkpoints were written; rooms %s still compute after %.1f s and keep "
                            "their previous checkpoints", codes, now - start)
            return False
        if now >= start + settings.shutdown_seconds and writing and told is None:
            told = now
            log.warning("shutdown: waiting up to %.0f s for the checkpoints of rooms %s being written",
                        hard - now, ", ".join(r.code for r in writing))
        alive[0].thread.join(poll)
    if told is not None:
        log.warning("shutdown: the checkpoints were written %.1f s after the signal", time.monotonic() - start)
    return True
