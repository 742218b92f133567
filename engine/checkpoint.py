"""Weights as a torch state_dict in bytes (torch.save), so a saved run loads in plain PyTorch too.
torch is imported here only, when saving or loading."""
from __future__ import annotations

import io

import numpy as np


def to_state_dict_bytes(params: dict[str, np.ndarray]) -> bytes:
    import torch

    buf = io.BytesIO()
    # np.require keeps 0-d arrays 0-d (ascontiguousarray would make them 1-d)
    torch.save({k: torch.from_numpy(np.require(v, dtype=float, requirements="C").copy()) for k, v in params.items()}, buf)
    return buf.getvalue()


def from_state_dict_bytes(blob: bytes) -> dict[str, np.ndarray]:
    import torch

    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    return {k: v.numpy().astype(float) for k, v in state.items()}
