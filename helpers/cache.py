"""The one way to get a trained model: ``trained(settings)``.

Every model family of the book has one frozen settings dataclass
(``AutoencoderSettings``, ``VAESettings``, ``ToyGANSettings``, ``MLPGANSettings``,
``DCGANSettings``, ``ClassifierSettings``, ``LanguageModelSettings``, ...). Its fields
are plain values that decide the trained weights; it checks them when it is made, and it
knows how to

* ``build()`` a fresh, untrained model (one ``nn.Module``; a GAN's is a :class:`GAN`
  pair), and
* ``fit(model, device=..., progress=..., max_seconds=...)`` it, returning the run's
  :class:`~helpers.training.History`.

:func:`trained` builds the model under the settings' seed, then loads it from the cache
or trains it and writes the cache. A cache file holds, besides the weights and the
history, the settings it was trained with (as nanoGPT keeps ``model_args`` in its
checkpoints) and a fingerprint of the code that defines and trains the model: the source
of the settings' module and of every ``helpers`` module it draws on. A change to that
code, or to the settings, trains afresh with one line saying why; a change to any other
module does not. ``helpers/config.py`` is left out of the fingerprint on purpose: its
budgets reach a model only through the values of its settings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import torch
from torch import nn

from .config import cache_root, get_device
from .data import atomic_file
from .training import History, seeded

CACHE_FORMAT = 2
PACKAGE = __name__.rpartition(".")[0]
# Budgets, paths and the device choice: they reach a model only through its settings.
NOT_FINGERPRINTED = (f"{PACKAGE}.config",)


class Settings(Protocol):
    """What :func:`trained` needs of a settings dataclass."""

    name: str  # a class attribute: the cache file's prefix
    seed: int

    def build(self) -> nn.Module: ...

    def fit(
        self,
        model: nn.Module,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None,
    ) -> History: ...


class Trained(NamedTuple):
    """A trained model, its run's history, whether it came from the cache, settings."""

    model: nn.Module
    history: History
    from_cache: bool
    settings: Any


def settings_record(settings: Settings) -> dict:
    """The settings as plain JSON values, with the dataclass's name."""
    if not dataclasses.is_dataclass(settings):
        raise TypeError(f"settings must be a settings dataclass; got {type(settings)}")
    values = json.loads(json.dumps(dataclasses.asdict(settings), sort_keys=True))
    return {"type": type(settings).__name__, **values}


def cache_path(settings: Settings) -> Path:
    """Where the model trained with ``settings`` is cached (under ``GANBOOK_CACHE``)."""
    text = json.dumps(settings_record(settings), sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return cache_root() / f"{settings.name}-{digest}.pt"


def code_modules(settings: Settings) -> list[str]:
    """The ``helpers`` modules whose code defines and trains the model of ``settings``.

    The module of the settings' class (and of its base classes), then every ``helpers``
    module any of them takes a name from, and so on; ``config`` excepted.
    """
    todo = [cls.__module__ for cls in type(settings).__mro__]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        inside = name == PACKAGE or name.startswith(PACKAGE + ".")
        if name in seen or not inside or name in NOT_FINGERPRINTED:
            continue
        seen.add(name)
        for value in vars(sys.modules[name]).values():
            if inspect.ismodule(value):
                todo.append(value.__name__)
            elif isinstance(getattr(value, "__module__", None), str):
                todo.append(value.__module__)
    return sorted(seen)


def fingerprint(settings: Settings) -> dict[str, str]:
    """A hash of each source file in :func:`code_modules`, by file name."""
    prints = {}
    for name in code_modules(settings):
        path = Path(sys.modules[name].__file__)
        key = f"{PACKAGE}/{path.name}"
        prints[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return prints


def _why_not(entry: dict, settings: Settings, code: dict[str, str]) -> str | None:
    """Why a cache entry cannot stand for ``settings`` trained by ``code``.

    None if it can.
    """
    if entry.get("format") != CACHE_FORMAT:
        return (
            f"the cache file has format {entry.get('format')}, "
            f"this code writes {CACHE_FORMAT}"
        )
    if entry["settings"] != settings_record(settings):
        return "the cache file was trained with other settings"
    changed = sorted(set(code) ^ set(entry["code"]))
    changed += sorted(
        k for k in set(code) & set(entry["code"]) if code[k] != entry["code"][k]
    )
    if changed:
        return f"{', '.join(changed)} changed since it was cached"
    return None


def _read(path: Path, settings: Settings, code: dict[str, str], model: nn.Module):
    """``(history, None)`` if the entry at ``path`` loads into ``model``.

    Else ``(None, why)``: ``why`` is None when there is no entry at all.
    """
    if not path.exists():
        return None, None
    try:
        device = next(model.parameters(), torch.empty(0)).device
        entry = torch.load(path, map_location=device, weights_only=True)
        why = _why_not(entry, settings, code)
        if why is None:
            model.load_state_dict(entry["state"])
            return History.from_state(entry["history"]), None
        return None, why
    except Exception as error:  # an unreadable entry is retrained, not fatal
        return None, f"the cache file cannot be read ({type(error).__name__}: {error})"


def trained(
    settings: Settings,
    *,
    device: torch.device | str | None = None,
    progress: bool = True,
    max_seconds: float | None = None,
) -> Trained:
    """The model ``settings`` describe, from the cache or trained now.

    It comes from the cache if this code trained it with these settings before; else it
    is trained now (and cached, unless the run stopped early).

    The model is built, and trained if need be, under ``settings.seed``; the global
    generators are left as they were. ``max_seconds`` is a safety cap for a reader's
    panel: a run that reaches it is returned but not cached. The model comes back in
    eval mode.
    """
    device = get_device() if device is None else torch.device(device)
    path, code = cache_path(settings), fingerprint(settings)
    with seeded(settings.seed):
        model = settings.build().to(device)
        history, why = _read(path, settings, code, model)
        if history is not None:
            return Trained(model.eval(), history, True, settings)
        if why is not None:
            print(f"{settings.name}: training afresh: {why}")
        history = settings.fit(
            model, device=device, progress=progress, max_seconds=max_seconds
        )
    if history.stopped:
        print(f"{settings.name}: not cached ({history.stopped})")
    else:
        _write(path, settings, code, model, history)
    return Trained(model.eval(), history, False, settings)


def _write(
    path: Path, settings: Settings, code: dict, model: nn.Module, history: History
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "format": CACHE_FORMAT,
        "settings": settings_record(settings),
        "code": code,
        "state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": history.state_dict(),
    }
    with atomic_file(path) as partial:  # never half an entry, even with two writers
        torch.save(entry, partial)
