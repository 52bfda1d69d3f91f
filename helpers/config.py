"""Budgets, the data root, the model cache and the device: what every chapter reads.

Two environment variables steer the whole book:

``GANBOOK_BUDGET``
    ``full`` (default) trains for real, as the published book shows; ``quick`` runs
    every chapter top to bottom in about a minute on two CPU cores, for tests.
``GANBOOK_DATA``
    The folder the data sets live in (default: ``data/`` beside the book).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from types import SimpleNamespace

import torch

BUDGET_VARIABLE = "GANBOOK_BUDGET"
DATA_VARIABLE = "GANBOOK_DATA"
CACHE_VARIABLE = "GANBOOK_CACHE"
ALLOWED_BUDGETS = ("quick", "full")

# Every budget, in one place. ``quick`` is for tests (a minute at most on two CPU
# cores), ``full`` is what the published book trains. Plain values, so a reader can see
# exactly what each run costs. Every run the book reports is budgeted in epochs or
# steps, never in seconds, so the same seeds give the same numbers on every machine.
# "models" holds the models several chapters share (each family's module turns its entry
# into settings: autoencoders.book_autoencoder(), vae.book_vae(), gan.book_mlp_gan(),
# metrics.judge_settings(), wgan.book_mnist_wgan()); every other entry belongs to one
# chapter, and no chapter reads another's.
BUDGETS: dict[str, dict[str, dict]] = {
    "models": {
        "quick": {
            "autoencoder": {"epochs": 1, "limit": 3000},
            "vae": {"epochs": 1, "limit": 3000},
            "judge": {"epochs": 2, "limit": 3000},
            "mlp_gan": {"epochs": 2, "limit": 1024},
            "wgan_mnist": {
                "steps": 40,
                "record_every": 10,
                "n_fixed": 500,
                "limit": 1024,
            },
        },
        "full": {
            "autoencoder": {"epochs": 10, "limit": None},
            "vae": {"epochs": 10, "limit": None},
            "judge": {"epochs": 3, "limit": None},
            "mlp_gan": {"epochs": 15, "limit": None},
            # chapter 9's MNIST WGAN-GP, which chapter 10's table measures again
            "wgan_mnist": {
                "steps": 3000,
                "record_every": 150,
                "n_fixed": 1000,
                "limit": None,
            },
        },
    },
    "intro": {
        "quick": {"n_digits": 32},
        "full": {"n_digits": 64},
    },
    "autoencoders": {
        "quick": {"test_limit": 1000},
        "full": {"test_limit": None},
    },
    "vae": {
        "quick": {"test_limit": 1000},
        "full": {"test_limit": None},
    },
    "gan_maths": {
        "quick": {"n_samples": 4000, "epochs": 10, "batch_size": 500},
        "full": {"n_samples": 20000, "epochs": 40, "batch_size": 1000},
    },
    "toy_gan": {
        "quick": {"epochs": 2, "long_epochs": 3, "seeds": 2, "judge_steps": 20},
        "full": {"epochs": 20, "long_epochs": 50, "seeds": 8, "judge_steps": 500},
    },
    "mnist_gan": {
        "quick": {
            "limit": 1024,
            "variant_epochs": 2,
            "timing_steps": 4,
            "n_judge": 500,
        },
        "full": {
            "limit": None,
            "variant_epochs": 15,
            "timing_steps": 60,
            "n_judge": 5000,
        },
    },
    "lsgan": {
        "quick": {
            "test_limit": 2000,
            "n_samples": 2000,
            "ring_seeds": [0, 1, 2],
            "ring_epochs": 4,
            "ring_points": 6400,
            "mnist_seeds": [0, 1, 2],
        },
        "full": {
            "test_limit": None,
            "n_samples": 10000,
            "ring_seeds": [0, 1, 2, 3, 4],  # about 11 s a run on one CPU thread
            "ring_epochs": 40,
            "ring_points": 25600,
            "mnist_seeds": [0, 1, 2],  # seed 0: the pair chapters 6 and 8 share
        },
    },
    "dcgan": {
        "quick": {
            "limit": 1024,
            "batch_size": 64,
            "test_limit": 2000,
            "n_samples": 2000,
            "paper_width": 64,
            "paper_lr": 2e-4,
            "target_architecture": "tutorial",
            "target_lr": 1e-3,
            "target_compute": 1,
        },
        "full": {
            "limit": None,
            "batch_size": 64,
            "test_limit": None,
            "n_samples": 10000,
            "paper_width": 64,  # the paper's DCGAN: channels of D's first layer
            "paper_lr": 2e-4,  # the paper's learning rate
            # The run aimed at the target: this network again, only its learning rate
            # and its compute (times the MLP GAN's FLOPs) changed.
            "target_architecture": "tutorial",
            "target_lr": 1e-3,
            "target_compute": 1,
        },
    },
    "wgan": {
        "quick": {
            "critic_steps": 200,
            "critic_samples": 20000,
            "ring_long_epochs": 8,
            "test_limit": 1000,
            "n_samples": 1000,
        },
        "full": {
            "critic_steps": 2000,  # the 1-d critics: about 10 s each on one thread
            "critic_samples": 200000,
            "ring_long_epochs": 200,  # the generator steps of chapter 7's 40 epochs
            "test_limit": None,
            "n_samples": 5000,
        },
    },
    "cgan": {
        "quick": {
            "steps": 30,
            "record_every": 10,
            "limit": 1024,
            "per_digit": 10,
            "test_limit": 1000,
            "per_class": 100,
            "target": None,  # the accuracy target holds at the full budget only
        },
        "full": {
            "steps": 800,  # >= 97 % read as asked from step 200 in the book's run
            "record_every": 100,
            "limit": None,
            "per_digit": 50,
            "test_limit": None,
            "per_class": 1000,
            "target": 0.95,  # of samples read as the digit asked for
        },
    },
    "text_lstm": {
        "quick": {
            "char": {
                "hidden_size": 64,
                "embed_size": 32,
                "dropout": 0.0,
                "tie_weights": False,
                "batch_size": 32,
                "seq_len": 64,
                "lr": 3e-3,
                "steps": 20,
            },
            "word": {
                "hidden_size": 32,
                "embed_size": 32,
                "dropout": 0.2,
                "tie_weights": True,
                "batch_size": 32,
                "seq_len": 35,
                "lr": 3e-3,
                "steps": 20,
                "min_count": 2,
            },
            "sample_chars": 200,
            "sample_words": 40,
            # The statistics of the samples: how many per temperature, how long.
            "stat_samples": 4,
            "stat_chars": 300,
            "stat_words": 60,
        },
        "full": {  # one CPU thread: about 7 + 4 minutes of training
            "char": {
                "hidden_size": 256,
                "embed_size": 64,
                "dropout": 0.1,
                "tie_weights": False,
                "batch_size": 32,
                "seq_len": 64,
                "lr": 3e-3,
                "steps": 4900,  # 10 passes over the training text
            },
            "word": {
                "hidden_size": 128,
                "embed_size": 128,
                "dropout": 0.2,
                "tie_weights": True,
                "batch_size": 32,
                "seq_len": 35,
                "lr": 3e-3,
                "steps": 1404,  # 6 passes over the training words
                "min_count": 2,
            },
            "sample_chars": 600,
            "sample_words": 120,
            "stat_samples": 16,
            "stat_chars": 1000,
            "stat_words": 300,
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
    """The settings of ``chapter`` under the active budget, as attributes.

    For example ``budget("gan_maths").epochs``.
    """
    if chapter not in BUDGETS:
        raise KeyError(
            f"chapter={chapter!r} has no budget; known chapters: {', '.join(BUDGETS)}"
        )
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
    return (
        root / "data" if (root / "_toc.yml").exists() else Path.home() / "ganbook-data"
    )


def cache_root() -> Path:
    """Where trained models are cached: ``GANBOOK_CACHE``, else ``~/.cache/ganbook``."""
    value = os.environ.get(CACHE_VARIABLE)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "ganbook"


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA if present, then Apple MPS, then CPU; a ``prefer`` device name overrides."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if (
        getattr(torch.backends, "mps", None) is not None
        and torch.backends.mps.is_available()
    ):
        return torch.device("mps")
    return torch.device("cpu")


def check_range(
    name: str,
    value: float | None,
    low: float,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
    high_label: str | None = None,
) -> None:
    """Raise a ``ValueError`` naming the field and its allowed range unless ``value``
    lies between ``low`` and ``high``, both included unless ``low_open``/``high_open``.

    The settings dataclasses check every field with it. ``allow_none`` lets ``None``
    through (a field such as ``limit`` where None means "all"); ``high_label`` names
    the upper bound in the message instead of its value (``"the 256 training
    digits"``). Closed ranges read ``allowed: 1 to 1000``, others as inequalities,
    ``allowed: 0 < lr <= 1`` or ``allowed: clip > 0``.
    """
    if value is None and allow_none:
        return
    inside = value is not None and (
        (low < value if low_open else low <= value)
        and (value < high if high_open else value <= high)
    )
    if inside:
        return
    upper = high if high_label is None else high_label
    if not (low_open or high_open or high == math.inf):
        allowed = f"{low} to {upper}"
    elif high == math.inf:
        allowed = f"{name} {'>' if low_open else '>='} {low}"
    else:
        less, less_high = ("<" if low_open else "<="), ("<" if high_open else "<=")
        allowed = f"{low} {less} {name} {less_high} {upper}"
    if allow_none:
        allowed += " (or None for all)"
    raise ValueError(f"{name}={value!r} is out of range; allowed: {allowed}")
