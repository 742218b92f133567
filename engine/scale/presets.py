"""The ladder, from one neuron to 405B parameters, and the published training runs beside it.

Each preset is a model's config plus a training setup (tokens, micro-batch, precision, parallelism,
GPUs) that the calculator starts from; `published` holds what the authors reported, with the source,
so the page can put the formula's figures beside theirs. A figure nobody published is left out, never
guessed.
"""
from __future__ import annotations

from functools import lru_cache

from ..config import NetworkConfig, NeuronConfig
from ..transformer.config import TransformerConfig
from .runs import RUNS, _gpt, _llama, _run

LADDER = ("neuron", "mlp", "transformer", "gpt2-small", "llama-3.1-8b", "llama-2-70b", "120b", "gpt3-175b",
          "llama-3.1-405b")
EXTRA = tuple(RUNS)  # published runs, not rungs of the ladder


LLAMA31_CARD = "Llama 3.1 model card (huggingface.co/meta-llama/Llama-3.1-8B): training GPU hours on H100-80GB, 700 W"
PRESETS: dict[str, dict] = {  # after the ladder's rungs, RUNS is added below
    "gpt2-small": {
        "title": "GPT-2 small (124M)",
        "model": _gpt(12, 768, 12, 50257, 1024),
        "config_source": "config.json of huggingface.co/gpt2 (n_layer 12, n_embd 768, n_head 12, vocab 50257, "
                         "n_positions 1024)",
        **_run(10e9, 16, "a100-80gb", 8, 8, 1, 1),
        "run_source": "tokens: 10B, as in llm.c's GPT-2 (124M) reproduction on FineWeb; OpenAI did not publish its run",
        "published": {"params": 124_439_808,
                      "source": "the released checkpoint (huggingface.co/gpt2, model.safetensors); the GPT-2 paper's "
                                "Table 2 said 117M"},
    },
    "llama-3.1-8b": {
        "title": "Llama 3.1 8B",
        "model": _llama(32, 4096, 32, 8, 14336, 128256, 8192),
        "config_source": "config.json of huggingface.co/meta-llama/Llama-3.1-8B",
        **_run(15e12, 1, "h100", 1024, 1024, 1, 1),
        "sources": {"training.tokens": LLAMA31_CARD + ": ~15T tokens", "hardware.gpu": LLAMA31_CARD},
        "published": {"params": 8_030_261_248, "tokens": 15e12, "gpu_hours": 1.46e6, "gpu": "h100",
                      "source": LLAMA31_CARD + " (1.46M GPU hours, ~15T tokens); parameters: the checkpoint"},
    },
    "llama-2-70b": {
        "title": "Llama 2 70B",
        "model": _llama(80, 8192, 64, 8, 28672, 32000, 4096),
        "config_source": "config.json of huggingface.co/meta-llama/Llama-2-70b-hf",
        **_run(2e12, 1, "a100-80gb", 2048, 64, 8, 4),
        "sources": {"training.tokens": "Llama 2 paper, arXiv 2307.09288, Table 1: 2.0T tokens",
                    "hardware.gpu": "Llama 2 paper, arXiv 2307.09288, Table 2: A100-80GB"},
        "published": {"params": 68_976_648_192, "tokens": 2e12, "gpu_hours": 1_720_320, "gpu": "a100-80gb",
                      "source": "Llama 2 paper, arXiv 2307.09288, Table 1 (2.0T tokens) and Table 2 "
                                "(1,720,320 A100-80GB GPU hours at 400 W); parameters: the checkpoint"},
    },
    "120b": {
        "title": "A dense 120B model (Llama 3 layout)",
        # not a published model: the Llama 3 recipe at 120B (d 10240 = 80 heads of 128, 8 KV heads)
        "model": _llama(96, 10240, 80, 8, 32768, 128256, 8192),
        "config_source": "an illustrative dense model in the Llama 3 layout, sized to about 120B parameters",
        **_run(15e12, 1, "h100", 4096, 64, 8, 8),
        "run_source": "15T tokens as Llama 3; 4,096 H100s, 40% MFU and $2 per GPU-hour are assumptions to move",
        "published": None,
    },
    "gpt3-175b": {
        "title": "GPT-3 175B",
        "model": _gpt(96, 12288, 96, 50257, 2048),
        "config_source": "GPT-3 paper, arXiv 2005.14165, Table 2.1 (96 layers, d 12288, 96 heads of 128, context 2048)",
        # no sequence parallelism: it was published in 2022 (Korthikanti et al.), after GPT-3 (2020)
        **_run(300e9, 1, "v100-32gb", 1024, 16, 8, 8, mfu=0.213, precision="bf16_mixed", recompute="full", sp=False),
        "sources": {"training.tokens": "GPT-3 paper, arXiv 2005.14165, Table D.1: 300B tokens",
                    "hardware.gpu": "GPT-3 paper, arXiv 2005.14165 §2.3: V100 GPUs",
                    "hardware.mfu": "PaLM paper, arXiv 2204.02311, Table 3: GPT-3's MFU 21.3%",
                    "parallel.sp": "sequence parallelism came later (Korthikanti et al. 2022)"},
        "run_source": "GPUs: the paper says only 'V100 GPUs on a cluster provided by Microsoft'; 1,024 is an assumption",
        "published": {"params": 175.0e9, "tokens": 300e9, "flops": 3.14e23, "mfu": 0.213, "gpu": "v100-32gb",
                      "utilization": "MFU: PaLM's count of model FLOPs, recomputation not counted",
                      "source": "GPT-3 paper, arXiv 2005.14165, Table 2.1 (175.0B) and Table D.1 (300B tokens, "
                                "3.64e3 petaflop/s-days = 3.14e23 FLOPs); MFU 21.3%: PaLM paper, arXiv 2204.02311, Table 3"},
    },
    "llama-3.1-405b": {
        "title": "Llama 3.1 405B",
        "model": _llama(126, 16384, 128, 8, 53248, 128256, 8192),
        "config_source": "config.json of huggingface.co/meta-llama/Llama-3.1-405B; Llama 3 paper, arXiv 2407.21783, Table 3",
        # zero 2: the paper uses FSDP sharding optimizer state and gradients, and does not reshard the
        # weights after the forward pass — ZeRO-2 in this calculator's terms
        **_run(15.6e12, 1, "h100", 16384, 128, 8, 16, zero=2, mfu=0.41),
        "sources": {**dict.fromkeys(("parallel.tp", "parallel.pp", "parallel.dp", "hardware.n_gpus", "hardware.mfu"),
                                    "Llama 3 paper, arXiv 2407.21783, Table 4: TP 8, PP 16, DP 128 on 16,384 GPUs "
                                    "at 41% MFU (8K context)"),
                    "parallel.zero": "Llama 3 paper, arXiv 2407.21783 §3.3.2: FSDP sharding optimizer state and "
                                     "gradients, weights not resharded after forward (ZeRO-2 here)",
                    "training.tokens": "Llama 3 paper, arXiv 2407.21783: 15.6T tokens", "hardware.gpu": LLAMA31_CARD},
        "published": {"params": 405_853_388_800, "tokens": 15.6e12, "flops": 3.8e25, "gpu_hours": 30.84e6,
                      "n_gpus": 16384, "mfu": 0.41, "gpu": "h100",
                      "utilization": "MFU: Llama 3's 38–43% count model FLOPs, recomputation not counted",
                      "source": "Llama 3 paper, arXiv 2407.21783: 3.8e25 FLOPs on 15.6T tokens, 16,384 H100s "
                                "at 38–43% MFU (Table 4; 41% at 8K context on 16,384 GPUs); " + LLAMA31_CARD +
                                " (30.84M GPU hours); parameters: the checkpoint"},
    },
}


