"""One data-parallel worker: the char GPT of engine/transformer, wrapped in DistributedDataParallel.

Two ways in, one code path:
- `run(rank, world, port, conn, config, options)` has torch.multiprocessing's `fn(rank, *args)`
  shape; the controller (controller.py) starts it with a pipe `conn` and drives it command by command;
- `python -m flowscope.engine.distributed.worker --steps N` under torchrun (RANK, WORLD_SIZE,
  MASTER_ADDR/PORT from the environment, `env://` rendezvous) trains N whole steps headless, rank 0
  printing one JSON line per step — the same ShardedRun, on one machine or many.

The channel (a `multiprocessing` Pipe per worker) carries plain dicts of numbers, strings and lists
only — never tensors (a tensor sent from a worker is unreadable once that worker exits). Each
command is {"op": ..., ...}; each reply is {"rank": r, ...}, or {"rank": r, "error": "..."}.
Before the first command a worker sends {"progress": "spawned" | "torch imported" | "joined" |
"ready"} as it starts, so a page can show it starting.

Every rank draws the same global batch from the same seeded generator and keeps its own rows
[rank·B/N, (rank+1)·B/N): with equal shards and a mean loss, the all-reduced (averaged) gradient
is the one-process gradient of the whole batch, and the losses match the `workers: 1` run.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import sys
import time
import warnings
from datetime import timedelta

SLICE = 6  # entries of the tracked gradient shown before and after the all-reduce
CHECKPOINT = "checkpoint.pt"


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when its parent dies, so a crashed server leaves no worker behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # not Linux: the closed pipe still ends the worker's loop
        pass


def run(rank: int, world: int, port: int, conn, config: dict, options: dict) -> None:
    """The spawn entry point. `options`: threads, timeout (s), dir (checkpoints), checkpoint_every."""
    _die_with_parent()
    conn.send({"rank": rank, "progress": "spawned", "pid": os.getpid()})
    import torch  # seconds on a busy 2-core machine: the page shows this step

    torch.set_num_threads(options["threads"])
    conn.send({"rank": rank, "progress": "torch imported"})
    import torch.distributed as dist

    backend = "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= world else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=options["timeout"]))
    conn.send({"rank": rank, "progress": "joined", "backend": backend})
    try:
        shard = _make_run(config, rank, world, backend, options)
        conn.send({"rank": rank, "progress": "ready", **shard.resume()})
        serve(conn, shard)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _make_run(config: dict, rank: int, world: int, backend: str, options: dict):
    """A data-parallel replica (ShardedRun), or one rank of a split run (split_worker.py) when `parallel`
    asks for tensor, pipeline or sharded parallelism."""
    from .parallel import resolve

    par = resolve(config.get("parallel"), world, n_head=config["n_head"], n_layer=config["n_layer"],
                  batch_size=config["batch_size"])
    if par.tp > 1 or par.pp > 1 or par.zero:
        from .split_worker import SplitRun

        return SplitRun(config, par, rank, options)
    return ShardedRun(config, rank, world, backend, options)


def serve(conn, shard: "ShardedRun") -> None:
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the controller is gone
            return
        if msg["op"] == "stop":
            return
        try:
            reply = shard.handle(msg)
        except Exception as exc:  # a failed collective (a lost peer), or a bad command: tell, keep serving
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        conn.send({"rank": shard.rank, **reply})


def _sharded_run_class():
    """ShardedRun is built on TransformerRun, which imports torch: defined on first use."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    from ..transformer.run import TransformerRun
    from . import meter
    from .peek import Peek

    class ShardedRun(TransformerRun):
        """One replica: the GPT behind DDP, training on this rank's shard of every global batch."""

        def __init__(self, config: dict, rank: int, world: int, backend: str, options: dict):
            device = "cuda" if backend == "nccl" else "cpu"
            super().__init__({**config, "device": device, "threads": options["threads"]})
            self.rank, self.world, self.options = rank, world, options
            self.ckpt_path = os.path.join(options["dir"], CHECKPOINT)
            # dropout draws from torch's process-wide generator: one stream per rank (the same on every rank
            # would drop the same units of every shard), saved in the checkpoint so a resume replays it
            torch.manual_seed(self.config.seed * 1000 + 17 + rank)
            name = self.tracked[0]
            self.peek = Peek(dict(zip(self.names, self.params))[name], SLICE)
            # buffers (the causal mask) never change: no broadcast of them before every forward
            with warnings.catch_warnings():  # torch 2.13 renames the flag; the old one still means "never sync"
                warnings.simplefilter("ignore", FutureWarning)
                self.forward = DDP(self.model, device_ids=[torch.cuda.current_device()] if device == "cuda" else None,
                                   broadcast_buffers=False)
            self.forward.register_comm_hook(None, self.peek.hook)
            self.shard_rows: list[str] = []
            self.full_shapes = {n: tuple(p.shape) for n, p in zip(self.names, self.params)}

        def _batch(self, split: str = "train", gen=None):
            x, y = super()._batch(split, gen)  # (B, T): the same global batch on every rank
            b = x.size(0) // self.world
            x, y = x[self.rank * b:(self.rank + 1) * b], y[self.rank * b:(self.rank + 1) * b]  # (B/N, T)
            self.shard_rows = [self.tok.decode(row[:32].tolist()) for row in x]
            return x, y

        def step(self, stats: bool = True):
            """A whole step; with accum_steps = k, the shard in k micro-batches: the first k−1 backward
            passes under DDP's `no_sync` (gradients add up in .grad, no communication), the last one
            all-reduces the sum. Each micro-loss is divided by k, so the step equals the one-pass step."""
            k = self.config.accum_steps
            if k == 1:
                return super().step(stats)
            self._check()
            self._pending = None
            t0 = time.perf_counter()
            x, y = self._batch()  # (B/N, T)
            self.model.train()
            self.optimizer.zero_grad(set_to_none=True)
            total = 0.0
            for i, (xi, yi) in enumerate(zip(x.chunk(k), y.chunk(k))):  # k × (B/(N·k), T)
                with self.forward.no_sync() if i < k - 1 else contextlib.nullcontext(), self._autocast():
                    _, loss = self.forward(xi, yi)
                (loss / k).backward()
                total += loss.item() / k
            return self._update(total, x.numel(), t0, stats)

        # ----- commands --------------------------------------------------------------------
        def handle(self, msg: dict) -> dict:
            op = msg["op"]
            if op == "begin":  # forward (inspect path) and backward; DDP all-reduces inside backward
                self.peek.reset()
                rec = self.begin_step()
                out = {**self._mine(rec.loss), "grad_norm": rec.grad_norm}
                if self.rank == 0:
                    out["record"] = rec  # a dataclass of plain numbers (record.py's capture)
                return out
            if op == "apply":
                rec = self.apply(self._pending)
                out = {"stats": rec.stats.as_dict(), **self._after()}
                if self.rank == 0:
                    out["update"], out["lr"] = rec.update, rec.lr
                return out
            if op == "steps":
                return self._steps(msg["count"])
            if op == "evaluate":
                return {"eval": self.evaluate()}
            if op == "live":
                self.set_live(**msg["changes"])
                return {}
            if op == "look":  # the read-only looks of the Transformer page, from this replica
                if msg["name"] not in LOOKS:
                    raise ValueError(f"'{msg['name']}' is not a look")
                return {"result": getattr(self, msg["name"])(*msg["args"])}
            if op == "export":  # a RunExport (NumPy arrays and plain values), as the one-process GPT writes it
                return {"export": run_export(self, self.steps)}
            if op == "ping":  # one tiny collective: after a peer died, it fails (or times out) here
                t = torch.ones(1, device=self.device)
                dist.all_reduce(t)
                return {"sum": float(t)}
            raise ValueError(f"unknown op '{op}'")

        def _mine(self, loss: float) -> dict:
            """This rank's own numbers of the step just computed (its shard, its gradient before averaging)."""
            after = dict(zip(self.names, self.params))[self.tracked[0]].grad
            return {"loss": loss, "local_grad_norm": self.peek.sq ** 0.5, "before": self.peek.before,
                    "after": after.detach().flatten()[:SLICE].float().tolist(), "rows": self.shard_rows,
                    "bytes": self.peek.bytes, "allreduce_s": self.peek.seconds, "buckets": self.peek.buckets}

        def _steps(self, count: int) -> dict:
            losses, norms, lrs, clipped, comm, seconds, tokens = [], [], [], [], 0.0, 0.0, 0
            for i in range(count):
                self.peek.reset()
                if i < count - 1:
                    st = self.step()
                else:  # the last one observed: collectives, timeline, saved activations (meter.py)
                    dist.barrier()  # the ranks start it together: their timelines share an origin
                    with meter.Observed(self.params) as seen:
                        st = self.step()
                losses.append(st.loss), norms.append(st.grad_norm), lrs.append(st.lr), clipped.append(st.clipped)
                comm, seconds, tokens = comm + self.peek.seconds, seconds + st.seconds, tokens + st.tokens
                self._checkpoint()
            return {"losses": losses, "grad_norms": norms, "lrs": lrs, "clipped": clipped, "allreduce_s": comm,
                    "seconds": seconds, "tokens": tokens, "local_grad_norm": self.peek.sq ** 0.5,
                    "bytes": self.peek.bytes, "stats": self.last.as_dict(), **self._after(checkpoint=False),
                    "observed": meter.rank_state(self.rank, {"dp": self.rank, "tp": 0, "pp": 0}, self.names, self.params,
                                                 self.full_shapes, self.optimizer, seen.comm.calls,
                                                 seen.timeline.filled(seen.comm.calls), seen.peak.peak)}

        def _after(self, checkpoint: bool = True) -> dict:
            if checkpoint:
                self._checkpoint()
            return {"step": self.steps, "checksum": self.checksum(), "tokens_per_s": self.tokens_per_s,
                    "checkpoint": self.checkpoint_step, "view": self.view() if self.rank == 0 else None,
                    "params_view": self.params_view() if self.rank == 0 else None}

        # ----- checkpoints -----------------------------------------------------------------
        def _checkpoint(self) -> None:
            """Rank 0 writes model, optimizer, schedule and batch order every checkpoint_every steps
            (plain state_dict files; os.replace makes the new one appear whole or not at all)."""
            if self.steps % self.options["checkpoint_every"] or self.steps == self.checkpoint_step:
                return
            self.checkpoint_step = self.steps
            rngs = [None] * self.world  # every rank's dropout stream (a collective: every rank is here)
            dist.all_gather_object(rngs, torch.get_rng_state())
            if self.rank != 0:
                return
            state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                     "batch_gen": self.batch_gen.get_state(), "steps": self.steps, "phase": self.phase,
                     "schedule": self.schedule, "history": self.history, "rng": rngs, "config": _kept(self.config)}
            torch.save(state, self.ckpt_path + ".tmp")
            os.replace(self.ckpt_path + ".tmp", self.ckpt_path)
            with open(self.ckpt_path + ".json.tmp", "w") as f:  # its step, for the parent's messages (no torch.load)
                json.dump({"step": self.steps}, f)
            os.replace(self.ckpt_path + ".json.tmp", self.ckpt_path + ".json")

        def resume(self) -> dict:
            """Load the last checkpoint on a restart; else write step 0's (the controller says which:
            every rank must take the same branch, and rank 0's new file must not tempt the others)."""
            self.checkpoint_step = -1
            if self.options["resume"]:
                state = torch.load(self.ckpt_path, weights_only=False, map_location=self.device)
                mine, theirs = _kept(self.config), state.get("config", {})
                wrong = sorted(k for k in mine if k in theirs and mine[k] != theirs[k])
                if wrong or not theirs:
                    raise CheckpointMismatch(
                        f"the checkpoint in {self.options['dir']} was written by another run: "
                        + (", ".join(f"{k} is {_short(theirs[k])} there, {_short(mine[k])} here" for k in wrong)
                           or "it keeps no config") + "; use a fresh --dir or the same --config")
                self.model.load_state_dict(state["model"])
                self.optimizer.load_state_dict(state["optimizer"])
                self.batch_gen.set_state(state["batch_gen"])
                self.steps, self.phase, self.schedule = state["steps"], state["phase"], state["schedule"]
                self.history = state["history"]
                torch.set_rng_state(state["rng"][self.rank])
                self.checkpoint_step = self.steps
            else:
                self._checkpoint()
                dist.barrier()  # step 0's file exists before any rank can fail
            return {"step": self.steps, "checksum": self.checksum(), "checkpoint": self.checkpoint_step}

        def checksum(self) -> str:
            """SHA-1 of every parameter's bytes: equal on every rank exactly when the replicas agree."""
            h = hashlib.sha1()
            for p in self.params:
                h.update(p.detach().cpu().numpy().tobytes())
            return h.hexdigest()[:12]

    return ShardedRun


