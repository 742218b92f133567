"""DistributedTrainer: the data-parallel GPT behind the same Stepper as every other model.

The workers (controller.py) hold the model; this side keeps the step bookkeeping the Stepper needs
and a local TransformerRun built from the same seed — the replicas' exact starting point — for the
plan, the text, the schedule and step 0's losses. Stage stepping: the first stage of a step asks
every worker for forward + backward (DDP all-reduces inside backward; the hook keeps each rank's
gradient from before), `update` asks them to apply it. Whole steps go N at a time.

A lost worker (killed, crashed) makes the command fail; the workers are restarted from the last
checkpoint, the steps since are marked lost (`state.gpt.ddp.lost`), and a WorkerLostError (a
ValueError with code "worker_lost") tells the room. Start-up and restarts do not block: `run`
returns no steps while the workers start, `watch(notify)` hears their progress.
"""
from __future__ import annotations

import math
import re

from ..config import checked, live_keys
from ..export import RunExport
from ..flow import PlanEntry, Snapshot, StepMetrics
from ..stepper import Stepper, StepTrace
from ..transformer.budget import enforce
from ..transformer.config import TransformerConfig
from ..transformer.run import TransformerRun
from . import observe, split_story, story
from .controller import Controller, WorkerLost, WorkersFailed
from .parallel import comm_plan, fsdp_units, resolve
from .worker import run_export

EVAL_EVERY = 100  # as the one-process trainer: held-out losses cost about ten steps
BASELINE_KEEP = 300  # the one-process run's latest losses sent in each state (the page keeps the rest)
LIVE = live_keys(TransformerConfig)


class WorkerLostError(ValueError):
    code = "worker_lost"


