"""Atomic, resumable training checkpoints (git-ignored, under models/checkpoints/)."""
from __future__ import annotations

import os
from typing import Any, Optional

import torch

DEFAULT_DIR = os.path.join("models", "checkpoints", "fmnist-s-l")


def save_atomic(state: Any, path: str) -> None:
    """Write ``state`` with ``torch.save`` to a temporary file, then rename it over ``path``.

    A run killed mid-write leaves the previous checkpoint intact.
    """
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_if_exists(path: str) -> Optional[Any]:
    """The saved state, or None when there is no checkpoint yet."""
    if not os.path.exists(path):
        return None
    return torch.load(path, map_location="cpu")
