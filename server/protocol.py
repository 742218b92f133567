"""The client's messages, as pydantic models: every one is validated here (the server's replies are
in replies.py; model configs, derived from the engine's dataclasses, in configs.py). docs/protocol.md
describes the same contract.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, TypeAdapter

from flowscope.engine.config import live_keys
from flowscope.engine.models import MODELS
from flowscope.engine.scale import choices as scale_choices

from .configs import Strict, config_models
from .replies import PROTOCOL_VERSION, SERVER
from .scale import ScaleRequest


# ----- client → server --------------------------------------------------------------------------
ModelName = Literal[tuple(MODELS)]


class Create(Strict):
    type: Literal["create"]
    model: ModelName = "neuron"
    config: dict[str, Any] = Field(default_factory=dict, max_length=64)


# What identifies things is ASCII of a known alphabet, checked here before any use (a non-ASCII token
# used to reach secrets.compare_digest, which raises on it, and the socket died without a close frame).
# Display names may be any language but hold no control characters.
Name = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]
# sessions.ALPHABET in any case (a typed code is upper-cased), spaces around it forgiven
RoomCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^ *[A-Za-z0-9]{1,14} *$")]
Token = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]  # secrets.token_urlsafe
MemberId = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]  # wire.Client.id (hex)
# a browser's own key for its saved runs (secrets, at least 16 characters: a short one could be guessed)
OwnerKey = Annotated[str, Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ShareKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]  # store: a run's share
RunId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$")]  # store.RUN_ID_PATTERN
ParamName = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.]+$")]


class Join(Strict):
    type: Literal["join"]
    session: RoomCode
    token: Optional[Token] = None  # the owner's secret: rejoin as owner
    # with the token: come back as the teacher who watches (a tab that handed control on, reloaded when
    # the room moved to another model): the class list still comes, the driver keeps driving
    watch: bool = False
    # shown to the owner, e.g. to hand control to "Ana"; checked by names.person_name (refused in words)
    name: Optional[Annotated[str, Field(max_length=200)]] = None


class Step(Strict):
    type: Literal["step"]
    # a batch is one step; a sample is one step on the next single sample (SGD one example at a time)
    unit: Literal["stage", "sample", "step", "batch", "epoch"] = "stage"
    count: Annotated[int, Field(ge=1, le=10000)] = 1


class Back(Strict):
    type: Literal["back"]
    count: Annotated[int, Field(ge=1, le=1000)] = 1


class Play(Strict):
    type: Literal["play"]


class Pause(Strict):
    type: Literal["pause"]


class Reset(Strict):
    type: Literal["reset"]


class Configure(Strict):
    type: Literal["configure"]
    config: dict[str, Any] = Field(max_length=64)


class Data(Strict):
    """Your own points: drawn (`points`, rows of x₁, x₂, label) or a CSV file's text (`csv`)."""

    type: Literal["data"]
    points: Optional[Annotated[list[Annotated[list[float], Field(min_length=3, max_length=3)]], Field(max_length=5000)]] = None
    csv: Optional[Annotated[str, Field(max_length=1 << 20)]] = None


class SetParam(Strict):
    """Edit one weight or bias by hand: `name` like "W0" or "b1", `index` its position."""

    type: Literal["set_param"]
    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$")]
    index: Annotated[list[Annotated[int, Field(ge=0, le=100000)]], Field(max_length=4)]
    value: Annotated[float, Field(ge=-1e6, le=1e6)]


class LandscapeQuery(Strict):
    """Ask for the loss over two parameter axes (read-only: viewers may ask too)."""

    type: Literal["landscape"]
    resolution: Annotated[int, Field(ge=3, le=101)] = 41
    kind: Literal["auto", "random", "weights"] = "auto"
    span: Optional[Annotated[float, Field(gt=0, le=100)]] = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    weights: Optional[Annotated[list[tuple[Annotated[str, Field(max_length=16, pattern=r"^[A-Za-z0-9_.]+$")],
                                           list[int]]],
                                Field(min_length=2, max_length=2)]] = None
    at: Literal["here", "start"] = "here"  # around the weights now, or the seed's starting weights


class ExplainQuery(Strict):
    """The last update of one weight with its numbers filled in (read-only)."""

    type: Literal["explain"]
    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$")]
    index: Annotated[list[Annotated[int, Field(ge=0, le=100000)]], Field(max_length=4)]


