"""Saving, loading and caching trained models.

``cached_run`` lets a chapter reuse a model trained with identical settings: the settings
are hashed into the file name, so changing any of them trains afresh, and the run's history
is kept beside the weights.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from .config import cache_root
from .training import History


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


def cached_run(
    name: str, settings: dict, model: nn.Module, train: Callable[[nn.Module], History]
) -> tuple[History, bool]:
    """Load ``model`` from the cache if trained with these ``settings``, else ``train`` and save it.

    ``train(model)`` returns the run's :class:`History`, which is cached beside the weights,
    so a cache hit returns it too. A run that
    stopped early (NaN, Ctrl-C) is returned but not cached. Returns the history and
    whether it came from the cache.
    """
    path = cache_path(name, settings)
    history_path = path.with_suffix(".history.pt")
    if path.exists() and _load_or_warn(model, path):
        try:
            state = torch.load(history_path, weights_only=True) if history_path.exists() else None
            return (History.from_state(state) if state else History()), True
        except (KeyError, TypeError, RuntimeError) as error:  # written by an older version of the book
            warnings.warn(f"retraining: the cached history {history_path} cannot be read ({error!r})", stacklevel=2)
    history = train(model)
    if not history.stopped:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(history.state_dict(), history_path)
        save(model, path)  # last: the weights' file marks a complete entry
    return history, False


def _load_or_warn(model: nn.Module, path: Path) -> bool:
    """Load a cache entry into ``model``; an entry that no longer fits (an older version of the
    model under the same settings) is ignored with a warning, so the caller retrains."""
    try:
        load(model, path)
    except (RuntimeError, KeyError, ValueError) as error:
        warnings.warn(f"retraining: the cached weights {path} do not fit the model ({error!r})", stacklevel=3)
        return False
    return True
