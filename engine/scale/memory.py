"""Memory per GPU in training: the model states (weights, gradients, optimizer state) and the
activations saved for the backward pass, and what each kind of parallelism really divides.

Byte convention (per parameter, the ZeRO paper's, arXiv 1910.02054 §3.1; other calculators use 10
bytes or "4× the fp32 size" without saying so):
  fp32:        weights 4, gradients 4, Adam m and v 4 + 4 = 8                         → 16
  bf16 mixed:  weights 2, gradients 2, fp32 master copy 4 + Adam m 4 + v 4 = 12       → 16
  8-bit Adam:  as bf16 mixed, but m and v one byte each: master 4 + 2 = 6 (Dettmers et al. 2021,
               arXiv 2110.02861; in fp32 training there is no master copy: 2)
  SGD (no momentum): no optimizer state; under bf16 mixed the fp32 master copy remains (4).
"""
from __future__ import annotations

from .params import Shape, count, norm_params

# the choices by name, with the words a page shows for them
PRECISIONS = {"fp32": "fp32", "bf16_mixed": "bf16 mixed (fp32 master)"}
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "adam8bit": "8-bit Adam", "sgd": "SGD", "momentum": "SGD + momentum"}
RECOMPUTE = {"none": "none", "selective": "selective", "full": "full"}
ZERO_STAGES = {0: "0: none", 1: "1: optimizer", 2: "2: + gradients", 3: "3: + weights (FSDP)"}  # what each shards

CONVENTION = ("ZeRO (arXiv 1910.02054 §3.1): bytes per parameter for weights + gradients + optimizer state; "
              "bf16 mixed Adam = 2 + 2 + (4 fp32 master + 4 m + 4 v) = 16")


def bytes_per_param(precision: str, optimizer: str) -> dict[str, float]:
    """Weights, gradients and optimizer state, in bytes per parameter (the convention above)."""
    w = g = 4 if precision == "fp32" else 2
    master = 0 if precision == "fp32" else 4  # mixed precision updates an fp32 copy, then casts it down
    # Adam's (and AdamW's) m and v, 4 bytes each; 8-bit Adam: one byte each; SGD with momentum: one buffer
    state = {"adam": 8, "adamw": 8, "adam8bit": 2, "sgd": 0, "momentum": 4}[optimizer]
    return {"weights": w, "gradients": g, "optimizer": master + state}


def held_params(shape: Shape, tp: int = 1, pp: int = 1, stage: int = 0) -> float:
    """Parameters one GPU keeps before ZeRO divides them, split the way the live run splits the model
    (engine/distributed/split.py, parallel.py `local_shape`), so the calculator and the run agree.

    Tensor parallelism (Megatron, arXiv 1909.08053 §3) splits each block's matrices over tp GPUs: Q, K, V
    and the MLP's input side by rows (their biases too), both output projections by columns. The blocks'
    norms, the output projections' biases, the embeddings and the output head stay whole on every tp
    rank (Megatron-LM also splits the embedding and head over the vocabulary; this engine's run does
    not). Pipeline parallelism gives each of pp stages L/pp blocks; the first stage also holds the
    embeddings, the last the final norm and the head (what a stage needs to run).
    """
    c, L, d = count(shape), shape.n_layer, shape.d_model
    whole = L * (2 * norm_params(shape) + (2 * d if shape.bias else 0))  # per block: 2 norms, 2 output biases
    split = c["attention"] + c["mlp"] + 2 * L * norm_params(shape) - whole
    held = (split / tp + whole) / pp
    if stage == 0:
        held += c["embedding"]
    if stage == pp - 1:
        held += norm_params(shape) + c["head"]
    return held