class Handover(Strict):
    """The owner gives control to a member of the room (by its `you` id); the token holder can
    always take it back (join with the token, or `reclaim`)."""

    type: Literal["handover"]
    to: MemberId


class Reclaim(Strict):
    type: Literal["reclaim"]
    token: Token


class Remove(Strict):
    """The teacher (a page that proved the owner token, driving or not) removes a member from the room
    (`to`: its `you` id), or forgets an absent student of the class list (`to`: the list's id)."""

    type: Literal["remove"]
    to: MemberId


class Recall(Strict):
    """The teacher brings everyone back: every student who forked is sent `recall` (their page
    returns to the class room)."""

    type: Literal["recall"]


class Allow(Strict):
    """The owner's room settings for viewers: `save` lets them save the room's run (into their own saved
    runs when they send their key, else the owner's); off by default."""

    type: Literal["allow"]
    save: bool


class Fork(Strict):
    """Copy the room's current state into a session of your own, to experiment."""

    type: Literal["fork"]


class Save(Strict):
    """Save the room's run; `owner`: the saver's own key (a browser's, kept in its localStorage), whose
    runs it joins in every room — else it is the room owner token's."""

    type: Literal["save"]
    name: Name = "untitled run"
    owner: Optional[OwnerKey] = None


class Load(Strict):
    """A saved run as a new room of your own — or, with `into_room`, into the room you own now (its
    code and members stay, every member follows); `token`: the owner (key or token) it was saved under;
    or `key`: the run's share key, from a trained-run link (a copy of your own, with a new token);
    with `view` too, the asker only watches it at its step (nobody can change it; `fork` copies it)."""

    type: Literal["load"]
    id: RunId
    token: Optional[Token] = None
    key: Optional[ShareKey] = None
    into_room: bool = False
    view: bool = False


class LessonMove(Strict):
    """The owner opens a lesson step; the whole room follows."""

    type: Literal["lesson"]
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]
    step: Annotated[int, Field(ge=0, le=100)]


class ScaleQuery(Strict):
    """POST /api/scale's question over the socket (no room needed): a page that changes a setting on
    every key press gets its figures in one round trip of well under a frame (an HTTP request from a
    browser took 7–17 ms here, the socket 1 ms). `seq` comes back with the answer."""

    type: Literal["scale"]
    seq: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    request: ScaleRequest = Field(default_factory=ScaleRequest)


class LessonClose(Strict):
    """The owner closes the lesson; every member's lesson panel closes."""

    type: Literal["lesson_close"]


Group = Annotated[str, Field(pattern=r"^[a-z][a-z-]{0,39}$")]
# A lesson step's words for what the page shows and lets you touch (lessons.py), served with the schema
# so the page keeps no list of its own. "curve" is the line's loss landscape L(a).
LESSON_VIEWS = ("pipeline", "formula", "data", "loss", "curve", "network", "boundary", "attention", "samples", "probe",
                "probs", "layers", "optim", "workers", "scale")  # scale: the Scale lesson's memory and days
LESSON_CONTROLS = ("stage", "back", "step", "epoch", "play", "reset", "settings", "network-editor", "data-editor")


class Locks(Strict):
    """The owner locks (greyed out) or hides control groups for everyone watching, at once — not only
    for those who open a new link. Groups as in links (`lock=lr,seed`)."""

    type: Literal["locks"]
    lock: Annotated[list[Group], Field(max_length=40)] = []
    hide: Annotated[list[Group], Field(max_length=40)] = []


class Undo(Strict):
    """The owner brings back the run as it was before the last change of settings (any configure, new
    data, a reset), whole: weights, optimizer state, step, data, loss history (engine/undo.py)."""

    type: Literal["undo"]


class Switch(Strict):
    """The owner moves the whole room to another model (a lesson on another model): same code, same
    members; every member gets the new `session`, `dataset` and `state`."""

    type: Literal["switch"]
    model: ModelName
    config: dict[str, Any] = Field(default_factory=dict, max_length=64)


class Phase(Strict):
    """The transformer: switch between pre-training (the corpus) and fine-tuning (the task set)."""

    type: Literal["phase"]
    phase: Literal["pretrain", "finetune"]


