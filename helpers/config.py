"""Budgets, the data root, device choice and seeding: the settings every chapter reads.

Two environment variables steer the whole book:

``GANBOOK_BUDGET``
    ``full`` (default) trains for real, as the published book shows; ``quick`` runs every
    chapter top to bottom in about a minute on two CPU cores, for tests.
``GANBOOK_DATA``
    The folder the data sets live in (default: ``data/`` beside the book).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

BUDGET_VARIABLE = "GANBOOK_BUDGET"
DATA_VARIABLE = "GANBOOK_DATA"
CACHE_VARIABLE = "GANBOOK_CACHE"
ALLOWED_BUDGETS = ("quick", "full")

# Every chapter's budget, in one place. ``quick`` is for tests (a minute at most on two
# CPU cores), ``full`` is what the published book trains. Plain values, so a reader can
# see exactly what each run costs.
BUDGETS: dict[str, dict[str, dict]] = {
    "intro": {
        "quick": {"n_digits": 32},
        "full": {"n_digits": 64},
    },
    "autoencoders": {"quick": {}, "full": {}},
    "vae": {"quick": {}, "full": {}},
    "gan_maths": {"quick": {}, "full": {}},
    "toy_gan": {"quick": {}, "full": {}},
    "mnist_gan": {"quick": {}, "full": {}},
    "lsgan": {"quick": {}, "full": {}},
    "dcgan": {"quick": {}, "full": {}},
    "text_lstm": {"quick": {}, "full": {}},
}


def budget_name() -> str:
    """The active budget, ``quick`` or ``full``, read from ``GANBOOK_BUDGET``."""
    name = os.environ.get(BUDGET_VARIABLE, "full").strip().lower() or "full"
    if name not in ALLOWED_BUDGETS:
        raise ValueError(
            f"{BUDGET_VARIABLE}={name!r} is not a budget; allowed values: "
            + ", ".join(ALLOWED_BUDGETS)
        )
    return name


def budget(chapter: str) -> SimpleNamespace:
    """The settings of ``chapter`` under the active budget, as attributes (``cfg.epochs``)."""
    if chapter not in BUDGETS:
        raise KeyError(f"chapter={chapter!r} has no budget; known chapters: {', '.join(BUDGETS)}")
    return SimpleNamespace(budget=budget_name(), **BUDGETS[chapter][budget_name()])


def project_root() -> Path:
    """The folder above ``helpers/`` (the repository when it is checked out)."""
    return Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The data root: ``GANBOOK_DATA`` if set, else ``data/`` in the book's checkout.

    Where the helpers were installed with pip (Colab), with no checkout around them,
    the default is ``~/ganbook-data``.
    """
    value = os.environ.get(DATA_VARIABLE)
    if value:
        return Path(value).expanduser().resolve()
    root = project_root()
    return root / "data" if (root / "_toc.yml").exists() else Path.home() / "ganbook-data"


def cache_root() -> Path:
    """Where trained models are cached: ``GANBOOK_CACHE`` if set, else ``~/.cache/ganbook``."""
    value = os.environ.get(CACHE_VARIABLE)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "ganbook"


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA if present, then Apple MPS, then CPU; ``prefer`` (e.g. ``"cpu"``) overrides."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch so CPU runs repeat; returns a seeded CPU generator."""
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed={seed} is out of range; allowed: 0 <= seed < 2**32")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
