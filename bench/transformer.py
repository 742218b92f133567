"""The character GPT engine, measured.

1. overhead: TransformerRun.step() — with what a live view needs every step (loss, η, gradient norm
   before clipping, per-layer gradient norms, update/parameter ratios) — against a bare torch loop
   of the identical model, optimizer and clipping, in the same process, in alternating chunks so
   that a busy neighbour slows both alike. Also 1 vs 2 torch threads.
2. shakespeare: nanoGPT's CPU configuration of shakespeare_char (4 layers, 4 heads, 128 wide,
   block 64, batch 12) on ../shared/data/tinyshakespeare.txt (read in place, never copied into the
   project); nanoGPT reports val 1.88 after 2000 iterations (~3 min on a laptop). Prints the
   training time to reach 1.88 and the val loss at the time limit (evaluations are off the clock).
3. defaults: the product's default run on Python's documentation after 5, 15, 30 and 60 s, with
   samples; then each fine-tuning task from there: task loss, exact answers, the corpus forgotten.

    .venv/bin/python bench/transformer.py                      # both
    .venv/bin/python bench/transformer.py shakespeare --seconds 120 --lr 2e-3
Figures only; nothing is asserted. Check `uptime` first: other processes on the box skew timings.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from flowscope.engine.transformer.model import GPT  # noqa: E402
from flowscope.engine.transformer.run import TransformerRun  # noqa: E402
from flowscope.engine.transformer.schedule import Schedule  # noqa: E402

SHAKESPEARE = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"
NANOGPT_CPU = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, dropout=0.0)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} ({os.cpu_count()} CPUs)"


# ----- 1. engine overhead -------------------------------------------------------------------------
class BareLoop:
    """The same model, optimizer, clipping and batch sampling as the engine, and nothing else."""

    def __init__(self, run: TransformerRun, seed: int = 0):
        torch.manual_seed(seed)
        self.model = GPT(run.model_config)
        ps = list(self.model.parameters())
        cfg = run.config
        self.opt = torch.optim.AdamW([{"params": [p for p in ps if p.dim() >= 2], "weight_decay": cfg.weight_decay},
                                      {"params": [p for p in ps if p.dim() < 2], "weight_decay": 0.0}],
                                     lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=True)
        self.ids = run.data.splits["pretrain"].train
        self.gen = torch.Generator().manual_seed(seed)
        self.B, self.T, self.clip = cfg.batch_size, cfg.block_size, cfg.grad_clip

    def step(self) -> float:
        starts = torch.randint(len(self.ids) - self.T, (self.B,), generator=self.gen)
        rows = self.ids[starts[:, None] + torch.arange(self.T + 1)]
        _, loss = self.model(rows[:, :-1], rows[:, 1:])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        return loss.item()


def overhead(threads: int, chunks: int = 60, chunk: int = 5) -> tuple[float, float]:
    run = TransformerRun({**NANOGPT_CPU, "threads": threads})
    bare = BareLoop(run)
    for _ in range(10):  # warm-up: allocator, kernels, Adam state
        run.step()
        bare.step()
    t_run, t_bare = [], []
    for c in range(chunks):  # alternate, so a burst of outside load hits both
        for which in ((0, 1) if c % 2 == 0 else (1, 0)):
            t0 = time.perf_counter()
            for _ in range(chunk):
                run.step() if which == 0 else bare.step()
            (t_run if which == 0 else t_bare).append((time.perf_counter() - t0) / chunk)
    return statistics.median(t_run), statistics.median(t_bare)


def bench_overhead() -> None:
    print(f"== engine step vs bare torch loop (nanoGPT CPU shakespeare_char size) — {load()}")
    for threads in (2, 1):
        run_s, bare_s = overhead(threads)
        print(f"threads={threads}: engine {run_s * 1e3:6.1f} ms/step ({1 / run_s:5.1f} steps/s), "
              f"bare {bare_s * 1e3:6.1f} ms/step ({1 / bare_s:5.1f} steps/s); engine/bare throughput "
              f"{bare_s / run_s:.3f}")
    run = TransformerRun({**NANOGPT_CPU, "threads": 2})
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(16):  # the same run, alternating: what the threads setting does at today's load
        for n in (1, 2):
            torch.set_num_threads(n)
            times[n].append(timed(run.step, 3))
    print("same run, alternating 1 and 2 threads: " + ";  ".join(
        f"{n}: median {statistics.median(v) * 1e3:.1f} ms, worst {max(v) * 1e3:.0f} ms" for n, v in times.items()))
    torch.set_num_threads(2)
    for _ in range(5):
        run.apply(run.begin_step())
    staged = timed(lambda: run.apply(run.begin_step()), 20)
    fast = timed(run.step, 20)
    print(f"a step shown stage by stage (inspect path + record + update): {staged * 1e3:.1f} ms, "
          f"a fast step {fast * 1e3:.1f} ms; evaluate() ({run.config.eval_iters} batches × 4 splits): "
          f"{timed(run.evaluate, 3) * 1e3:.0f} ms")
    print(f"   ({load()})")


def timed(fn, n: int) -> float:
    """Median seconds of fn over n calls."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


# ----- 2. tinyshakespeare to val 1.88 -------------------------------------------------------------
def val_loss(run: TransformerRun, batches: list) -> float:
    with torch.no_grad():
        run.model.eval()
        out = sum(float(run.model(x, y)[1]) for x, y in batches) / len(batches)
        run.model.train()
    return out


