"""The GPU kinds the calculator knows: memory, peak dense 16-bit tensor throughput, power.

Figures from NVIDIA's data sheets (dense, i.e. without the 2:4 sparsity that doubles the headline
number). Memory is the data sheet's GB × 10⁹ bytes. The cards hold a little more (an H100 80 GB
shows 81,559 MiB = 85.5e9 bytes in nvidia-smi), but the CUDA context and the allocator always take
some of it, so the decimal figure is a fair usable size.
"""
from __future__ import annotations


def _gpu(name, memory_gb, peak_tflops, watts, source):
    return {"name": name, "memory_bytes": int(memory_gb * 1e9), "peak_tflops_bf16": peak_tflops, "watts": watts,
            "source": source}


GPUS = {
    "a100-40gb": _gpu("NVIDIA A100 SXM 40 GB", 40, 312, 400, "NVIDIA A100 data sheet: 312 TFLOP/s BF16 dense, 400 W (SXM)"),
    "a100-80gb": _gpu("NVIDIA A100 SXM 80 GB", 80, 312, 400, "NVIDIA A100 data sheet: 312 TFLOP/s BF16 dense, 400 W (SXM)"),
    "h100": _gpu("NVIDIA H100 SXM 80 GB", 80, 989, 700,
                 "NVIDIA H100 data sheet: 989 TFLOP/s BF16 dense (1,979 with sparsity), 700 W (SXM)"),
    "h200": _gpu("NVIDIA H200 SXM 141 GB", 141, 989, 700,
                 "NVIDIA H200 data sheet: 141 GB HBM3e, the H100's 989 TFLOP/s BF16 dense, up to 700 W"),
    "rtx-4090": _gpu("NVIDIA GeForce RTX 4090 24 GB", 24, 165.2, 450,
                     "NVIDIA Ada Lovelace whitepaper: 165.2 TFLOP/s BF16 dense with FP32 accumulate, 450 W"),
    "v100-32gb": _gpu("NVIDIA V100 SXM 32 GB", 32, 125, 300,
                      "NVIDIA V100 data sheet: 125 TFLOP/s FP16 tensor (the V100 has no bf16; GPT-3 trained on "
                      "V100s), 300 W"),
}
DEFAULT_GPU = "h100"
