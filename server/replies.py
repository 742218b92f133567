"""Server → client messages, as pydantic models: every frame the server sends is built from one of
these (docs/protocol.md describes the same contract; protocol.py has the client's side)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_serializer

from flowscope.engine.flow import STAGES
from flowscope.engine.stagevalues import StageValues

PROTOCOL_VERSION = 1


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommItem(Out):
    """A communication stage's collective (engine/flow.py PlanEntry.comm)."""

    op: Literal["allreduce", "allgather", "reducescatter", "sendrecv", "broadcast"]
    group: str  # the mesh dimension it runs over: "dp", "tp" or "pp"
    bytes: int  # the payload of one such collective on rank 0


class PlanItem(Out):
    """One stage of the step's plan with its words (engine/flow.py PlanEntry): the page's only source
    of stage titles. A model's plan repeats `linear`/`activation`/`gradients` per layer."""

    stage: Literal[STAGES]
    layer: int
    direction: Literal["forward", "backward"]
    title: str  # unique within the plan: "Linear combination · hidden layer 1"
    subtitle: str  # what the stage computes here, in symbols: "z = W·a + b"
    stage_title: str  # the stage's one title, the same for every model: "Linear combination"
    part: str  # the layer's name where the stage repeats per layer ("hidden layer 1"), else ""
    short: str  # `part` in a few characters, for a pill ("1", "out", "attn 1"), else ""
    shape: str = ""  # the stage's tensor, axes and sizes: "(B, T, C) = (12, 24, 48)" (the Transformer's), else ""
    comm: Optional[CommItem] = None  # a split run's communication stages only


class Restored(Out):
    step: int  # the step the checkpoint held
    saved: float  # when it was written (seconds since the epoch)


class SessionMsg(Out):
    type: Literal["session"] = "session"
    id: str
    model: str
    role: Literal["owner", "viewer"]
    you: str  # this connection's id in the room (for hand-over)
    token: Optional[str] = None  # the owner's secret, only ever sent to the session's creator
    protocol: int = PROTOCOL_VERSION
    config: dict[str, Any]
    plan: list[PlanItem]
    restored: Optional[Restored] = None  # the room came back from a checkpoint (after a restart): from where


class PlanMsg(Out):
    """The step's new plan, to the whole room, whenever a change of shape (layers, blocks, optimizer,
    new data) changed it; it replaces the `session`'s plan."""

    type: Literal["plan"] = "plan"
    plan: list[PlanItem]


class DatasetMsg(Out):
    type: Literal["dataset"] = "dataset"
    kind: Literal["points", "text"] = "points"
    # points (neuron, line, mlp)
    x: Optional[list[list[float]]] = None
    y: Optional[list[float]] = None
    features: Optional[list[str]] = None
    target: Optional[str] = None
    task: Optional[Literal["classification", "regression"]] = None
    classes: Optional[int] = None  # 0 for regression
    inputs: Optional[list[str]] = None  # the model's input features (after expansion, for networks)
    test_x: Optional[list[list[float]]] = None
    test_y: Optional[list[float]] = None
    # text (transformer)
    source: Optional[str] = None  # where the corpus came from
    characters: Optional[int] = None
    vocab: Optional[list[str]] = None  # the characters, in token-id order
    excerpt: Optional[str] = None
    finetune_task: Optional[str] = None
    task_examples: Optional[list[str]] = None


class Cursor(Out):
    step: int
    index: int
    stage: str
    live: bool


class StateMsg(Out):
    type: Literal["state"] = "state"
    step: int
    params: dict[str, Any]
    lr: float
    loss: Optional[float]
    test_loss: Optional[float]
    accuracy: Optional[dict[str, float]]
    schedule: Optional[dict[str, list[float]]]  # the lr schedule sampled for plotting (null: constant)
    layers: Optional[list[dict[str, float]]]  # networks: per layer, activation spread and gradient size
    playing: bool
    cursor: Optional[Cursor]
    curve: Optional[dict[str, Any]]
    diverged: Optional[str]
    warning: Optional[str]
    landscape_at: Optional[list[float]] = None  # where the weights are in the last landscape's axes
    undo: Optional[int] = None  # the step `undo` would go back to (the run before the last change of settings)
    config: dict[str, Any]
    gpt: Optional[dict[str, Any]] = None  # the transformer only: phase, device, tokens/s, eval losses …
    epoch: Optional[float] = None  # passes over the training set so far (samples seen ÷ its size)


