"""A room: a short code, its trainer behind a link (a thread here, or a room process), an owner and any
number of viewers, its lesson and what the owner allows. One `Room` owns all of it."""
from __future__ import annotations

import asyncio
import logging
import secrets

from ..replies import LessonClosedMsg, LessonMsg, LocksMsg, Member, RecallMsg, RemovedMsg, RosterMsg
from .classlist import PROGRESS_SECONDS, ClassList
from .commands import GREETED, HELD
from .keep import Keep
from .limits import Held
from .pool import config_of
from .runner import Export, Hello, Relay, Runner
from ..wire import Client, encode

log = logging.getLogger("flowscope.room")
GRACE_SECONDS = 120  # an empty session waits this long for its owner to come back (a page reload)


class Room:
    def __init__(self, code: str, model: str, config: dict, settings, loop: asyncio.AbstractEventLoop,
                 trainer=None, owner_token: str | None = None, checkpoints=None, pool=None,
                 restored: dict | None = None, lost=None, where: dict | None = None):
        self.code, self.model, self.loop = code, model, loop
        self.lost = lost or (lambda: None)  # called when the room's process ended under it (pool.py)
        # the creator's: never in links, never to others. A loaded run keeps the token it was saved under,
        # so what its owner saves next lands in the same list of runs.
        self.owner_token = owner_token or secrets.token_urlsafe(16)
        self.allow_save = False  # the owner's `allow` setting: may viewers save the room's run?
        self.emptied = 0.0  # when the last member left (time.monotonic), for closing the oldest empty room
        self.clients: dict[Client, str] = {}  # client → role
        self.token_holder: Client | None = None
        # every page that proved the owner token (created the room, joined or reclaimed with it, or came
        # back with it to watch): the teacher's tabs — they see the class and may remove and recall
        self.teachers: set[Client] = set()
        self.greeting: set[Client] = set()  # members whose greeting is on its way (their roster waits for it)
        self.had_viewers = False
        self.lesson: LessonMsg | None = None  # where the room is in a lesson, for late joiners
        self.locks: LocksMsg | None = None  # what the owner locks or hides for watchers, for late joiners
        self.creator: str | None = None  # the creating client's address, for per-client limits
        self.expiry: asyncio.TimerHandle | None = None
        self.checkpoints = checkpoints  # a RoomStore (roomstore.py), or None: the room lives in memory only
        self.settings, self.pool = settings, pool
        self.held = Held(model, config)  # what its run holds: the runner reports each change (Rooms counts it)
        self.classlist = ClassList(where if where is not None else {})  # students who left: forked, or gone
        self.polling: asyncio.TimerHandle | None = None  # the next ask of forked students' rooms for their progress
        self.link = self.new_link(config, trainer, restored)

    def new_link(self, config: dict, trainer, restored: dict | None = None):
        """The room's runner: in a room process of the pool (pool.py), or a thread of this process."""
        keep = Keep(self.checkpoints, self.owner_token) if self.checkpoints else None
        if self.pool is not None:
            return self.pool.link(self.code, self.model, config, trainer, keep, restored, self._deliver, self.lost)
        loop = self.loop
        return Runner(self.code, self.model, config, self.settings, self._publish,
                      lambda fn, *args: loop.call_soon_threadsafe(fn, *args), trainer, keep, restored)

    def relink(self, trainer, restored: dict) -> None:
        """The room's process ended under it: the same room goes on with `trainer`, restored from its
        checkpoint in another process; every member is greeted again."""
        self.link = self.new_link({}, trainer, restored)
        self.link.set_meta(self.meta())
        self.link.start()
        for client in list(self.clients):
            self.greet(client)

    def meta(self) -> dict:
        """What makes this run the class's room, kept beside it in a checkpoint."""
        return {"lesson": self.lesson.model_dump() if self.lesson else None, "allow_save": self.allow_save,
                "locks": self.locks.model_dump() if self.locks else None}

    def _publish(self, frames, to) -> None:
        """Called from the runner thread: hop onto the event loop."""
        self.loop.call_soon_threadsafe(self._deliver, frames, to)

    def _deliver(self, frames, to) -> None:
        targets = [to] if to is not None else list(self.clients)
        for text, latest in frames:
            if latest == GREETED:
                self._greeted(to)
                continue
            if latest == HELD:
                self.held = text
                continue
            for client in targets:
                client.push(text, latest)

    def _greeted(self, client: Client) -> None:
        """A member's greeting (session … state) is out: an owner's roster may follow it now (sent
        before, the page's `session` cleared it: "Nobody else yet" while a class watched)."""
        self.greeting.discard(client)
        if self.sees_class(client) and self.had_viewers:
            client.push(self.roster_frame(), latest="roster")

    def sees_class(self, client: Client) -> bool:
        """The owner, and the teacher (the token holder) while a student drives, get the roster."""
        return client in self.clients and (self.clients[client] == "owner" or client in self.teachers)

    def add(self, client: Client, role: str) -> None:
        if self.expiry:
            self.expiry.cancel()
            self.expiry = None
        if role == "owner":  # one owner at a time: whoever drove before now watches
            for other, r in list(self.clients.items()):
                if r == "owner" and other is not client:
                    self.clients[other] = "viewer"
                    self.greet(other)
        self.clients[client] = role
        self.classlist.came_back(client)
        self.greet(client)
        self.send_roster()

    def greet(self, client: Client) -> None:
        self.greeting.add(client)
        token = self.owner_token if client is self.token_holder else None
        also = [(encode(msg), False) for msg in (self.lesson, self.locks) if msg is not None]
        self.link.submit(Hello(self.clients[client], client.id, token, also), client)  # one publish: in order

    def allow(self, save: bool) -> None:
        self.allow_save = save
        self.link.set_meta(self.meta())

    def close_lesson(self) -> None:
        self.lesson = None
        self.link.set_meta(self.meta())
        self.link.submit(Relay([(encode(LessonClosedMsg()), False)]), None)

    def set_locks(self, lock: list[str], hide: list[str]) -> None:
        self.locks = LocksMsg(lock=lock, hide=hide)
        self.link.set_meta(self.meta())
        self.link.submit(Relay([(encode(self.locks), False)]), None)

    def switch(self, model: str, trainer) -> None:
        """The room runs another model now (built by the caller, off the event loop): same code and
        members; each is greeted again with the new model's session, data and state."""
        from .runner import Swap

        self.model = model
        self.held = Held(model, config_of(trainer))  # until its runner reports what it holds
        self.link.submit(Swap(model, trainer), None)
        for client in list(self.clients):
            self.greet(client)

    def move_lesson(self, lesson_id: str, step: int) -> None:
        self.lesson = LessonMsg(id=lesson_id, step=step)
        self.link.set_meta(self.meta())
        self.link.submit(Relay([(encode(self.lesson), False)]), None)

    def role(self, client: Client) -> str | None:
        return self.clients.get(client)

    def send_roster(self) -> None:
        """Tell the owner who is watching, once anyone is; a newer roster replaces an unsent one and
        comes after the owner's own hello (a mailbox, like state)."""
        if len(self.clients) < 2 and not self.had_viewers:
            return
        self.had_viewers = True
        text = self.roster_frame()
        for client in self.clients:
            if self.sees_class(client) and client not in self.greeting:  # a greeting in flight sends it after itself
                client.push(text, latest="roster")
        self.poll_forks()

    def roster_frame(self) -> str:
        here = [Member(id=c.id, name=c.name, role=r, teacher=c in self.teachers) for c, r in self.clients.items()]
        return encode(RosterMsg(members=here + self.classlist.members(self)))

    # ----- the class: who left, and bringing them back --------------------------------------------
    def depart(self, client: Client) -> None:
        """`client` left the room (Rooms.leave): a student is remembered on the class list."""
        if self.clients.get(client) == "viewer" and client not in self.teachers:
            self.classlist.left(client, self)

    def poll_forks(self) -> None:
        """While students are forked and someone sees the class, ask each forked room for its step and
        loss every PROGRESS_SECONDS (its runner answers; a changed answer sends the roster again)."""
        if self.polling is not None or not any(self.sees_class(c) for c in self.clients):
            return
        forked = self.classlist.forked(self)
        if not forked:
            return

        def ask() -> None:
            self.polling = None
            for away, there in self.classlist.forked(self):
                away.asked = True
                there.link.submit(Export("progress", lambda p, a=away: self._progress(a, p)), None)
            self.poll_forks()

        # a student who just forked is asked at once (the dashboard shows their run's start), then all
        # of them every PROGRESS_SECONDS
        self.polling = self.loop.call_later(0.0 if any(not a.asked for a, _ in forked) else PROGRESS_SECONDS, ask)

    def _progress(self, away, progress: dict) -> None:
        if (away.step, away.loss) != (progress["step"], progress["loss"]):
            away.step, away.loss = progress["step"], progress["loss"]
            self.send_roster()

    def recall(self) -> int:
        """Every forked student's page is told to come back to this room; how many were told."""
        forked = self.classlist.forked(self)
        text = encode(RecallMsg(session=self.code))
        for away, _ in forked:
            away.client.push(text)
        return len(forked)

    def remove(self, member_id: str, rooms) -> None:
        """The teacher removes a member (they are told, and leave), or forgets an absent student."""
        target = next((c for c in self.clients if c.id == member_id), None)
        if target is None:
            if not self.classlist.forget(member_id):
                raise KeyError(f"Nobody with id '{member_id}' is in room {self.code}.")
            return self.send_roster()
        if target in self.teachers:
            raise PermissionError("The teacher can't be removed from their own room.")
        target.push(encode(RemovedMsg(session=self.code)))
        rooms.leave(target, remembered=False)

    def handover(self, to_id: str) -> None:
        target = next((c for c in self.clients if c.id == to_id), None)
        if target is None:
            raise KeyError(f"Nobody with id '{to_id}' is in room {self.code}.")
        self.add(target, "owner")
