"""Published training runs beside the ladder, set up as they were run, and the helpers every preset is
built with. Each setting a source states is listed in `sources` ("part.field": where it says so); a
setting not listed is shown as "assumed".

Utilization: a throughput counted with recomputation (Megatron's 163 TFLOP/s per GPU, BigScience's
150, OPT's 147) is hardware-FLOPs utilization, HFU; Llama 3's 38–43 % and PaLM's figures are model-FLOPs
utilization, MFU (PaLM, arXiv 2204.02311, App. B). A preset gives the kind its source reports.
"""
from __future__ import annotations


def _llama(n_layer, d_model, n_head, n_kv_head, d_ff, vocab, seq_len):
    return {"n_layer": n_layer, "d_model": d_model, "n_head": n_head, "n_kv_head": n_kv_head, "d_ff": d_ff,
            "vocab": vocab, "seq_len": seq_len, "mlp": "swiglu", "tied_embeddings": False, "norm": "rmsnorm",
            "bias": False, "position": "rope", "embed_norm": False, "dropout": False}


def _gpt(n_layer, d_model, n_head, vocab, seq_len, position="learned", tied=True, embed_norm=False):
    return {"n_layer": n_layer, "d_model": d_model, "n_head": n_head, "n_kv_head": n_head, "d_ff": 4 * d_model,
            "vocab": vocab, "seq_len": seq_len, "mlp": "gelu", "tied_embeddings": tied, "norm": "layernorm",
            "bias": True, "position": position, "embed_norm": embed_norm, "dropout": True}


def _run(tokens, micro_batch, gpu, n_gpus, dp, tp, pp, zero=1, mfu=None, hfu=None, precision="bf16_mixed",
         recompute="selective", sp=None, usd=2.0):
    """A run's settings; the utilization is MFU (0.4 when none is given) or, where the source reports
    a throughput that counts recomputation, HFU."""
    util = {"hfu": hfu} if hfu is not None else {"mfu": 0.4 if mfu is None else mfu}
    return {"training": {"tokens": tokens, "micro_batch": micro_batch, "precision": precision, "optimizer": "adam",
                         "recompute": recompute, "attention_flops": "full"},
            "parallel": {"dp": dp, "tp": tp, "pp": pp, "zero": zero, "sp": tp > 1 if sp is None else sp},
            "hardware": {"gpu": gpu, "n_gpus": n_gpus, **util, "usd_per_gpu_hour": usd, "pue": 1.2,
                         "interconnect_gbps": 400}}


def _said(source: str, *keys: str) -> dict[str, str]:
    return dict.fromkeys(keys, source)


A100 = 312  # TFLOP/s, bf16 dense (hardware.py)
BLOOM = "BLOOM paper, arXiv 2211.05100"
BLOOM_SCRIPT = ("BigScience's training script (bigscience-workshop/bigscience, train/tr11-176B-ml/tr11-176B-ml.slurm: "
                "TP_SIZE=4, PP_SIZE=12, MICRO_BATCH_SIZE=2, --checkpoint-activations, no sequence parallelism; ZERO_STAGE=0 "
                "because its bf16 optimizer shards the optimizer state itself, ZeRO stage 1's equivalent)")
MEGATRON = "Narayanan et al. 2021, arXiv 2104.04473"
OPT = "OPT paper, arXiv 2205.01068"
CHINCHILLA = "Hoffmann et al. 2022 (Chinchilla), arXiv 2203.15556"