class StageMsg(Out):
    type: Literal["stage"] = "stage"
    step: int
    stage: Literal[STAGES]
    index: int
    layer: int
    direction: Literal["forward", "backward"]
    values: StageValues  # typed per model and stage by the engine's own dataclasses (engine/stagevalues.py)
    params: dict[str, Any]
    formula: str
    caption: str
    replay: bool

    @field_serializer("values")
    def _values(self, values) -> dict[str, Any]:
        return values.as_json()  # a field the model doesn't have (None) stays off the wire


class MetricsMsg(Out):
    type: Literal["metrics"] = "metrics"
    step: int
    loss: Optional[float]
    train_loss: Optional[float]
    test_loss: Optional[float]
    steps: list[int]
    losses: list[Optional[float]]
    train_losses: list[Optional[float]]
    test_losses: list[Optional[float]]
    lrs: list[Optional[float]]  # the rate each step used
    grad_norms: list[Optional[float]]  # ‖g‖ before clipping
    clipped: list[int]  # the steps whose gradient was clipped
    positions: list[Optional[list[float]]]  # each step's place in the last landscape's axes (null: none asked)
    replace: bool = False  # true: these are the run's whole recent history (after an undo): the chart starts over


class ErrorMsg(Out):
    type: Literal["error"] = "error"
    message: str
    # internal: a fault of the server's (logged there); the room goes on unchanged
    code: Literal["bad_message", "bad_data", "no_session", "not_owner", "diverged", "too_large", "busy",
                  "internal", "worker_lost", "room_lost", "not_saved", "saved_again", "bad_name"] = "bad_message"


class LandscapeMsg(Out):
    type: Literal["landscape"] = "landscape"
    kind: Literal["unit", "random", "weights"]
    at: Literal["here", "start"]
    axes: list[str]
    x: list[float]
    y: list[float]
    loss: list[list[Optional[float]]]  # one row per y value
    center: list[float]
    start: Optional[list[float]]  # the starting weights in these axes
    minimum: list[float]  # x, y and loss of the grid's lowest point
    step: int


class Cell(Out):
    """One term of an update as a page shows it (engine/updatetable.py)."""

    key: str
    sym: str
    title: str
    value: Union[float, list[float]]  # before → after is a pair


class UpdateTable(Out):
    cells: list[Cell] = []  # the terms in reading order, each with its number
    rows: Optional[list[list[str]]] = None  # Adam: [m, 1−β₁ᵗ, m̂] and [v, 1−β₂ᵗ, v̂], by key
    note: Optional[str] = None  # Adam's bias correction in words while it matters


class ExplainMsg(UpdateTable):
    type: Literal["explain"] = "explain"
    step: int
    name: str
    index: list[int]
    optimizer: str
    rule: str  # the update rule in symbols
    lines: list[str]  # the rule with this weight's numbers filled in
    # g, lr, before, after, step (and AdamW's decay: after = before − decay − step), the rule's state and
    # terms (v, mu, direction; s, sqrt_s; m, v, t, c1, c2, m_hat, v_hat, denom), weight_decay, and when
    # that step was clipped clip_scale, grad_norm, max_norm — see docs/protocol.md
    values: dict[str, float]


class PhaseMsg(Out):
    type: Literal["phase"] = "phase"
    step: int
    to: str
    samples: dict[str, str]  # what the model wrote just before the switch: text, and a task answer
    eval: dict[str, float]  # train/val loss on the corpus and on the task at the switch


class ProbsMsg(Out):
    type: Literal["probs"] = "probs"
    step: int
    context: str
    vocab: list[str]
    probs: list[float]  # sums to 1
    top: list[dict[str, Any]]


class SampleMsg(Out):
    type: Literal["sample"] = "sample"
    step: int
    prompt: str
    text: str


class CharLossMsg(Out):
    type: Literal["char_loss"] = "char_loss"
    step: int
    chars: list[str]
    loss: list[Optional[float]]  # the first character has no prediction: null
    mean: float


class ExplainedUpdate(UpdateTable):
    """One weight's last update written out by the engine, as `explain` gives it."""

    rule: str  # the update rule in symbols
    lines: list[str]  # the rule with this weight's numbers filled in
    # g, grad (before clipping), clip_scale, grad_norm, max_norm, lr, before, after, step; for Adam/AdamW
    # m, v, t, beta1, beta2, eps, c1, c2, m_hat, v_hat, denom, direction; AdamW's weight_decay and decay
    values: dict[str, float]