Probe = Annotated[str, Field(min_length=1, max_length=512)]
Temperature = Annotated[float, Field(ge=0.05, le=5.0)]


class AttentionQuery(Strict):
    """The transformer's attention maps for a probe text (read-only): a binary `attention` frame."""

    type: Literal["attention"]
    text: Optional[Probe] = None  # default: the start of the validation text


class ProbsQuery(Strict):
    """The next-token distribution after text[position] (read-only)."""

    type: Literal["probs"]
    text: Probe
    position: Optional[Annotated[int, Field(ge=0, le=511)]] = None
    temperature: Temperature = 1.0
    top_k: Optional[Annotated[int, Field(ge=1, le=512)]] = None


class SampleQuery(Strict):
    """Generated text from the model as it is now (read-only)."""

    type: Literal["sample"]
    chars: Annotated[int, Field(ge=1, le=2000)] = 200
    temperature: Temperature = 0.8
    top_k: Optional[Annotated[int, Field(ge=1, le=512)]] = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    prompt: Annotated[str, Field(min_length=1, max_length=256)] = "\n"


class CharLossQuery(Strict):
    """−ln p of each character given the ones before it (read-only)."""

    type: Literal["char_loss"]
    text: Annotated[str, Field(min_length=2, max_length=2000)]


class OptimizerStateQuery(Strict):
    """Adam's m and v (or SGD's momentum) of one weight (read-only)."""

    type: Literal["optimizer_state"]
    name: ParamName
    index: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=4)]


class KillWorker(Strict):
    """Data-parallel transformer runs (owner only): SIGKILL one worker process, as a failing machine."""

    type: Literal["kill_worker"]
    rank: Annotated[int, Field(ge=0, le=63)]


class DatasetQuery(Strict):
    """Ask for the session's training data again (read-only)."""

    type: Literal["dataset"]


class MeasureQuery(Strict):
    """Measure training memory and speed of the room's model on a copy (read-only); null = measure it."""

    type: Literal["measure"]
    checkpoint: Optional[bool] = None  # also with gradient checkpointing per block
    bf16: Optional[bool] = None  # also under bf16 autocast


# messages any member of a room may send: they read the room, or act on the sender's own behalf
GPT_QUERIES = (AttentionQuery, ProbsQuery, SampleQuery, CharLossQuery, OptimizerStateQuery)
QUERIES = (LandscapeQuery, ExplainQuery, DatasetQuery, Fork, Save, Reclaim, MeasureQuery, *GPT_QUERIES)

ClientMessage = Annotated[Union[Create, Join, Step, Back, Play, Pause, Reset, Configure, Data, SetParam,
                                LandscapeQuery, ExplainQuery, DatasetQuery, Handover, Reclaim, Allow, Fork, Save, Load,
                                LessonMove, LessonClose, Locks, Switch, Undo, ScaleQuery, Remove, Recall, Phase, AttentionQuery, ProbsQuery, SampleQuery, CharLossQuery,
                                OptimizerStateQuery, MeasureQuery, KillWorker],
                          Field(discriminator="type")]
CLIENT = TypeAdapter(ClientMessage)
MAX_EPOCHS = 100  # an epoch command runs at most this many passes (the runner is busy meanwhile)


def json_schema(max_width: int | None = None) -> dict[str, Any]:
    """What GET /api/schema serves: client messages, server messages and each model's config."""
    return {
        "protocol": PROTOCOL_VERSION,
        "client": CLIENT.json_schema(),
        "server": SERVER.json_schema(),
        "models": {name: model.model_json_schema() for name, model in config_models(max_width).items()},
        "live": {name: sorted(live_keys(spec.config)) for name, spec in MODELS.items()},
        "titles": {name: spec.label for name, spec in MODELS.items()},
        "starts": {name: dict(spec.start) for name, spec in MODELS.items()},  # a page's starting settings
        "symbols": {name: dict(spec.symbols) for name, spec in MODELS.items()},  # how formulas write each value
        "lessons": {"views": list(LESSON_VIEWS), "controls": list(LESSON_CONTROLS)},  # a lesson step's words
        "scale": scale_choices(),  # the Scale page's menus (POST /api/scale takes these names)
    }
