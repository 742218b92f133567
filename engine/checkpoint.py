"""Weights as a torch state_dict in bytes (torch.save), so a saved run loads in plain PyTorch too;
and the rest of a run's state (optimizer memory, batch order) as torch.save bytes of a nested tree.
Both load with `weights_only=True`: reading a saved run never runs pickled code.
torch is imported here only, when saving or loading."""
from __future__ import annotations

import io

import numpy as np


def _float_array(v) -> np.ndarray:
    a = np.asarray(v)
    # float32 stays float32 (the transformer's weights), anything else becomes float64 (the NumPy
    # engine); np.require keeps 0-d arrays 0-d (ascontiguousarray would make them 1-d)
    return np.require(a, dtype=a.dtype if a.dtype == np.float32 else float, requirements="C").copy()


def to_state_dict_bytes(params: dict[str, np.ndarray]) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save({k: torch.from_numpy(_float_array(v)) for k, v in params.items()}, buf)
    return buf.getvalue()


def from_state_dict_bytes(blob: bytes, keep_dtype: bool = False) -> dict[str, np.ndarray]:
    """name → array; float64 unless `keep_dtype` (then float32 weights stay float32)."""
    import torch

    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    return {k: v.numpy().copy() if keep_dtype else v.numpy().astype(float) for k, v in state.items()}


def tree_to_bytes(tree) -> bytes:
    """Nested dicts/lists/tuples of arrays (NumPy or torch), numbers, strings and None → bytes."""
    import torch

    def conv(x):
        if isinstance(x, np.ndarray):
            return torch.from_numpy(np.array(x, copy=True))
        if isinstance(x, np.generic):  # a NumPy scalar (np.float64, np.bool_): the plain Python value
            return x.item()
        if isinstance(x, torch.Tensor):
            return x.detach().cpu().clone()
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        return x

    buf = io.BytesIO()
    torch.save(conv(tree), buf)
    return buf.getvalue()


def tree_from_bytes(blob: bytes):
    """The tree of tree_to_bytes, its tensors as NumPy arrays (tuples come back as lists)."""
    import torch

    def conv(x):
        if isinstance(x, torch.Tensor):
            return x.numpy().copy()
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, list):
            return [conv(v) for v in x]
        return x

    return conv(torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True))