class OptimizerState(Out):
    """A transformer weight and its torch.optim state (engine/transformer/run.py optimizer_state)."""

    value: float  # the weight now
    grad: Optional[float]  # its .grad now (the last step's, clipped; null before any step)
    step: int  # torch's step count t for this weight (0: no update yet)
    exp_avg: Optional[float] = None  # Adam's m
    exp_avg_sq: Optional[float] = None  # Adam's v
    sqrt_v: Optional[float] = None  # √v
    momentum_buffer: Optional[float] = None  # SGD with momentum
    update: Optional[ExplainedUpdate] = None  # the last update with every term; null when not known


class OptimizerStateMsg(Out):
    type: Literal["optimizer_state"] = "optimizer_state"
    step: int
    name: str
    index: list[int]
    state: OptimizerState


class MeasureMsg(Out):
    """Measured training memory and speed beside engine/scale's prediction (docs/protocol.md)."""

    type: Literal["measure"] = "measure"
    step: int
    model: str
    config: dict[str, Any]
    param_bytes: int
    optimizer_bytes: int
    optimizer_extra_bytes: int  # Adam's per-tensor step counters
    grad_bytes: int
    saved: dict[str, Optional[int]]  # plain, checkpoint, bf16: saved-for-backward bytes (null: not asked)
    saved_tensors: list[Any]  # (shape, dtype) of each saved storage, plain fp32
    step_seconds: dict[str, Optional[float]]  # plain, checkpoint
    flops_per_step: float
    achieved_flops: float
    peak_flops: float  # this machine's measured matmul peak
    mfu: float
    predicted: dict[str, Any]
    notes: list[str]
    device: Literal["cpu", "cuda"]


class Member(Out):
    id: str
    name: Optional[str]
    role: Literal["owner", "viewer"]
    # the class list: in the room ("following"), gone to a room of their own ("forked"), or gone
    state: Literal["following", "forked", "disconnected"] = "following"
    teacher: bool = False  # a page that proved the owner token (room.teachers): the teacher, driving or not
    step: Optional[int] = None  # a forked student's run: its step and last loss, as its room's runner reports
    loss: Optional[float] = None


class RosterMsg(Out):
    """Who is in the room, and the students who left it; sent to the owner and to the teacher's pages
    (driving or not) whenever it changes."""

    type: Literal["roster"] = "roster"
    members: list[Member]


class SavedMsg(Out):
    type: Literal["saved"] = "saved"
    id: str
    name: str
    steps: int


class ScaleMsg(Out):
    """The answer to a `scale` query: POST /api/scale's reply as `result`, or its 422 `detail`."""

    type: Literal["scale"] = "scale"
    seq: int
    result: Optional[dict[str, Any]] = None
    detail: Optional[list[dict[str, Any]]] = None


class RecallMsg(Out):
    """To a student who forked: the teacher brings everyone back to room `session`."""

    type: Literal["recall"] = "recall"
    session: str


class RemovedMsg(Out):
    """To a member the teacher removed from room `session`: the page leaves it and does not rejoin."""

    type: Literal["removed"] = "removed"
    session: str


class LessonClosedMsg(Out):
    """The owner closed the lesson (to everyone)."""

    type: Literal["lesson_closed"] = "lesson_closed"


class LocksMsg(Out):
    """What the owner locks or hides for the room's watchers (to everyone, and to each late joiner)."""

    type: Literal["locks"] = "locks"
    lock: list[str]
    hide: list[str]


class LessonMsg(Out):
    """Where the room is in a lesson (sent to everyone, and to each late joiner)."""

    type: Literal["lesson"] = "lesson"
    id: str
    step: int


ServerMessage = Annotated[Union[SessionMsg, DatasetMsg, StateMsg, StageMsg, MetricsMsg, ErrorMsg, LandscapeMsg,
                                RosterMsg, SavedMsg, LessonMsg, PhaseMsg, ProbsMsg, SampleMsg, CharLossMsg,
                                OptimizerStateMsg, PlanMsg, MeasureMsg, LessonClosedMsg, LocksMsg,
                                ScaleMsg, RecallMsg, RemovedMsg],
                          Field(discriminator="type")]
SERVER = TypeAdapter(ServerMessage)