def bench_shakespeare(args) -> None:
    if not SHAKESPEARE.exists():
        print(f"skip: {SHAKESPEARE} is not there")
        return
    text = SHAKESPEARE.read_text()
    cfg = {**NANOGPT_CPU, "text": text, "lr": args.lr, "warmup": args.warmup, "decay_steps": args.decay or 2000,
           "beta2": args.beta2, "threads": args.threads or 2, "min_lr_ratio": args.min_lr_ratio,
           "weight_decay": args.weight_decay, "seed": args.seed}
    print(f"== tinyshakespeare, {cfg | {'text': f'{len(text):,} chars'}} — {load()}")
    run = TransformerRun(cfg)
    gen = torch.Generator().manual_seed(1234)
    batches = [run.data.batch("pretrain", "val", 12, 64, gen) for _ in range(args.eval_batches)]
    print(f"vocab {len(run.tok)}, {run.model.num_params():,} parameters; val at init {val_loss(run, batches):.3f}")
    clock, reached, last = 0.0, None, None
    while clock < args.seconds and run.steps < args.max_steps:
        t0 = time.perf_counter()
        for _ in range(args.eval_every):
            if clock + time.perf_counter() - t0 >= args.seconds:
                break
            run.step()
        clock += time.perf_counter() - t0
        if args.decay == 0 and run.steps == args.eval_every:  # fit the cosine to the time limit at this speed
            s = run.schedule
            total = int(0.97 * args.seconds * run.steps / clock)
            run.schedule = Schedule(s.max_lr, s.min_lr, s.warmup, total, s.start)
            print(f"  cosine length set to {total} steps ({1e3 * clock / run.steps:.1f} ms/step so far)")
        last = val_loss(run, batches)
        if reached is None and last <= args.target:
            reached = (clock, run.steps)
        print(f"  step {run.steps:5d}  {clock:6.1f} s  lr {run.lr_at():.2e}  train(batch) {run.last.loss:.3f}  "
              f"val {last:.4f}  ({1e3 * clock / run.steps:.1f} ms/step)", flush=True)
    final = val_loss(run, batches)
    hit = f"{reached[0]:.1f} s (step {reached[1]})" if reached else "not reached"
    print(f"RESULT: val {final:.4f} after {clock:.1f} s of training ({run.steps} steps, "
          f"{1e3 * clock / run.steps:.1f} ms/step); first val ≤ {args.target}: {hit}; {load()}")
    print("sample:", run.sample(200, temperature=0.8, seed=0).replace("\n", "\n        "))


# ----- 3. the product's defaults: visible learning within a minute ------------------------------
def bench_defaults(args) -> None:
    run = TransformerRun({"threads": args.threads or 0})
    print(f"== defaults on {run.data.source}: {run.model.num_params():,} parameters, vocab {len(run.tok)}, "
          f"{run.config.n_layer} layers × {run.config.n_embd} wide, block {run.config.block_size}, "
          f"batch {run.config.batch_size}, lr {run.config.lr}, {torch.get_num_threads()} thread(s) — {load()}")
    print(f"  step     0     0.0 s  {run.evaluate()}")
    clock = 0.0
    for mark in (5, 15, 30, 60):
        t0 = time.perf_counter()
        while clock + time.perf_counter() - t0 < mark:
            run.step()
        clock += time.perf_counter() - t0
        ev = run.evaluate()
        print(f"  step {run.steps:5d}  {clock:5.1f} s  val {ev['val']:.3f}  train {ev['train']:.3f}  "
              f"({1e3 * clock / run.steps:.1f} ms/step)")
        print("    sample:", run.sample(100, temperature=0.8, seed=0).replace("\n", "\n            "))
    for task in ("add", "reverse"):
        ft = TransformerRun({"threads": args.threads or 0, "task": task})
        ft.model.load_state_dict(run.model.state_dict())
        ft.steps = run.steps
        event = ft.switch_phase("finetune")
        print(f"-- fine-tune on '{task}' from step {ft.steps}: before {event['eval']}, "
              f"accuracy {ft.task_accuracy(50)['accuracy']:.2f}")
        t0 = time.perf_counter()
        for _ in range(ft.config.finetune_steps):
            ft.step()
        secs = time.perf_counter() - t0
        acc = ft.task_accuracy(50)
        print(f"   after {ft.config.finetune_steps} steps ({secs:.1f} s): {ft.evaluate()}, accuracy {acc['accuracy']:.2f}, "
              f"e.g. {acc['examples'][0]['question']}{acc['examples'][0]['got']} (right: {acc['examples'][0]['answer']})")
        print("   sample:", ft.sample(60, temperature=0.8, seed=0, prompt="Q: ").replace("\n", " | "))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", nargs="?", choices=("overhead", "shakespeare", "defaults", "all"), default="all")
    ap.add_argument("--seconds", type=float, default=120.0, help="training time limit (evaluations excluded)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--decay", type=int, default=0,
                    help="cosine length in steps; 0: fitted to --seconds from the speed of the first steps")
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--beta2", type=float, default=0.99)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads (default: 2 for shakespeare, the product's auto for defaults)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=10**9, help="stop here even before the time limit")
    ap.add_argument("--target", type=float, default=1.88)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--eval-batches", type=int, default=50, help="val batches of 12×64 (nanoGPT's eval uses 20)")
    args = ap.parse_args()
    if args.part in ("overhead", "all"):
        bench_overhead()
    if args.part in ("shakespeare", "all"):
        bench_shakespeare(args)
    if args.part in ("defaults", "all"):
        bench_defaults(args)


if __name__ == "__main__":
    main()
