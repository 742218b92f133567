"""Which torch device to train on. torch is imported only when asked: it costs ~2 s at startup."""
from __future__ import annotations

import functools
from importlib import metadata


def torch_version() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def load_torch() -> None:
    """Import torch now (about 2 s here), where waiting for it costs nobody anything: a server warms
    it in the background, a room process before it says it serves."""
    import torch  # noqa: F401


@functools.lru_cache(maxsize=None)
def best_device() -> str:
    """'cuda' when a GPU is usable, else 'cpu'."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
