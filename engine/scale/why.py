"""Why a big model needs thousands of GPUs, from the calculator's own figures: memory first (how many
GPUs it takes just to hold the model states), then time (training days as a function of the GPU
count). The Scale lesson says it in one sentence and draws the days curve."""
from __future__ import annotations

import math

from . import fmt
from .compute import SECONDS_PER_DAY, train_seconds

# GPU counts the curve is drawn at: powers of two, from one GPU to past the largest published runs
CURVE_GPUS = tuple(2**k for k in range(0, 18))  # 1 … 131,072


def days_on(n_gpus: int, hardware_flops: float, peak_flops: float, hfu: float) -> float:
    """Training days on n GPUs: the run's executed FLOPs over n · peak · HFU (compute.train_seconds).
    The utilization is held at the run's: perfect scaling, which the published runs only approach
    (communication and failures cost more as n grows), so the curve is a lower bound on the days."""
    return train_seconds(hardware_flops, n_gpus, peak_flops, hfu) / SECONDS_PER_DAY


def memory_gpus(state_bytes: float, gpu_bytes: float) -> int:
    """The fewest GPUs whose memory together holds the model states (weights, gradients, optimizer
    state), sharded perfectly and with no room left for activations: a floor, not a plan."""
    return max(1, math.ceil(state_bytes / gpu_bytes))


def why(out: dict, title: str) -> dict:
    """`out`: estimate.transformer's figures. The sentence, and the curve [{gpus, days, holds}] where
    `holds` says whether that many GPUs can hold the model states at all."""
    hw = out["hardware"]
    per = out["bytes_per_param"]
    n = out["params"]["total"]
    per_total = per["weights"] + per["gradients"] + per["optimizer"]  # 16 for bf16 mixed Adam (ZeRO §3.1)
    states = n * per_total
    floor = memory_gpus(states, hw["memory_bytes"])
    peak = hw["peak_tflops_bf16"] * 1e12
    flops = out["flops_hardware"]
    # the powers of two, and the two counts the lesson talks about: the memory floor and this run's
    counts = sorted({*CURVE_GPUS, floor, hw["n_gpus"]})
    curve = [{"gpus": g, "days": days_on(g, flops, peak, hw["hfu"]), "holds": g >= floor} for g in counts]
    one = days_on(1, flops, peak, hw["hfu"])
    run = days_on(hw["n_gpus"], flops, peak, hw["hfu"])
    gpu = hw["name"].replace("NVIDIA ", "")
    memory = (f"{title}'s {fmt.count(n)} parameters at {fmt.whole(per_total)} bytes each (weights, gradients, "
              f"optimizer state) need {fmt.nbytes(states)}, the memory of {fmt.whole(floor)} "
              f"{gpu} GPU{'s' if floor > 1 else ''}")
    time = (f"its {fmt.sci(out['flops'])} FLOPs at {fmt.pct(hw['mfu'])} of {fmt.num(hw['peak_tflops_bf16'])} "
            f"TFLOP/s would keep one GPU busy {_duration(one)}, so {fmt.whole(hw['n_gpus'])} "
            f"GPU{'s train' if hw['n_gpus'] > 1 else ' trains'} it in {_duration(run)}")
    return {"sentence": f"{memory}; {time}.", "state_bytes": states, "memory_gpus": floor, "days_one_gpu": one,
            "days": run, "n_gpus": hw["n_gpus"], "curve": curve,
            "assumes": "days = FLOPs executed / (GPUs · peak · HFU) at this run's utilization for every GPU count "
                       "(perfect scaling: a lower bound); left of the memory floor the model states do not fit"}


def _duration(days: float) -> str:
    """Years, days, hours or seconds, whichever reads as a number a class can picture."""
    if days >= 365.25 * 2:
        return f"{fmt.num(days / 365.25)} years"
    if days >= 2:
        return f"{fmt.num(days)} days"
    if days * 24 >= 2:
        return f"{fmt.num(days * 24)} hours"
    return f"{fmt.num(days * SECONDS_PER_DAY)} seconds"
