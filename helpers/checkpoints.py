"""Saving, loading and caching trained models.

``cached`` lets a chapter reuse a model trained with identical settings: the settings are
hashed into the file name, so changing any of them trains afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from .config import cache_root


def save(model: nn.Module, path: str | Path) -> Path:
    """Write ``model``'s weights (its ``state_dict``) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    torch.save(model.state_dict(), partial)
    partial.replace(path)  # atomic: an interrupted save never leaves half a file
    return path


def load(model: nn.Module, path: str | Path) -> nn.Module:
    """Load weights saved by :func:`save` into ``model`` (tensors only: ``weights_only=True``)."""
    device = next(model.parameters(), torch.empty(0)).device
    state = torch.load(Path(path), map_location=device, weights_only=True)
    model.load_state_dict(state)
    return model


def cache_path(name: str, settings: dict) -> Path:
    """Where a model called ``name`` trained with ``settings`` is cached."""
    text = json.dumps(settings, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return cache_root() / f"{name}-{digest}.pt"


def cached(name: str, settings: dict, model: nn.Module, train: Callable[[nn.Module], object]) -> tuple[nn.Module, bool]:
    """Load ``model`` from the cache if trained with these ``settings``, else ``train`` and save it.

    Returns the model and whether it came from the cache.
    """
    path = cache_path(name, settings)
    if path.exists():
        return load(model, path), True
    train(model)
    save(model, path)
    return model, False
