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
    "autoencoders": {
        "quick": {"epochs": 1, "limit": 3000, "test_limit": 1000},
        "full": {"epochs": 10, "limit": None, "test_limit": None},
    },
    "vae": {
        "quick": {"epochs": 1, "limit": 3000, "test_limit": 1000},
        "full": {"epochs": 10, "limit": None, "test_limit": None},
    },
    "gan_maths": {"quick": {"n_samples": 4000, "epochs": 10, "batch_size": 500}, "full": {"n_samples": 20000, "epochs": 40, "batch_size": 1000}},
    "toy_gan": {
        "quick": {"epochs": 2, "long_epochs": 3, "seeds": 2, "judge_steps": 20},
        "full": {"epochs": 20, "long_epochs": 50, "seeds": 8, "judge_steps": 500},
    },
    "mnist_gan": {
        "quick": {"limit": 1024, "epochs": 2, "variant_epochs": 2, "timing_steps": 4,
                  "n_judge": 500},
        "full": {"limit": None, "epochs": 15, "variant_epochs": 15, "timing_steps": 60,
                 "n_judge": 5000},
    },
    "lsgan": {
        "quick": {"classifier_epochs": 2, "classifier_limit": 3000, "test_limit": 2000, "gan_epochs": 1,
                  "gan_limit": 3000, "n_samples": 2000, "ring_seeds": [0], "ring_epochs": 4, "ring_points": 6400},
        "full": {"classifier_epochs": 3, "classifier_limit": None, "test_limit": None, "gan_epochs": 15,
                 "gan_limit": None, "n_samples": 10000, "ring_seeds": [0, 1], "ring_epochs": 20, "ring_points": 25600},
    },
    "dcgan": {  # the longer run: long_time_factor times the MLP GAN's seconds, at long_lr
        "quick": {"epochs": 1, "limit": 1024, "batch_size": 64, "n_samples": 2000, "long_time_factor": 2, "long_lr": 1e-3},
        "full": {"epochs": 5, "limit": None, "batch_size": 64, "n_samples": 10000, "long_time_factor": 2, "long_lr": 1e-3},
    },
    "text_lstm": {
        "quick": {
            "char": {"hidden_size": 64, "embed_size": 32, "dropout": 0.0, "tie_weights": False, "batch_size": 32,
                     "seq_len": 64, "lr": 3e-3, "epochs": 0.04, "max_seconds": 10},
            "word": {"hidden_size": 32, "embed_size": 32, "dropout": 0.2, "tie_weights": True, "batch_size": 32,
                     "seq_len": 35, "lr": 3e-3, "epochs": 0.04, "max_seconds": 10, "min_count": 2},
            "sample_chars": 200, "sample_words": 40,
        },
        "full": {  # idle 2-core CPU: about 8 + 2.5 minutes of training (capped at 9.5 + 3)
            "char": {"hidden_size": 256, "embed_size": 64, "dropout": 0.1, "tie_weights": False, "batch_size": 32,
                     "seq_len": 64, "lr": 3e-3, "epochs": 12, "max_seconds": 570},
            "word": {"hidden_size": 128, "embed_size": 128, "dropout": 0.2, "tie_weights": True, "batch_size": 32,
                     "seq_len": 35, "lr": 3e-3, "epochs": 6, "max_seconds": 180, "min_count": 2},
            "sample_chars": 600, "sample_words": 120,
        },
    },
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
