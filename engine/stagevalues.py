"""What each stage of each model's step reports: one dataclass per (kind of model, stage).

The stories (scratch/unit_story.py, scratch/mlp_story.py, transformer/story.py) fill them; the server
types the `stage` message's `values` with these very classes (pydantic reads stdlib dataclasses), so
each shape is written once, here. A field a model doesn't have is None and is left off the wire:
absent, never a made-up 0 (a line without its bias has no b and no ∂L/∂b).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Union


@dataclass
class Values:
    def as_json(self) -> dict[str, Any]:
        """The fields a client gets, as plain JSON values: every one that is not None."""
        return {k: v for k, v in asdict(self).items() if v is not None}


# ----- one unit: the neuron, the line -------------------------------------------------------------
@dataclass
class UnitInput(Values):
    x: list[list[float]]  # (batch, features)
    y: list[float]  # the true answers


@dataclass
class UnitWeights(Values):
    w: list[float]
    b: float | None = None  # None: not a parameter (the line with its bias off)


@dataclass
class UnitLinear(Values):
    z: list[float]  # z = w·x + b, per sample


@dataclass
class UnitActivation(Values):
    a: list[float]  # a = f(z), per sample


@dataclass
class UnitLoss(Values):
    loss: float  # the batch mean


@dataclass
class UnitGradients(Values):
    grad_w: list[float]
    dz: list[float]  # ∂L/∂z per sample
    grad_b: float | None = None


@dataclass
class UnitUpdate(Values):
    w: list[float]  # after the step
    lr: float  # the rate the step used
    b: float | None = None


# ----- a network of layers ----------------------------------------------------------------------
@dataclass
class LayerParams:
    W: list[list[float]]  # (units, inputs)
    b: list[float]
    activation: str  # the layer's function, by name


@dataclass
class NetInput(Values):
    x: list[list[float]]  # (batch, features)
    y: list[float]  # labels (class numbers) or targets


@dataclass
class NetWeights(Values):
    layers: list[LayerParams]


@dataclass
class NetLinear(Values):
    z: list[list[float]]  # (batch, units) of this layer


@dataclass
class NetActivation(Values):
    a: list[list[float]]  # (batch, units) of this layer


@dataclass
class NetLoss(Values):
    loss: float  # data loss + regularization
    data_loss: float
    reg: float


@dataclass
class NetGradients(Values):
    grad_W: list[list[float]]  # this layer's, (units, inputs)
    grad_b: list[float]
    dz: list[list[float]]  # (batch, units)


@dataclass
class NetUpdate(Values):
    layers: list[LayerParams]  # after the step
    lr: float


# ----- the character GPT -----------------------------------------------------------------------
@dataclass
class GPTInput(Values):
    text: list[str]  # the window's first characters
    ids: list[int]  # their token ids
    targets: list[int]  # the next character's id at each position
    next: list[str]
    shape: list[int]  # (B, T) of the batch
    vocab_size: int


@dataclass
class GPTWeights(Values):
    wte_shape: list[int]
    wpe_shape: list[int]
    wte_norm: float
    wpe_norm: float
    n_params: int
    tok: list[float]  # the first token's embedding (first entries)
    pos: list[float]  # position 0's embedding
    x0: list[float]  # their sum: what enters block 1


@dataclass
class GPTScores(Values):
    """Attention's matmul: a query against every key (block's head 0)."""

    block: int
    head: int
    query: int
    qkv_shape: list[int]
    scores_shape: list[int]
    q: list[float]
    k: list[list[float]]
    scores: list[float]
    d: int
    dot: float


@dataclass
class GPTAttention(Values):
    """Softmax over the scores: how much the query looks at each earlier position."""

    block: int
    head: int
    query: int
    row: list[float]
    sum: float
    map: list[list[list[float]]]  # (heads, T, T): every head's weights for the first window
    att_shape: list[int]


@dataclass
class GPTMLPLinear(Values):
    block: int
    fc_shape: list[int]
    x: list[float]
    h: list[float]


@dataclass
class GPTMLPActivation(Values):
    block: int
    h: list[float]
    g: list[float]  # GELU(h)
    negative: float  # share of h below 0
    small: float


@dataclass
class GPTLoss(Values):
    loss: float
    p_true: float
    true: str
    pos_loss: float
    top: list[list[Any]]  # [character, probability] of the most likely next characters
    uniform: float  # ln(vocab): the loss of a uniform guess
    logits_shape: list[int]


@dataclass
class GPTGradients(Values):
    block: int
    grads: dict[str, float]  # ‖∂L/∂W‖ per weight of the sublayer
    dout_norm: float
    dx_norm: float
    element: dict[str, Any]  # one named weight's gradient entry
    dlogit_true: float | None = None  # the last sublayer: the head's view
    p_true: float | None = None
    n_positions: int | None = None
    head_grad: float | None = None
    wte_grad: float | None = None  # the first sublayer: the embeddings'
    wpe_grad: float | None = None


@dataclass
class GPTUpdate(Values):
    param: str
    index: list[int]
    before: dict[str, Any]
    after: dict[str, Any]
    grad: float
    grad_norm: float
    max_norm: float
    clipped: bool
    lr: float
    ratios: dict[str, float]  # ‖Δθ‖/‖θ‖ per group
    optimizer: str


# ----- the character GPT trained by N data-parallel workers (engine/distributed/story.py) ----------------
# The one-process values, told from worker 0's shard, plus what every worker did.
@dataclass
class GPTInputDDP(GPTInput):
    shards: list[dict[str, Any]]  # per rank: rank, rows (each window's text), first_row, count


@dataclass
class GPTLossDDP(GPTLoss):
    workers: list[dict[str, Any]]  # per rank: rank, loss (its own shard's mean); `loss` is the global batch's
    rank0_loss: float


@dataclass
class GPTGradientsDDP(GPTGradients):
    # per rank: rank, loss, grad_norm (its own ‖g‖ before the all-reduce), grad_slice (the first entries
    # of `param`'s gradient before the all-reduce), param
    workers: list[dict[str, Any]] | None = None


@dataclass
class GPTUpdateDDP(GPTUpdate):
    workers: list[dict[str, Any]] | None = None  # per rank: rank, param_checksum (SHA-1 of its parameters)


@dataclass
class AllReduce(Values):
    """The workers' gradients averaged: one named tensor's first entries before and after, on every rank."""

    param: str
    workers: int  # N
    before: list[dict[str, Any]]  # per rank: rank, grad_slice
    after: list[dict[str, Any]]  # the same, after: equal on every rank
    gradient_bytes: int  # one replica's gradient
    bytes_per_worker: int  # a ring all-reduce: 2(N−1)/N × gradient_bytes
    seconds: float  # the slowest rank: buckets handed over → reduced buckets back
    seconds_per_rank: list[float]
    buckets: int
    grad_norms: list[float]  # each rank's own ‖g‖ before


@dataclass
class Collective(Values):
    """One collective of a split run's step (engine/distributed/split_story.py), as every rank did it:
    the first entries of each rank's piece going in and of the result it got back."""

    op: str  # allreduce, allgather, reducescatter, sendrecv, broadcast
    group: str  # the mesh dimension: dp, tp or pp
    group_size: int
    direction: str  # forward, backward, or update (zero 1's broadcast of the updated parameters)
    label: str  # what the numbers are: "block 1's attention output (b, T, C), first entries"
    shape: list[int] | None  # the tensor each rank puts in
    bytes: int  # its payload on rank 0
    sent: float  # bytes each rank sends, by the ring formula (send/recv: the payload)
    before: list[dict[str, Any]]  # per rank: rank, slice (its piece's first entries)
    after: list[dict[str, Any]]  # per rank: rank, slice (the result's first entries; absent where not readable)
    seconds: float  # the slowest rank's


# what a `stage` message's values may be (the server's StageMsg types them with this)
StageValues = Union[UnitInput, UnitWeights, UnitLinear, UnitActivation, UnitLoss, UnitGradients, UnitUpdate,
                    NetInput, NetWeights, NetLinear, NetActivation, NetLoss, NetGradients, NetUpdate,
                    GPTInput, GPTWeights, GPTScores, GPTAttention, GPTMLPLinear, GPTMLPActivation, GPTLoss,
                    GPTGradients, GPTUpdate, GPTInputDDP, GPTLossDDP, GPTGradientsDDP, GPTUpdateDDP, AllReduce,
                    Collective]