RUNS: dict[str, dict] = {
    "bloom-176b": {
        "title": "BLOOM 176B",
        # ALiBi positions (no table), a LayerNorm right after the embedding, tied embeddings, vocabulary
        # 250,680 padded to 250,880 in the checkpoint
        "model": _gpt(70, 14336, 112, 250880, 2048, position="alibi", embed_norm=True),
        "config_source": "config.json of huggingface.co/bigscience/bloom; " + BLOOM + ", Table 3",
        **_run(366e9, 2, "a100-80gb", 384, 8, 4, 12, zero=1, hfu=150 / A100, recompute="full", sp=False),
        "sources": {**_said(BLOOM_SCRIPT, "training.micro_batch", "training.recompute", "parallel.tp", "parallel.pp",
                            "parallel.sp", "parallel.zero"),
                    **_said(BLOOM + " §3.4: 384 A100-80GB, 8-way data parallel, bf16", "parallel.dp",
                            "hardware.gpu", "hardware.n_gpus", "training.precision"),
                    "training.tokens": BLOOM + ": 366B tokens",
                    "hardware.hfu": "BigScience's training notes: about 150 TFLOP/s per GPU, counted with "
                                    "recomputation (HFU) = 150 / 312"},
        "run_source": BLOOM + ": 48 nodes of 8 A100-80GB, one model copy on 48 GPUs (4-way tensor × 12-way pipeline) "
                      "× 8-way data parallel, ZeRO stage 1, bf16, full recomputation; about 150 TFLOP/s per GPU, "
                      "recomputation counted (HFU 48%)",
        "published": {"params": 176_247_271_424, "tokens": 366e9, "gpu_hours": 1_082_990, "n_gpus": 384,
                      "hfu": 150 / A100, "gpu": "a100-80gb",
                      "utilization": "HFU: BigScience's 150 TFLOP/s count the recomputed forward pass",
                      "source": BLOOM + ": 384 A100-80GB GPUs for about 3.5 months, 1,082,990 compute hours, 366B "
                                "tokens, 176,247M parameters; 150 TFLOP/s per GPU: BigScience's training notes"},
    },
    "megatron-1t": {
        "title": "Megatron-LM 1T",
        "model": _gpt(128, 25600, 160, 51200, 2048),
        "config_source": MEGATRON + ", Table 1 (128 layers, hidden 25,600, 160 heads; 1,008B parameters); "
                         "vocabulary 51,200 and sequence 2,048 as in the paper's GPT runs",
        **_run(450e9, 1, "a100-80gb", 3072, 6, 8, 64, zero=0, hfu=163 / A100, recompute="full", sp=False),
        "sources": {**_said(MEGATRON + ", Table 1: tensor 8 × pipeline 64 on 3,072 A100s", "parallel.tp", "parallel.pp",
                            "parallel.dp", "hardware.n_gpus", "hardware.gpu"),
                    "hardware.hfu": MEGATRON + ", Table 1: 163 TFLOP/s per GPU (52% of peak), recomputation counted "
                                               "(its eq. 3 and the 8·T·P estimate of §5.1)",
                    "training.recompute": MEGATRON + " §3.5 and §5.1: activation recomputation (the 8 in 8·T·P)",
                    "training.tokens": MEGATRON + " §5.1: 450B tokens",
                    "parallel.sp": "sequence parallelism came later (Korthikanti et al. 2022)",
                    "parallel.zero": MEGATRON + ": Megatron's own data parallelism, no ZeRO"},
        "run_source": MEGATRON + " §5.1: training the 1T model on 450B tokens on 3,072 A100s at 163 TFLOP/s per GPU "
                      "would take about 84 days (an estimate, 8·T·P / (n·X))",
        "published": {"params": 1008e9, "tokens": 450e9, "n_gpus": 3072, "days": 84, "hfu": 163 / A100,
                      "gpu": "a100-80gb",
                      "utilization": "HFU: 163 TFLOP/s per GPU count the recomputed forward pass (eq. 3 with recomputation)",
                      "source": MEGATRON + ": Table 1 (1,008B parameters, 3,072 GPUs, 163 TFLOP/s per GPU) and §5.1 "
                                "(450B tokens → about 84 days)"},
    },
    "opt-175b": {
        "title": "OPT-175B",
        # OPT: learned positions (2,048, plus an offset of 2 the count leaves out), tied embeddings
        "model": _gpt(96, 12288, 96, 50272, 2048),
        "config_source": OPT + ", Table 1 (96 layers, 96 heads, d 12,288); the vocabulary (50,272) from the OPT "
                         "family's config.json files on huggingface.co (e.g. facebook/opt-66b)",
        **_run(180e9, 1, "a100-80gb", 992, 124, 8, 1, zero=3, hfu=147 / A100, recompute="full", sp=False),
        "sources": {**_said(OPT + " §2.4: 992 80GB A100s, Fully Sharded Data Parallel with Megatron-LM tensor "
                                  "parallelism (8-way)", "hardware.gpu", "hardware.n_gpus", "parallel.zero",
                            "parallel.tp", "parallel.dp", "parallel.pp"),
                    "training.tokens": OPT + " §2.3: 180B tokens",
                    "hardware.hfu": OPT + " §2.4: up to 147 TFLOP/s per GPU; whether recomputation is counted is "
                                          "assumed (as Megatron counts it)",
                    "parallel.sp": "sequence parallelism came later (Korthikanti et al. 2022)"},
        "run_source": OPT + " §2.4: 992 80GB A100 GPUs, FSDP with 8-way Megatron tensor parallelism, up to 147 "
                      "TFLOP/s per GPU",
        "published": {"params": 175e9, "tokens": 180e9, "n_gpus": 992, "hfu": 147 / A100, "gpu": "a100-80gb",
                      "utilization": "HFU (assumed): OPT's 147 TFLOP/s per GPU, counted as Megatron counts",
                      "source": OPT + ": 175B parameters, 180B tokens (§2.3), 992 A100-80GB at up to 147 TFLOP/s per "
                                "GPU (§2.4)"},
    },
    "chinchilla-70b": {
        "title": "Chinchilla 70B",
        # Table 4: 80 layers, 64 heads of key/value size 128, d 8,192; Gopher's RMSNorm and relative
        # positions (Transformer-XL); a GELU MLP of 4·d, no biases, and untied embeddings are assumed
        "model": {**_llama(80, 8192, 64, 64, 4 * 8192, 32000, 2048), "mlp": "gelu", "position": "relative"},
        "config_source": CHINCHILLA + ", Table 4 (80 layers, 64 heads, key/value size 128, d_model 8,192); relative "
                         "position encodings and RMSNorm as Gopher (arXiv 2112.11446 §2); 32,000-token SentencePiece "
                         "vocabulary; d_ff 4·d, no biases and untied embeddings assumed",
        **_run(1.4e12, 1, "a100-80gb", 1024, 128, 8, 1, zero=1, mfu=0.4),
        "sources": {"training.tokens": CHINCHILLA + ", Table 1: 1.4T tokens"},
        "run_source": "Chinchilla trained on TPUv3/TPUv4, which this calculator does not model: the GPUs and the "
                      "utilization are assumptions",
        "published": {"params": 70e9, "tokens": 1.4e12, "flops": 5.76e23,
                      "source": CHINCHILLA + ": 70B parameters on 1.4T tokens (Table 1), the compute budget of Gopher, "
                                "5.76e23 FLOPs (Table 3)"},
    },
}
