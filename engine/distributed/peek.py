"""A DDP communication hook that looks at each gradient bucket before the default all-reduce.

DDP packs the gradients into buckets (flat buffers of ~25 MB) and, as each bucket fills during
backward, hands it to a communication hook whose future yields the reduced bucket. This hook
notes what only the rank itself knows — its own gradient (norm², and a slice of one named tensor)
— then runs torch's own `allreduce_hook` (divide by world size, all-reduce sum), timing it to the
future's completion. Bucket indices are rebuilt after the first iteration, so the tracked tensor
is found by identity among `bucket.parameters()`, never by index.
See https://pytorch.org/docs/stable/ddp_comm_hooks.html
"""
from __future__ import annotations

import time

import torch
from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook


class Peek:
    """What the hook saw during one backward pass (reset before each)."""

    def __init__(self, param: torch.Tensor, count: int):
        self.param, self.count = param, count  # the tracked tensor, and how many of its first entries to copy
        self.reset()

    def reset(self) -> None:
        self.sq = 0.0  # ‖g_rank‖², this rank's own gradient before averaging
        self.before: list[float] | None = None  # the tracked tensor's first `count` entries, before
        self.bytes = 0  # gradient bytes this rank put into all-reduces
        self.seconds = 0.0  # summed over buckets: hook call → reduced bucket ready
        self.buckets = 0

    def hook(self, state, bucket):  # no annotations: DDP checks them against its own types
        buf = bucket.buffer()  # the flat bucket: this rank's gradients, not yet averaged
        self.sq += float(buf.detach().float().pow(2).sum())
        self.bytes += buf.numel() * buf.element_size()
        self.buckets += 1
        for p, g in zip(bucket.parameters(), bucket.gradients()):
            if p is self.param:
                self.before = g.detach().flatten()[:self.count].float().tolist()
        t0 = time.perf_counter()
        fut = allreduce_hook(None, bucket)  # torch's default: bucket / world, then all-reduce (sum)

        def done(f):
            self.seconds += time.perf_counter() - t0
            return f.value()

        return fut.then(done)
