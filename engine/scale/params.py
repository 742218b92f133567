"""How many parameters a decoder-only transformer has, counted matrix by matrix from its config.

Read this beside the model's layers: every count is "rows × columns" of one weight (plus its bias when
the model has biases). Two models check the counting exactly (tests/engine/scale/test_params.py):
  GPT-2 small (config.json of `gpt2`: 12 layers, d 768, 12 heads, vocab 50257, 1024 positions,
  biases, LayerNorm, GELU MLP of 4·d, tied embeddings) = 124,439,808;
  Llama-3.1-8B (config.json of `meta-llama/Llama-3.1-8B`: 32 layers, d 4096, 32 heads, 8 key/value
  heads, d_ff 14336, vocab 128256, no biases, RMSNorm, SwiGLU, untied) = 8,030,261,248.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

MLPS = {"gelu": "GELU", "swiglu": "SwiGLU"}
NORMS = {"layernorm": "LayerNorm", "rmsnorm": "RMSNorm"}
# learned: a (seq_len × d) table (GPT-2); rope and alibi: formulas, no parameters; relative: Transformer-XL's
# (arXiv 1901.02860 §3.3, as in Gopher and Chinchilla) projects the relative positions with a d × d matrix
# W_R and adds two biases u and v (d each) in every layer
POSITIONS = ("learned", "rope", "alibi", "relative")


@dataclass(frozen=True)
class Shape:
    """A transformer's shape: what the parameter count, the memory and the FLOPs depend on."""

    n_layer: int  # L, blocks
    d_model: int  # d (Korthikanti's h), the residual stream's width
    n_head: int  # a, query heads
    n_kv_head: int  # key/value heads: = n_head for multi-head attention, fewer for grouped-query (GQA)
    d_ff: int  # the MLP's hidden width (4·d for GPT; about 8/3·d rounded up for SwiGLU models)
    vocab: int  # V
    seq_len: int  # s, tokens per sequence in training
    mlp: str = "gelu"  # gelu: up and down (2 matrices); swiglu: gate, up and down (3 matrices)
    tied_embeddings: bool = False  # the output head reuses the token embedding matrix
    norm: str = "layernorm"  # layernorm: scale and shift (2·d, or d without biases); rmsnorm: scale (d)
    bias: bool = False  # biases in the linear layers (GPT-2, GPT-3, BLOOM have them; Llama does not)
    position: str = "rope"  # learned: a (seq_len × d) table of positions, like GPT-2
    embed_norm: bool = False  # a norm right after the embedding (BLOOM)
    dropout: bool = False  # dropout in training: its 1-byte masks are saved for backward (no parameters)

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_head

    @property
    def d_kv(self) -> int:
        """Width of the keys (and of the values): one d_head per key/value head."""
        return self.n_kv_head * self.d_head

    def to_dict(self) -> dict:
        return asdict(self)


def problems(shape: Shape) -> list[tuple[str, str]]:
    """(field, why) for every shape that cannot be built."""
    out = []
    for name in ("n_layer", "d_model", "n_head", "n_kv_head", "d_ff", "vocab", "seq_len"):
        if getattr(shape, name) < 1:
            out.append((name, f"{name} must be at least 1, not {getattr(shape, name)}"))
    if out:
        return out
    if shape.d_model % shape.n_head:
        out.append(("n_head", f"n_head {shape.n_head} must divide d_model {shape.d_model} (each head gets d_model/n_head)"))
    if shape.n_head % shape.n_kv_head:
        out.append(("n_kv_head", f"n_kv_head {shape.n_kv_head} must divide n_head {shape.n_head} "
                                 "(each key/value head serves the same number of query heads)"))
    for name, allowed in (("mlp", MLPS), ("norm", NORMS), ("position", POSITIONS)):
        if getattr(shape, name) not in allowed:
            out.append((name, f"{name} must be one of {', '.join(allowed)}, not '{getattr(shape, name)}'"))
    return out


def norm_params(shape: Shape) -> int:
    """One norm: LayerNorm has a scale γ and (when the model has biases) a shift β per channel; RMSNorm
    only γ."""
    if shape.norm == "layernorm" and shape.bias:
        return 2 * shape.d_model
    return shape.d_model


def embedding_params(shape: Shape) -> int:
    """Token table V·d, plus a position table s·d when positions are learned (GPT-2), plus BLOOM's norm."""
    n = shape.vocab * shape.d_model
    if shape.position == "learned":
        n += shape.seq_len * shape.d_model
    if shape.embed_norm:
        n += norm_params(shape)
    return n


def attention_params(shape: Shape) -> int:
    """Per layer: W_q (d × d), W_k and W_v (d × d_kv each: GQA shares them over n_head/n_kv_head query
    heads), W_o (d × d); biases d + 2·d_kv + d when the model has them. Times L."""
    d, kv = shape.d_model, shape.d_kv
    per_layer = 2 * d * d + 2 * d * kv
    if shape.bias:
        per_layer += 2 * d + 2 * kv
    if shape.position == "relative":
        per_layer += relative_params(shape)
    return shape.n_layer * per_layer


def relative_params(shape: Shape) -> int:
    """Transformer-XL's relative positions, per layer: W_R (d × d) and the biases u and v (d each)."""
    return shape.d_model * shape.d_model + 2 * shape.d_model if shape.position == "relative" else 0


def mlp_params(shape: Shape) -> int:
    """Per layer: GELU has up (d × d_ff) and down (d_ff × d); SwiGLU adds a gate (d × d_ff):
    down(silu(gate·x) ⊙ up·x). Biases d_ff per input-side matrix and d for down. Times L."""
    d, f = shape.d_model, shape.d_ff
    matrices = 3 if shape.mlp == "swiglu" else 2
    per_layer = matrices * d * f
    if shape.bias:
        per_layer += (matrices - 1) * f + d
    return shape.n_layer * per_layer


def norms_params(shape: Shape) -> int:
    """Two norms per block (before attention, before the MLP) and one after the last block."""
    return (2 * shape.n_layer + 1) * norm_params(shape)


def head_params(shape: Shape) -> int:
    """The output head d × V: none of its own when tied to the token embedding (GPT-2 ties them)."""
    return 0 if shape.tied_embeddings else shape.vocab * shape.d_model


def count(shape: Shape) -> dict[str, int]:
    """The breakdown and its total."""
    parts = {"embedding": embedding_params(shape), "attention": attention_params(shape),
             "mlp": mlp_params(shape), "norms": norms_params(shape), "head": head_params(shape)}
    return {"total": sum(parts.values()), **parts}


def non_embedding(shape: Shape) -> int:
    """Kaplan et al. 2020 (arXiv 2001.08361) count N without the embeddings: about 12·L·d² for GPT."""
    parts = count(shape)
    return parts["attention"] + parts["mlp"] + parts["norms"]