class CheckpointMismatch(ValueError):
    """A checkpoint written by a run with other settings: loading it would fail or mean nothing."""


# settings a checkpoint must agree on to be resumed (where and how fast it runs may change)
VOLATILE = ("device", "threads", "speed", "checkpoint_every", "compare", "eval_iters")


def _kept(config) -> dict:
    return {k: v for k, v in config.to_dict().items() if k not in VOLATILE}


def _short(v) -> str:
    text = repr(v)
    return text if len(text) < 40 else text[:37] + "…'"


LOOKS = ("attention", "next_token_probs", "sample", "per_char_loss", "optimizer_state", "task_accuracy")


def run_export(run, steps: int):
    """engine/export.py's RunExport of a TransformerRun, by GPTTrainer.export itself (its `self` needs
    only gpt, config and steps_done): weights, optimizer state, schedule, batch order, recent losses."""
    from types import SimpleNamespace

    from ..transformer.trainer import GPTTrainer

    return GPTTrainer.export(SimpleNamespace(gpt=run, config=run.config, steps_done=steps))


_SHARDED = []  # the class, once built


def ShardedRun(*args, **kwargs):  # noqa: N802  (a class, built on first use: it needs torch)
    if not _SHARDED:
        _SHARDED.append(_sharded_run_class())
    return _SHARDED[0](*args, **kwargs)