def model_states(n_params: int, precision: str, optimizer: str, dp: int = 1, tp: int = 1, pp: int = 1,
                 zero: int = 0, held: float | None = None) -> dict[str, float]:
    """Bytes of each model state on one GPU, in the step.

    `held`: the parameters this GPU keeps of its tp·pp share (`held_params`); without it every weight
    is taken as divided by tp·pp. Data parallelism copies everything, unless ZeRO shards it over the
    dp copies (arXiv 1910.02054 §5): stage 1 the optimizer state, stage 2 also the gradients, stage 3
    (= FSDP) also the weights. ZeRO-2 computes with whole weights: PyTorch's FSDP keeps its 1/dp between
    steps and gathers them for the step (`at_rest` says so); this figure is the step's.
    """
    per = bytes_per_param(precision, optimizer)
    local = n_params / (tp * pp) if held is None else held  # the parameters this GPU's shard of the model holds
    return {
        "weights": local * per["weights"] / (dp if zero >= 3 else 1),
        "gradients": local * per["gradients"] / (dp if zero >= 2 else 1),
        "optimizer": local * per["optimizer"] / (dp if zero >= 1 else 1),
    }


def at_rest(states: dict[str, float], dp: int, zero: int) -> dict[str, float]:
    """The model states between steps, as the live run keeps them (PyTorch FSDP2, engine/distributed/split.py):
    ZeRO-2 there (`reshard_after_forward=False`, FSDP's SHARD_GRAD_OP) keeps 1/dp of the weights at rest and
    gathers them whole from the first forward to the end of the backward; ZeRO's paper keeps them whole."""
    return {**states, "weights": states["weights"] / dp if zero == 2 else states["weights"]}


def states_split(n_params: int, precision: str, optimizer: str, tp: int, pp: int, zero: int,
                 held: float | None = None) -> tuple[float, float]:
    """(bytes each GPU keeps whatever dp is, bytes ZeRO divides by dp): the model states on one GPU
    are fixed + sharded / dp, so the fewest copies that fit can be solved for, not searched."""
    one = model_states(n_params, precision, optimizer, 1, tp, pp, zero, held)
    sharded = sum(one[k] for k, stage in (("weights", 3), ("gradients", 2), ("optimizer", 1)) if zero >= stage)
    return sum(one.values()) - sharded, sharded


def per_gpu(shape: Shape, n_params: int, training: dict, par: dict) -> dict[str, float]:
    """Every part of one GPU's memory (the first pipeline stage's), and their total."""
    states = model_states(n_params, training["precision"], training["optimizer"], par["dp"], par["tp"], par["pp"],
                          par["zero"], held_params(shape, par["tp"], par["pp"]))
    act = activations(shape, training["micro_batch"], training["recompute"], training["precision"], par["tp"],
                      par["pp"], par["sp"] and par["tp"] > 1)
    mem = {**states, "activations": act}
    return {**mem, "total": sum(mem.values())}


