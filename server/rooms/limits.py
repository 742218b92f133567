"""What a server admits: one check of a model's settings for every way in (create, configure, switch,
load, restore, fork), and the per-address limits on rooms and joins."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from flowscope.engine.footprint import Footprint, footprint
from flowscope.engine.trainers import check_budget

from ..configs import validate_config


def admit_config(model: str, config: dict, settings, rooms=None, replacing=None) -> dict:
    """The full config (defaults filled in) that this server allows, or the refusal: a pydantic
    ValidationError naming the field, or a ValueError past --max-workers or past the server's budget
    (`rooms`: the server's Rooms, whose live rooms and builds in progress count; `replacing`: a room whose
    current run this one replaces, not counted). Every entry point calls this."""
    full = validate_config(model, config, settings.max_width, settings.max_workers)
    check_budget(model, full, settings.budget)  # one model past the per-model budget: said as such
    if rooms is not None:
        refusal = over_budget(model, footprint(model, full), rooms.holding(but=replacing), settings)
        if refusal:
            raise OverBudget(refusal)
    return full


@dataclass(frozen=True)
class Held:
    """What a room's run holds: its model and full config, and the runs `undo` keeps (copies in memory:
    (model, config) each, engine/undo.py)."""
    model: str
    config: dict
    kept: tuple = ()

    @functools.cached_property
    def footprint(self) -> Footprint:
        now = footprint(self.model, self.config) if self.config else Footprint()
        return sum((footprint(m, c) for m, c in self.kept), now)


class OverBudget(ValueError):
    """Past the server's budget of model memory or worker processes: the message has the figures."""

    code = "busy"


def size(nbytes: float) -> str:
    mb = nbytes / 2**20
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:,.0f} MB"


def over_budget(model: str, new: Footprint, held: Footprint, settings) -> str | None:
    """Why a run of footprint `new` doesn't fit beside what the server holds, in words with the figures."""
    budget = settings.max_models_mb * 2**20
    if held.bytes + new.bytes > budget:
        return (f"This server holds {size(held.bytes)} of models; a {model} of {new.params:,} parameters "
                f"(about {size(new.bytes)} to train) would pass its {size(budget)} budget (max_models_mb). "
                "Make it smaller, or try again when a room has closed.")
    if new.workers and held.workers + new.workers > settings.max_worker_processes:
        return (f"This server runs {held.workers} data-parallel worker processes; {new.workers} more would pass "
                f"its budget of {settings.max_worker_processes} (max_worker_processes). Use fewer workers, or try "
                "again when a room's run has closed.")
    return None


class RoomFull(Exception):
    pass


class TooMany(Exception):
    """A client address already holds as many sessions as it may (or the server does, or the address
    has failed to join too often): the message names the limit."""


class JoinLimiter:
    """Failed joins (unknown room, wrong token) per client address: a token bucket of `burst` that
    refills at `per_minute`; while it is empty every join from that address is refused.

    Why: codes are 5 of 31 characters, 31⁵ = 28,629,151. With 30 live rooms one guess hits with
    p = 30 / 28.6 M ≈ 1.05e-6, so finding a room takes 1/p ≈ 954,000 guesses on average. Unlimited,
    one socket tried 24,664 codes/s: a room in ~39 s. At the default 30 failures a minute an address
    needs 954,000 / 30 ≈ 31,800 minutes ≈ 22 days (a whole /24 of addresses, ~2 hours). A student who
    mistypes a code loses one of 20 tries, and gets it back within two seconds."""

    def __init__(self, burst: int, per_minute: float, clock=time.monotonic,
                 what: str = "joins to unknown rooms", then: str = "then check the code"):
        self.burst, self.rate, self.clock = burst, per_minute / 60.0, clock
        self.what, self.then = what, then  # the refusal's words: what was counted, what to do after waiting
        self.buckets: dict[str | None, tuple[float, float]] = {}  # address → (tokens, when)

    def _level(self, address) -> float:
        tokens, when = self.buckets.get(address, (self.burst, self.clock()))
        return min(self.burst, tokens + (self.clock() - when) * self.rate)

    def check(self, address) -> None:
        if self._level(address) < 1:
            wait = (1 - self._level(address)) / self.rate
            raise TooMany(f"Too many {self.what} from your computer (the limit is "
                          f"{self.rate * 60:g} a minute): wait {wait:.0f} s, {self.then}.")

    def failed(self, address) -> None:
        if len(self.buckets) > 10_000:  # forget addresses whose bucket is full again
            self.buckets = {a: v for a, v in self.buckets.items() if self._level(a) < self.burst}
        self.buckets[address] = (self._level(address) - 1, self.clock())
