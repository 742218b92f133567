"""What a server admits: one check of a model's settings for every way in (create, configure, switch,
load, restore, fork), and the per-address limits on rooms and joins."""
from __future__ import annotations

import time

from ..protocol import validate_config


def admit_config(model: str, config: dict, settings) -> dict:
    """The full config (defaults filled in) that this server allows, or the refusal: a pydantic
    ValidationError naming the field, or a ValueError past --max-workers. Every entry point calls this."""
    return validate_config(model, config, settings.max_width, settings.max_workers)


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

    def __init__(self, burst: int, per_minute: float, clock=time.monotonic):
        self.burst, self.rate, self.clock = burst, per_minute / 60.0, clock
        self.buckets: dict[str | None, tuple[float, float]] = {}  # address → (tokens, when)

    def _level(self, address) -> float:
        tokens, when = self.buckets.get(address, (self.burst, self.clock()))
        return min(self.burst, tokens + (self.clock() - when) * self.rate)

    def check(self, address) -> None:
        if self._level(address) < 1:
            wait = (1 - self._level(address)) / self.rate
            raise TooMany(f"Too many joins to unknown rooms from your computer (the limit is "
                          f"{self.rate * 60:g} a minute): wait {wait:.0f} s, then check the code.")

    def failed(self, address) -> None:
        if len(self.buckets) > 10_000:  # forget addresses whose bucket is full again
            self.buckets = {a: v for a, v in self.buckets.items() if self._level(a) < self.burst}
        self.buckets[address] = (self._level(address) - 1, self.clock())