def activation_terms(shape: Shape, micro_batch: int, recompute: str, precision: str) -> list[dict]:
    """What one transformer layer saves for backward, tensor by tensor, after Korthikanti et al. 2022
    ("Reducing Activation Recomputation in Large Transformer Models", arXiv 2205.05198, §4).

    The paper counts a GPT block (multi-head attention, GELU MLP of 4h, dropout) with 16-bit
    activations and 1-byte dropout masks: s·b·h·(34 + 5·a·s/h) bytes; models trained without dropout
    (Llama) save no masks: 32 and 2·a·s/h. Written per tensor, the same count follows any d_ff,
    grouped-query attention (smaller K and V) and SwiGLU (one more d_ff-wide tensor); for GPT's
    layout it is exactly the paper's 34 and 5·a·s/h. `tp` says whether the tensor lives inside a
    tensor-parallel region (divided by t) or not (the paper's 10 + 24/t).
    Each term: what, elements (per layer), bytes per element, tp-split.
    """
    s, b, h, a = shape.seq_len, micro_batch, shape.d_model, shape.n_head
    f, kv = shape.d_ff, shape.d_kv
    w = 4 if precision == "fp32" else 2  # the paper's 16-bit activations; fp32 training doubles them
    sbh = s * b * h
    if recompute == "full":
        # only each layer's input is kept, the rest recomputed in backward (the paper's full recomputation: 2·s·b·h)
        return [{"what": "layer input (everything else recomputed)", "elements": sbh, "bytes": w, "tp": False}]
    terms = [
        {"what": "LayerNorm inputs (2 norms)", "elements": 2 * sbh, "bytes": w, "tp": False},
        {"what": "attention input (to Q, K, V)", "elements": sbh, "bytes": w, "tp": False},
        {"what": "Q and K (for QKᵀ)", "elements": s * b * (h + kv), "bytes": w, "tp": True},
        {"what": "V (for softmax·V)", "elements": s * b * kv, "bytes": w, "tp": True},
        {"what": "attention output (to the projection)", "elements": sbh, "bytes": w, "tp": True},
        {"what": "MLP input", "elements": sbh, "bytes": w, "tp": False},
    ]
    if shape.mlp == "swiglu":
        # a fused SwiGLU keeps gate and up (silu(gate) is recomputed) and their product for `down`
        terms.append({"what": "SwiGLU gate, up and product (3 × d_ff)", "elements": 3 * s * b * f, "bytes": w,
                      "tp": True})
    else:
        terms.append({"what": "GELU input and output (2 × d_ff)", "elements": 2 * s * b * f, "bytes": w,
                      "tp": True})
    if shape.dropout:  # one byte per element: kept or dropped, after attention and after the MLP
        terms.append({"what": "dropout masks (2)", "elements": 2 * sbh, "bytes": 1, "tp": False})
    if recompute == "none":
        # the a·s×s attention matrices: softmax output, and with dropout its mask (1 byte) and output;
        # the paper's selective recomputation (§5) drops exactly these, as FlashAttention-style kernels do
        ass = a * s * s * b
        terms.append({"what": "softmax output (a·s·s)", "elements": ass, "bytes": w, "tp": True})
        if shape.dropout:
            terms += [{"what": "attention dropout mask and output (a·s·s)", "elements": ass, "bytes": 1 + w,
                       "tp": True}]
    return terms


def activations_per_layer(shape: Shape, micro_batch: int, recompute: str, precision: str, tp: int = 1,
                          sp: bool = False) -> float:
    """Bytes one layer keeps for backward on one GPU: the tensor-parallel parts divided by tp; with
    sequence parallelism (Korthikanti et al.) the rest too, split along the sequence: all ÷ tp."""
    return sum(t["elements"] * t["bytes"] / (tp if t["tp"] or sp else 1)
               for t in activation_terms(shape, micro_batch, recompute, precision))


def korthikanti(s: int, b: int, h: int, a: int, recompute: str = "none", t: int = 1) -> float:
    """The paper's closed forms (16-bit, GPT block with dropout), for checking the per-tensor count:
    none: s·b·h·(10 + 24/t + 5·a·s/(h·t)); selective: s·b·h·(10 + 24/t); full: 2·s·b·h."""
    if recompute == "full":
        return 2 * s * b * h
    attention = 5 * a * s / (h * t) if recompute == "none" else 0
    return s * b * h * (10 + 24 / t + attention)


def activations(shape: Shape, micro_batch: int, recompute: str, precision: str, tp: int = 1, pp: int = 1,
                sp: bool = False) -> float:
    """Bytes of activations on the GPU that holds the most: the first pipeline stage.

    With pp stages each GPU runs L/pp layers, but the 1F1B schedule keeps pp micro-batches in flight
    on the first stage, so it holds L/pp layers × pp micro-batches = L layers' worth whatever pp is
    (Korthikanti et al., pipeline parallelism). Pipeline parallelism divides the model states, not
    the peak activations.
    """
    layers_held = (shape.n_layer / pp) * pp
    return layers_held * activations_per_layer(shape, micro_batch, recompute, precision, tp, sp)