PRESETS.update(RUNS)


def neuron_preset() -> dict:
    cfg = NeuronConfig()
    return {"title": "One neuron", "kind": "neuron",
            "model": {"sizes": [cfg.features, 1]},
            "small": {"batch": cfg.batch_size, "optimizer": cfg.optimizer},
            "config_source": "the Neuron page's default: one input, a weight and a bias, sigmoid"}


def mlp_preset() -> dict:
    cfg = NetworkConfig()
    sizes = [len(cfg.features), *cfg.hidden, 1]  # a 2-class dataset: one sigmoid output
    return {"title": "The Network page's MLP", "kind": "mlp", "model": {"sizes": sizes},
            "small": {"batch": cfg.batch_size, "optimizer": cfg.optimizer},
            "config_source": f"the Network page's default: {' → '.join(map(str, sizes))} units"}


@lru_cache(maxsize=1)
def default_vocab() -> int:
    """The Transformer page's default vocabulary: one token per character of its corpus and task set."""
    from ..data.text import make_task, python_docs  # torch-free; reads the corpus once (about 0.1 s)

    cfg = TransformerConfig()
    task = "\n".join(make_task(cfg.task, 2000, cfg.seed)) + "\n"  # TextData's task_lines and seed
    return len(set(python_docs()) | set(task))  # TextData's CharTokenizer over corpus and task


def transformer_preset(n_layer=None, n_embd=None, n_head=None, block_size=None, vocab=None) -> dict:
    """The Transformer page's GPT (its defaults, or the config it passes): learned positions, biases,
    LayerNorm, a GELU MLP of 4·d, an output head of its own, no dropout by default."""
    cfg = TransformerConfig()
    d = n_embd or cfg.n_embd
    model = _gpt(n_layer or cfg.n_layer, d, n_head or cfg.n_head, vocab or default_vocab(),
                 block_size or cfg.block_size, tied=False)
    model["dropout"] = cfg.dropout > 0
    tokens = cfg.batch_size * model["seq_len"] * cfg.decay_steps  # one cosine schedule's worth of batches
    return {"title": "The Transformer page's GPT", "kind": "transformer", "model": model,
            "config_source": "the Transformer page's config (engine/transformer/config.py)",
            # "selective": its fused attention (scaled_dot_product_attention) keeps no a·s×s matrix
            **_run(tokens, cfg.batch_size, "h100", 1, 1, 1, 1, zero=0, precision="fp32", recompute="selective"),
            "run_source": f"tokens: batch {cfg.batch_size} × {model['seq_len']} characters × {cfg.decay_steps} steps; "
                          "fp32 as on the CPU; its fused attention keeps no a·s×s matrix (selective)",
            "published": None}


def ladder(n_layer=None, n_embd=None, n_head=None, block_size=None, vocab=None) -> list[dict]:
    """The rungs in order, for GET /api/scale/presets; the transformer rung at the config given."""
    from .params import Shape, count
    from .small import layer_params

    out = []
    for name in LADDER + EXTRA:
        if name in ("neuron", "mlp"):
            p = neuron_preset() if name == "neuron" else mlp_preset()
            n = sum(x["weights"] + x["biases"] for x in layer_params(p["model"]["sizes"]))
        else:
            p = transformer_preset(n_layer, n_embd, n_head, block_size, vocab) if name == "transformer" else PRESETS[name]
            n = count(Shape(**p["model"]))["total"]
        pub = p.get("published")
        out.append({"name": name, "title": p["title"], "kind": "live" if name in LADDER[:3] else "published",
                    "ladder": name in LADDER, "params": n, "params_published": pub["params"] if pub else None,
                    "model": p["model"], "source": p.get("config_source")})
    return out