def main(argv: list[str] | None = None) -> None:
    """torchrun's entry: `torchrun --nproc-per-node 2 -m flowscope.engine.distributed.worker --steps 50`;
    `--parallel '{"tp": 2}'` splits the model as the live run's `parallel` does (parallel.py)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=50, help="train until this step (a resumed job does the rest)")
    ap.add_argument("--config", default="{}", help="TransformerConfig fields as JSON")
    ap.add_argument("--parallel", default="{}", help='how to split: {"dp","tp","pp","zero","micro_batches","schedule"}')
    ap.add_argument("--dir", default=".", help="where checkpoints go (shared by the ranks)")
    ap.add_argument("--checkpoint-every", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)
    import torch
    import torch.distributed as dist

    from ..transformer.config import TransformerConfig
    from .parallel import resolve

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    cfg = TransformerConfig(**json.loads(args.config))
    par = resolve(json.loads(args.parallel), world, n_head=cfg.n_head, n_layer=cfg.n_layer, batch_size=cfg.batch_size)
    local = int(os.environ.get("LOCAL_RANK", rank))
    threads = max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", world)))
    torch.set_num_threads(threads)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(local)
    dist.init_process_group(backend, init_method="env://", timeout=timedelta(seconds=args.timeout))
    try:
        if par.tp > 1 or par.pp > 1 or par.zero:
            _split_main(cfg, par, rank, threads, args.steps)
            return
        # a restart (torchrun --max-restarts) resumes when rank 0 sees a checkpoint; every rank takes its word
        resume = [os.path.exists(os.path.join(args.dir, CHECKPOINT))]
        dist.broadcast_object_list(resume, src=0)
        options = {"threads": threads, "timeout": args.timeout, "dir": args.dir,
                   "checkpoint_every": args.checkpoint_every, "resume": resume[0]}
        shard = ShardedRun(cfg.to_dict(), rank, world, backend, options)
        try:
            shard.resume()
        except CheckpointMismatch as exc:
            if rank == 0:
                print(f"error: {exc}", file=sys.stderr, flush=True)
            return 2
        while shard.steps < args.steps:  # --steps is the step to reach: a resumed job trains what is left
            out = shard.handle({"op": "steps", "count": 1})
            loss = torch.tensor([out["losses"][0]], dtype=torch.float64)
            dist.all_reduce(loss)  # each rank's loss is its shard's: the global batch's is their mean
            if rank == 0:
                print(json.dumps({"step": out["step"], "loss": float(loss) / world, "checksum": out["checksum"]}),
                      flush=True)
        dist.barrier()  # leave together: a rank that tore its group down while rank 0 still wrote was seen to abort
    finally:
        dist.destroy_process_group()


def _split_main(cfg, par, rank: int, threads: int, steps: int) -> None:
    """Tensor, pipeline or sharded runs (parallel_run.py): no checkpoints yet, so --steps counts from 0."""
    from .parallel_run import ParallelRun

    run = ParallelRun(cfg.to_dict(), par, rank, {"threads": threads})
    while run.steps < steps:
        out = run.step()
        if rank == 0:
            print(json.dumps({"step": out["step"], "loss": out["loss"], "parallel": par.name()}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
