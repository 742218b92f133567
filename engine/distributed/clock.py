"""The clock a rank's step timeline (meter.py `Timeline`) reads, chosen by the device the rank computes on.

- CPU: `time.perf_counter()`, seconds from the step's start — the work runs in the calling thread, so the
  wall clock at each mark is when it happened.
- GPU: CUDA events. Kernels run asynchronously: perf_counter would time their launches, not their work. A
  mark is an event recorded on the device's current stream; after the step, one synchronize and each
  event's `elapsed_time` from the step's first event give the seconds the stream reached it (NCCL's own
  streams are seen where the compute stream waits for them). Written to PyTorch's documented event API;
  this machine has no GPU, so it has only run under a test that stands in for torch.cuda.
"""
from __future__ import annotations

import time


class WallClock:
    """perf_counter seconds from the start."""

    kind = "perf_counter"

    def __init__(self):
        self.start = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self.start

    def skip(self, seconds: float) -> None:
        """Leave out `seconds` that just passed (a step paused between its halves) from every later mark."""
        self.start += seconds

    def seconds(self, mark) -> float:
        return mark


class Mark:
    """A CUDA event recorded at a point of the step, and the seconds skipped before it."""

    __slots__ = ("event", "skipped")

    def __init__(self, event, skipped: float):
        self.event, self.skipped = event, skipped


class CudaClock:
    """CUDA events on `device`'s current stream; `seconds(mark)` once the step's work is done."""

    kind = "cuda_events"

    def __init__(self, device):
        import torch

        self.cuda, self.device = torch.cuda, device
        self.skipped = 0.0
        self.synced = False
        self.origin = self._record()

    def _record(self):
        event = self.cuda.Event(enable_timing=True)
        event.record(self.cuda.current_stream(self.device))
        return event

    def now(self) -> Mark:
        self.synced = False
        return Mark(self._record(), self.skipped)

    def skip(self, seconds: float) -> None:
        self.skipped += seconds

    def seconds(self, mark) -> float:
        if not isinstance(mark, Mark):
            return mark
        if not self.synced:  # every event recorded so far has happened once the device is idle
            self.cuda.synchronize(self.device)
            self.synced = True
        return self.origin.elapsed_time(mark.event) / 1000 - mark.skipped  # elapsed_time is in milliseconds


def clock_for(device) -> WallClock | CudaClock:
    """CUDA events for a CUDA device ("cuda", "cuda:1", a torch.device), perf_counter for anything else."""
    kind = getattr(device, "type", None) or str(device).split(":")[0]
    return CudaClock(device) if kind == "cuda" else WallClock()