class DistributedTrainer(Stepper):
    def __init__(self, config: TransformerConfig | dict | None = None, history_steps: int = 50,
                 budget: tuple[float | None, float | None] = (None, None), timeout: float = 30.0,
                 start_timeout: float = 180.0, hang_timeout: float = 60.0):
        """`timeout`: the workers' collective timeout; `hang_timeout`: the longest a command to them may go
        unanswered before the silent ones are reported lost (a stopped worker is reported at once)."""
        cfg = config if isinstance(config, TransformerConfig) else TransformerConfig(**(config or {}))
        problems = cfg.problems()
        if cfg.workers < 2:
            problems.append("a data-parallel run needs workers ≥ 2 (1 trains in the server's process)")
        if problems:
            raise ValueError("; ".join(problems))
        self.config, self.budget, self.timeout, self.start_timeout = cfg, budget, timeout, start_timeout
        self.hang_timeout = hang_timeout
        self.par = resolve(cfg.parallel, cfg.workers, n_head=cfg.n_head, n_layer=cfg.n_layer, batch_size=cfg.batch_size)
        self.split = self.par.tp > 1 or self.par.pp > 1 or self.par.zero > 0  # tensor, pipeline or sharded
        self.controller: Controller | None = None
        self._notify = self._stopping = None
        super().__init__(history_steps)
        self.reset()

    # ----- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        enforce(self.config, self.budget)
        self.close()
        self.local = TransformerRun(self.config)  # the replicas' starting point (same seed)
        # `compare`: the same run in this process, one step per data-parallel step, for the overlay
        self.baseline = TransformerRun(self.config) if self.config.compare else None
        self.baseline_losses: list[tuple[int, float]] = []
        self.gpt = RankZero(self)
        self._clear()
        self.lost: list[dict] = []
        self.rank0: dict | None = None  # rank 0's latest view() and params_view()
        self.per_rank: list[dict] = []  # per rank: checksum, loss, tokens/s after the latest command
        self.comm: dict | None = None
        self.observed: list[dict] = []  # per rank, the last step of the latest whole-steps command (observe.py)
        self.checkpoint_step = 0
        self._exported: RunExport | None = None  # the last export of rank 0's run
        self.evaluated, self.evaluated_at = self.local.evaluate(), 0
        self.start_loss = self.evaluated["train"]
        self.controller = Controller(self.config.to_dict(), self.config.workers, self.config.checkpoint_every,
                                     self.timeout, self.start_timeout, on_change=self._changed,
                                     hang_timeout=self.hang_timeout)
        self.controller.start()

    def watch(self, notify, stopping=None) -> None:
        """`notify()` is called (from another thread) when a worker reports start-up progress;
        `stopping()` True means the caller is ending: stop waiting for workers that are starting."""
        self._notify = notify
        self._stopping = stopping

    def _changed(self) -> None:
        if self._notify:
            self._notify()

    def close(self) -> None:
        """Kill and reap every worker (the runner calls this when its thread ends)."""
        self._notify = None  # nobody listens any more
        if self.controller is not None:
            self.controller.close()

    def configure(self, changes: dict) -> bool:
        with self.unchanged_on_error():
            if "workers" in changes and changes["workers"] != self.config.workers:
                raise ValueError("workers is chosen when a run is created: create a new run to change it")
            new = self.config.replace(**changes)
            checked(new)
            self.config = new
            if set(changes) - LIVE:
                self.reset()
                return True
            live = {k: v for k, v in changes.items() if k != "speed"}
            if live:
                self._call("live", changes=live)
                self.local.set_live(**live)
                if "lr" in live:
                    self.diverged = None
            return False

    def kill_worker(self, rank: int) -> dict:
        """SIGKILL one worker; the survivors' next collective fails, and the run restarts from the last
        checkpoint (raises WorkerLostError saying so)."""
        if not 0 <= rank < self.config.workers:
            raise ValueError(f"no worker {rank}: this run has workers 0 to {self.config.workers - 1}")
        if not self.controller.ready:
            raise ValueError("the workers are still starting: wait until all are ready")
        self._drop_pending()
        self.controller.kill(rank)
        self._call("ping")  # one tiny all-reduce: it fails on the survivors, as a cluster's would
        return {}

    def _drop_pending(self) -> None:
        if self.history and self.history[-1].metrics is None:
            self.history.pop()
            self.cursor = None
        self.go_live()

    # ----- talking to the workers --------------------------------------------------------------
    def _call(self, op: str, ranks=None, **args) -> list[dict]:
        try:
            while not self.controller.wait_ready(0.5):  # starting: seconds; a closing room stops waiting
                if self._stopping and self._stopping():
                    raise ValueError("the room is closing")
            return self.controller.call(op, ranks, **args)
        except WorkersFailed as exc:
            self._failed_start(exc)
        except WorkerLost as lost:
            self._recover(lost)

    def _failed_start(self, exc: WorkersFailed) -> None:
        """The workers failed to start, even after the controller's fresh tries: say so, and start a new set,
        so the room stays usable (the next command finds them starting)."""
        self.controller.restart()
        raise ValueError(f"the workers could not start: {exc}. Starting them again.") from None

    def _recover(self, lost: WorkerLost) -> None:
        # the checkpoint on disk: a multi-step command writes newer ones than its last reply told
        saved = self.controller.saved_step()
        resume = self.checkpoint_step if saved is None else saved
        reached = max(self.steps_done, resume)
        pids = [self.controller.status[r]["pid"] for r in lost.lost]
        self.controller.restart()
        survivor = next((_first_sentence(text) for r, text in lost.said.items() if r not in lost.lost), None)
        names = ", ".join(f"worker {r} (pid {p})" for r, p in zip(lost.lost, pids))
        self.lost.append({"ranks": lost.lost, "pids": pids, "from_step": resume, "to_step": reached,
                          "said": {str(r): t for r, t in lost.said.items()}, "restart": self.controller.generation})
        self.history.clear()
        self.cursor = None
        self.steps_done = self.local.steps = self.checkpoint_step = resume
        if self._exported is not None and self._exported.steps > resume:
            self._exported = None  # a save of a step the run has gone back from: not served as its state
        self.per_rank, self.version = [], self.version + 1
        gone = ("no step is lost" if reached == resume else f"step {reached} is lost and will be trained again"
                if reached == resume + 1 else f"steps {resume + 1}–{reached} are lost and will be trained again")
        raise WorkerLostError(
            f"Lost {names} at step {reached}." + (f" The others' collective failed: {survivor}" if survivor else "")
            + f" Restarting {self.config.workers} workers from the checkpoint at step {resume}; {gone}.")

    def _took(self, replies: list[dict], losses: list[float]) -> None:
        """Bookkeeping shared by every command that moved the weights (`losses`: each rank's last)."""
        head = replies[0]
        self.steps_done = self.local.steps = head["step"]
        self.checkpoint_step = head["checkpoint"]
        self.rank0 = {"view": head["view"], "params_view": head["params_view"]}
        if head["view"].get("last"):  # rank 0's loss is its shard's: the step's is the mean over the shards
            head["view"]["last"] = {**head["view"]["last"], "loss": sum(losses) / len(losses)}
        self.diverged = head["view"]["diverged"]
        self.per_rank = [{"rank": r["rank"], "param_checksum": r["checksum"], "tokens_per_s": r["tokens_per_s"],
                          "loss": loss} for r, loss in zip(replies, losses)]
        self.version += 1
        while self.baseline is not None and self.baseline.steps < self.steps_done:  # after a restart it is ahead: wait
            st = self.baseline.step(stats=False)
            self.baseline_losses = [*self.baseline_losses[-(BASELINE_KEEP - 1):], (st.step, st.loss)]

    # ----- what the Stepper needs --------------------------------------------------------------
    @property
    def plan(self) -> tuple[PlanEntry, ...]:
        if not self.split:
            c, m = self.config, self.local.model_config  # each replica's step is the one-process step on its B/dp windows
            B = c.batch_size // self.par.dp
            return story.plan(c.n_layer, c.optimizer, (B, m.block_size, m.n_embd, m.n_head, m.vocab_size),
                              self.local.model.num_params())
        cfg = self.config
        key = (self.par, cfg.n_layer, cfg.batch_size, cfg.block_size, cfg.n_embd)
        if getattr(self, "_split_sizes", (None,))[0] != key:  # one collective's payload per op/direction/group
            shapes = {n: tuple(p.shape) for n, p in self.local.model.named_parameters()}
            sizes = {f"{s['stage']}/{s['direction']}/{s['group']}": s["bytes"] // s["count"]
                     for s in comm_plan(self.par, shapes, cfg.batch_size, cfg.block_size, cfg.n_embd, cfg.n_layer)}
            if self.par.zero >= 2:  # FSDP gathers and scatters unit by unit: the root, then each block
                sizes.update({f"unit/{u}": n for u, n in fsdp_units(shapes, self.par).items()})
            b = cfg.batch_size // self.par.dp
            self._split_sizes = (key, tuple(sorted(sizes.items())),
                                 f"(b, T, C) = ({b}, {cfg.block_size}, {cfg.n_embd})")
        return split_story.plan(self.par, cfg.n_layer, cfg.optimizer, *self._split_sizes[1:])

    @property
    def steps_per_epoch(self) -> int:
        cfg = self.config
        return max(1, len(self.local.data.splits["pretrain"].train) // (cfg.batch_size * cfg.block_size))

    def _not_split(self, what: str) -> None:
        if self.split:  # refused here: a worker answering an error would read as a lost worker
            raise ValueError(f"{what} is not built for a {self.par.name()} run yet: play it or take whole steps")

    def _compute(self, size: int | None) -> story.DistRecord | split_story.SplitRecord:
        replies = self._call("begin")
        if self.split:
            return split_story.SplitRecord(split_story.merge(replies, self.par), replies, par=self.par)
        return story.DistRecord(replies[0]["record"], replies, self.local.tracked[0])

    def _params_view(self) -> dict:
        return self.rank0["params_view"] if self.rank0 else self.local.params_view()

    def _describe(self, stage: str, layer: int, trace: StepTrace) -> tuple[dict, str, str]:
        return story.describe(stage, layer, trace.record, self.local.model_config)

    def _describe_at(self, k: int, trace: StepTrace) -> tuple[dict, str, str]:
        if isinstance(trace.record, split_story.SplitRecord):
            return split_story.describe(self.plan, k, trace.record, self.local.model_config)
        return super()._describe_at(k, trace)

    def _apply_split(self, trace: StepTrace, evaluate: bool) -> None:
        """A split step begun stage by stage: its update on every rank, observed like a whole step's last."""
        replies = self._call("apply")
        d: split_story.SplitRecord = trace.record
        d.applied = replies
        head = replies[0]
        d.rec.update, d.rec.lr = head["update"], head["lr"]
        self._took(replies, [head["loss"]] * len(replies))
        self.observed = [r["observed"] for r in replies]
        calls = [c for o in self.observed for c in o["comm"] if o["rank"] == 0]
        step_s = sum(r["seconds"] for r in replies) / len(replies)
        self._comm(sum(c["t1"] - c["t0"] for c in calls), step_s, sum(c["bytes"] for c in calls))
        trace.lr, trace.after = head["lr"], self._params_view()
        clip = self.config.grad_clip
        self._metrics([head["loss"]], [head["grad_norm"]], [head["lr"]], [clip > 0 and head["grad_norm"] > clip], evaluate)
        trace.metrics = self.outbox[-1]

    def _apply(self, trace: StepTrace, evaluate: bool = True) -> None:
        if isinstance(trace.record, split_story.SplitRecord):
            return self._apply_split(trace, evaluate)
        replies = self._call("apply")
        d: story.DistRecord = trace.record
        d.applied = replies
        d.rec.update, d.rec.lr = replies[0]["update"], replies[0]["lr"]
        self._took(replies, [r["loss"] for r in d.ranks])
        s = replies[0]["stats"]
        comm = [r["allreduce_s"] for r in d.ranks]
        self._comm(max(comm), sum(r["stats"]["seconds"] for r in replies) / len(replies), d.ranks[0]["bytes"])
        trace.lr, trace.after = d.rec.lr, self._params_view()
        self._metrics([d.loss], [d.rec.grad_norm], [s["lr"]], [s["clipped"]], evaluate)
        trace.metrics = self.outbox[-1]

    def run(self, steps: int, batch: int | None = None, evaluate: bool = False) -> int:
        """Whole steps, all asked of the workers at once; 0 while they (re)start (the caller comes back).
        `batch` and `evaluate` are ignored, as GPTTrainer.run does (held-out losses cost ~ten steps)."""
        done = self._finish_shown(evaluate=False)
        if done < steps:
            self._check()
            try:
                if not self.controller.wait_ready(0.2):
                    return done
            except WorkersFailed as exc:
                self._failed_start(exc)
            replies = self._call("steps", count=steps - done)
            self._took(replies, [r["losses"][-1] for r in replies])
            self.observed = [r["observed"] for r in replies]  # the last step, observed on every rank
            n = len(replies)
            losses = [sum(r["losses"][i] for r in replies) / n for i in range(steps - done)]
            self._comm(max(r["allreduce_s"] for r in replies), sum(r["seconds"] for r in replies) / n,
                       replies[0]["bytes"], sum(r["tokens"] for r in replies))
            # as the one-process GPT: held-out losses every EVAL_EVERY steps, whatever `evaluate` says
            self._metrics(losses, replies[0]["grad_norms"], replies[0]["lrs"], replies[0]["clipped"], False)
            done = steps
        return done

    def _comm(self, allreduce_s: float, step_s: float, grad_bytes: int, tokens: int | None = None) -> None:
        self.comm = {"allreduce_s": allreduce_s, "step_s": step_s, "share": allreduce_s / step_s if step_s else None,
                     "gradient_bytes": grad_bytes, "bytes_per_worker": story.ring_bytes(grad_bytes, self.config.workers),
                     "tokens_per_s": tokens / step_s if tokens and step_s else None}

    def _metrics(self, losses, norms, lrs, clipped, evaluate: bool) -> None:
        """One StepMetrics per step just taken (the last may carry the held-out losses)."""
        first = self.steps_done - len(losses) + 1
        if evaluate or self.steps_done - self.evaluated_at >= EVAL_EVERY:
            ev = self._call("evaluate", None if self.split else [0])[0]["eval"]  # a split model: every rank
            if ev is not None:  # a pipeline's held-out loss is not measured yet: the last one stays, with its step
                self.evaluated, self.evaluated_at = ev, self.steps_done
        for i, loss in enumerate(losses):
            ev = self.evaluated if first + i == self.evaluated_at else None
            self.outbox.append(StepMetrics(first + i, loss, ev and ev["train"], ev and ev["val"], grad_norm=norms[i],
                                           clipped=clipped[i], lr=lrs[i]))

    # ----- what the one-process GPT offers and this one does not -----------------------------------
    def fork(self):
        raise ValueError("a data-parallel run can't be forked (its weights live in the workers): save it instead")

    def restore(self, saved: dict) -> None:
        raise ValueError("a saved run loads into one process: create it with workers 1")

    def switch_phase(self, phase: str) -> dict:
        raise ValueError("fine-tuning runs in one process here: create the run with workers 1 to switch phases")

    def set_param(self, name, index, value) -> None:
        raise ValueError("a weight of a data-parallel run lives in every worker: edit weights with workers 1")

    def set_data(self, rows) -> None:
        raise ValueError("the transformer reads text: paste yours into the `text` setting")

    def landscape(self, *args, **kwargs) -> dict:
        raise ValueError("loss landscapes are drawn for the small models; the GPT has 800,000 axes")

    def explain(self, name: str, index) -> dict:
        raise ValueError("the transformer trains with torch.optim: ask 'optimizer_state' for a weight's m and v")

    def export(self) -> RunExport:
        """Rank 0's run (every replica holds the same) as the one-process GPT exports it — weights,
        optimizer, schedule, batch order — with `workers: 1`: a saved or restored copy goes on in one
        process, exactly where this one is. While the workers (re)start it doesn't wait for them (the
        room checkpoints itself when idle): step 0's local copy, or the last export (older, but whole)."""
        if not self.controller.ready and (self.steps_done == 0 or self._exported is not None):
            return self._exported if self.steps_done else self._one_process(run_export(self.local, 0))
        ranks = None if self.split else [0]  # a split run's every rank joins the gathers
        self._exported = self._one_process(self._call("export", ranks)[0]["export"])
        return self._exported

    def _one_process(self, saved: RunExport) -> RunExport:
        saved.config = {**saved.config, **self.config.to_dict(), "workers": 1, "parallel": None}
        return saved

    # ----- views -----------------------------------------------------------------------------
    def dataset_view(self) -> dict:
        d = self.local.data
        return {"kind": "text", "source": d.source, "characters": len(d.corpus), "vocab": self.local.tok.display(),
                "excerpt": d.corpus[:400], "task": d.task, "task_examples": d.task_train_lines[:5]}

    def field(self) -> None:
        return None

    def workers_view(self) -> list[dict]:
        """Per rank: rank, pid, alive, stage (start-up progress), param_checksum, tokens/s, its shard's last loss."""
        mine = {r["rank"]: r for r in self.per_rank}
        seen = {o["rank"]: observe.rank_view(o) for o in self.observed}
        return [{**s, **{k: mine.get(s["rank"], {}).get(k) for k in ("param_checksum", "tokens_per_s", "loss")},
                 **seen.get(s["rank"], {})} for s in self.controller.status]

    def parallel_view(self) -> dict:
        cfg = self.config
        shapes = {n: tuple(p.shape) for n, p in self.local.model.named_parameters()}
        return observe.parallel_view(self.par, self.observed, shapes, cfg.batch_size, cfg.block_size, cfg.n_embd,
                                     cfg.n_layer, cfg.optimizer)

    def ddp_view(self) -> dict:
        c = self.controller
        return {"workers": self.config.workers, "threads_per_worker": c.options["threads"], "ready": c.ready,
                "ready_seconds": c.ready_at, "error": c.error, "restarts": c.generation - 1,
                "checkpoint_every": self.config.checkpoint_every, "checkpoint_step": self.checkpoint_step,
                "lost": self.lost, "comm": self.comm, "param": self.local.tracked[0], "slice": 6,
                "one_worker": None if self.baseline is None else {"steps": [s for s, _ in self.baseline_losses],
                                                                  "losses": [v for _, v in self.baseline_losses]}}

    def snapshot(self) -> Snapshot:
        ev, sched = self.evaluated or {}, self.local.schedule_view(points=100)
        view = dict(self.rank0["view"]) if self.rank0 else self.local.view()
        view.update(step=self.steps_done, lr=self.local.lr_at())
        if self.comm and self.comm["tokens_per_s"]:
            view["tokens_per_s"] = self.comm["tokens_per_s"]  # all workers together
        last = view.get("last") or {}
        layers = ([{"grad_norm": last["layer_grad_norms"][g], "update_ratio": last["update_ratios"][g]}
                   for g in self.local.group_names] if last.get("layer_grad_norms") else None)
        gpt = {**view, "eval": ev, "eval_step": self.evaluated_at, "schedule": sched, "switches": [],
               "workers": self.workers_view(), "ddp": self.ddp_view(), "parallel": self.parallel_view(),
               "timeline": observe.timeline(self.observed) if self.observed else None}
        rising = bool(ev) and math.isfinite(ev["train"]) and ev["train"] > self.start_loss + 1.0
        first = self.held(rising, lambda: {"step": self.evaluated_at, "loss": ev["train"]})  # fixed when it began
        warning = (f"The loss rose from {self.start_loss:.3g} to {first['loss']:.3g} at step {first['step']}: "
                   "the steps overshoot.") if first else None
        return Snapshot(step=self.steps_done, params=self._params_view(), lr=self.local.lr_at(),
                        schedule={"steps": [float(s) for s, _ in sched["curve"]], "lr": [lr for _, lr in sched["curve"]]},
                        layers=layers, loss=ev.get("train"), test_loss=ev.get("val"), accuracy=None,
                        cursor=self.cursor_view(), curve=None, diverged=self.diverged, warning=warning, gpt=gpt)


def _first_sentence(text: str) -> str:
    """gloo's message without its source path and advice: "RuntimeError: Connection closed by peer
    [127.0.0.1]:4015." (the whole text stays in state.gpt.ddp.lost[].said)."""
    text = re.sub(r"\[/[^\]]*\]\s*", "", text)  # "[/__w/pytorch/…/pair.cc:553] "
    return text.split(". ")[0].rstrip(".") + "."


class RankZero:
    """The Transformer page's read-only looks (attention, probabilities, samples), asked of rank 0."""

    def __init__(self, trainer: DistributedTrainer):
        self.trainer = trainer

    def _look(self, name: str, *args):
        t = self.trainer
        if not t.controller.ready and t.steps_done == 0:
            return getattr(t.local, name)(*args)
        t._not_split(f"'{name}'")  # still starting: the local copy is the same step-0 model
        return t._call("look", [0], name=name, args=list(args))[0]["result"]

    def attention(self, text):
        return self._look("attention", text)

    def next_token_probs(self, text, position=None, temperature=1.0, top_k=None):
        return self._look("next_token_probs", text, position, temperature, top_k)

    def sample(self, n_chars=200, temperature=1.0, top_k=None, seed=0, prompt="\n"):
        return self._look("sample", n_chars, temperature, top_k, seed, prompt)

    def per_char_loss(self, snippet):
        return self._look("per_char_loss", snippet)

    def optimizer_state(self, name, index):
        return self._look("optimizer_state", name, list(index))
