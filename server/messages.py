"""Engine objects → wire messages. Pure mapping: the numbers come from the engine untouched."""
from __future__ import annotations

from flowscope.engine.flow import StageEvent, StepMetrics

from .replies import DatasetMsg, MetricsMsg, PlanItem, PlanMsg, SessionMsg, StageMsg, StateMsg


def plan_items(plan) -> list[PlanItem]:
    return [PlanItem(**entry.to_dict()) for entry in plan]


def session_msg(code: str, model: str, role: str, trainer, you: str, token: str | None = None,
                restored: dict | None = None) -> SessionMsg:
    plan = trainer.plan
    return SessionMsg(id=code, model=model, role=role, you=you, token=token, config=trainer.config.to_dict(),
                      plan=plan_items(plan), restored=restored)


def plan_msg(plan) -> PlanMsg:
    return PlanMsg(plan=plan_items(plan))


def dataset_msg(trainer) -> DatasetMsg:
    view = trainer.dataset_view()
    if view.get("kind") == "text":  # the transformer's corpus; its fine-tuning task travels as finetune_task
        view = dict(view)
        view["finetune_task"] = view.pop("task")
    return DatasetMsg(**view)


def state_msg(trainer, playing: bool, undo: int | None = None) -> StateMsg:
    return StateMsg(**trainer.snapshot().fields(), playing=playing, config=trainer.config.to_dict(), undo=undo)


def progress(trainer) -> dict:
    """How far a run is, for the teacher's class list: its step and its last step's loss (None: none yet)."""
    last = trainer.recent[-1] if trainer.recent else None
    return {"step": trainer.steps_done, "loss": last.loss if last is not None else None}


def stage_msg(ev: StageEvent) -> StageMsg:
    return StageMsg(step=ev.step, stage=ev.stage, index=ev.index, layer=ev.layer, direction=ev.direction,
                    values=ev.values, params=ev.params, formula=ev.formula, caption=ev.caption, replay=ev.replay)


def metrics_msg(batch: list[StepMetrics], replace: bool = False) -> MetricsMsg:
    last = batch[-1]
    return MetricsMsg(replace=replace, step=last.step, loss=last.loss, train_loss=last.train_loss, test_loss=last.test_loss,
                      steps=[m.step for m in batch], losses=[m.loss for m in batch],
                      train_losses=[m.train_loss for m in batch], test_losses=[m.test_loss for m in batch],
                      lrs=[m.lr for m in batch], grad_norms=[m.grad_norm for m in batch],
                      clipped=[m.step for m in batch if m.clipped], positions=[m.position for m in batch])
