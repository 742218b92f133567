"""The step timeline's clock follows the device (engine/distributed/clock.py): perf_counter on the CPU,
CUDA events on a GPU. This machine has no GPU: torch.cuda is stood in for by a fake whose events carry
the times a test gives them, so what is checked is the choice and the arithmetic (milliseconds → seconds,
from the step's first event, the skipped pause taken off), not a GPU."""
import time

from flowscope.engine.distributed import clock as clk
from flowscope.engine.distributed import meter


class FakeCuda:
    """torch.cuda's Event, current_stream and synchronize: each recorded event takes the next given time (ms)."""

    def __init__(self, times_ms):
        self.times, self.synced, self.recorded = list(times_ms), 0, []
        cuda = self

        class Event:
            def __init__(self, enable_timing=False):
                assert enable_timing  # elapsed_time needs it
                self.ms = None

            def record(self, stream=None):
                cuda.recorded.append(stream)
                self.ms = cuda.times.pop(0)

            def elapsed_time(self, other):
                assert cuda.synced, "read before the device finished"
                return other.ms - self.ms

        self.Event = Event

    def current_stream(self, device=None):
        return f"stream of {device}"

    def synchronize(self, device=None):
        self.synced += 1


def test_the_clock_is_chosen_by_the_device(monkeypatch):
    import torch

    assert isinstance(clk.clock_for("cpu"), clk.WallClock)
    assert isinstance(clk.clock_for(torch.device("cpu")), clk.WallClock)
    monkeypatch.setattr(torch, "cuda", FakeCuda([0.0] * 10))
    for device in ("cuda", "cuda:1", torch.device("cuda", 0)):
        assert isinstance(clk.clock_for(device), clk.CudaClock)
    assert isinstance(meter.Timeline("cuda").clock, clk.CudaClock) and isinstance(meter.Timeline().clock, clk.WallClock)


def test_cuda_event_marks_become_seconds_after_one_synchronize(monkeypatch):
    import torch

    fake = FakeCuda([1000.0, 1002.0, 1005.0, 1010.5, 1030.0])  # origin, then four marks (ms on the device)
    monkeypatch.setattr(torch, "cuda", fake)
    tl = meter.Timeline("cuda:0")
    a, b = tl.now(), tl.now()
    tl.add("compute", a, b, "forward", 0)
    call = {"op": "allreduce", "t0": tl.now(), "t1": None}
    tl.clock.skip(0.015)  # a pause of 15 ms between the step's halves, left out of the marks after it
    call["t1"] = tl.now()
    assert fake.synced == 0  # nothing read while the step runs
    segs = tl.filled([call])
    assert fake.synced == 1 and set(fake.recorded) == {"stream of cuda:0"}
    compute = next(s for s in segs if s["op"] == "forward")
    assert (compute["t0"], compute["t1"]) == (0.002, 0.005)
    comm = next(s for s in segs if s["kind"] == "comm")
    assert comm["t0"] == 0.0105 and abs(comm["t1"] - (0.030 - 0.015)) < 1e-12


def test_the_cpu_clock_reads_perf_counter_and_skips_a_pause():
    tl = meter.Timeline("cpu")
    t0 = tl.now()
    time.sleep(0.01)
    t1 = tl.now()
    assert isinstance(t0, float) and 0.009 < t1 - t0 < 1.0
    tl.clock.skip(5.0)
    assert tl.now() < t1  # 5 s taken off every later mark
    tl.add("compute", t0, t1, "forward", 0)
    assert next(s for s in tl.filled() if s["op"] == "forward")["t1"] == t1
