"""Data: MNIST as tensors on the device, an in-memory batch iterator, file fetching and
pixel scales.

The whole of MNIST is 47 MB as float32, so it is kept as one tensor on the device and
batches are cut from it by index: no per-sample transforms, no worker processes.
"""

from __future__ import annotations

import gzip
import math
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor

from .config import DATA_VARIABLE, check_range, data_root, get_device

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
MNIST_TRAIN_SIZE = 60_000  # digits in MNIST's training set; a ``limit`` keeps fewer
SCALES = ("tanh", "unit")


class DataNotFoundError(FileNotFoundError):
    """The data is not under the data root and could not be downloaded."""


def _missing_data(
    what: str, root: Path, expected: list[Path], cause: BaseException | None
) -> DataNotFoundError:
    listing = "\n".join(f"  {path}" for path in expected)
    reason = f" (download failed: {type(cause).__name__}: {cause})" if cause else ""
    return DataNotFoundError(
        f"{what} is not under the data root {root} "
        f"and could not be downloaded{reason}.\n"
        f"Set {DATA_VARIABLE} to a folder that holds these files:\n{listing}"
    )


def mnist(
    train: bool = True,
    scale: str = "tanh",
    device: torch.device | str | None = None,
    limit: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits as one ``(N, 1, 28, 28)`` float tensor and ``(N,)`` labels.

    Both live on ``device``. ``scale="tanh"`` maps pixels to [-1, 1] (for tanh
    generators), ``"unit"`` to [0, 1]. ``limit`` keeps the first ``limit`` digits (quick
    budgets).
    """
    if scale not in SCALES:
        raise ValueError(
            f"scale={scale!r} is not allowed; allowed values: {', '.join(SCALES)}"
        )
    if limit is not None and limit < 1:
        raise ValueError(
            f"limit={limit} must be a positive number of digits (or None for all)"
        )
    # Imported here: torchvision is slow to import.
    from torchvision.datasets import MNIST

    root = data_root()
    raw = root / "MNIST" / "raw"
    have_raw = all((raw / name).exists() for name in MNIST_FILES)
    try:
        dataset = MNIST(root=str(root), train=train, download=not have_raw)
    except (
        Exception
    ) as error:  # torchvision raises RuntimeError/URLError on a closed network
        raise _missing_data(
            "MNIST", root, [raw / name for name in MNIST_FILES], error
        ) from None
    images = dataset.data[:limit].unsqueeze(1).float().div_(255.0)
    if scale == "tanh":
        images = images.mul_(2.0).sub_(1.0)
    labels = dataset.targets[:limit].clone()
    device = get_device() if device is None else torch.device(device)
    return images.to(device), labels.to(device)


def check_training_subset(limit: int | None, batch_size: int) -> None:
    """Check the ``limit`` of a model's settings (train on the first ``limit`` MNIST
    training digits; None: all of them) and a ``batch_size`` that fits in them.

    Raises a ``ValueError`` naming the field at fault and its allowed range.
    """
    check_range("limit", limit, 1, MNIST_TRAIN_SIZE, allow_none=True)
    digits = limit or MNIST_TRAIN_SIZE
    label = f"the {digits} training digits"
    check_range("batch_size", batch_size, 1, digits, high_label=label)


def fetch_file(relative_path: str, url: str) -> Path:
    """The file ``relative_path`` under the data root; fetched from ``url`` if absent.

    A ``.gz`` URL is unpacked on arrival. With no file and no network, one clear error
    names ``GANBOOK_DATA`` and the path expected.
    """
    root = data_root()
    target = root / relative_path
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with (
            urllib.request.urlopen(url, timeout=30) as response,
            open(partial, "wb") as out,
        ):
            source = (
                gzip.GzipFile(fileobj=response) if url.endswith(".gz") else response
            )
            shutil.copyfileobj(source, out)
    except Exception as error:
        partial.unlink(missing_ok=True)
        raise _missing_data(relative_path, root, [target], error) from None
    partial.rename(target)
    return target


class BatchIterator:
    """Shuffled mini-batches cut from tensors that already live on the device.

    Each epoch (one pass of ``for batch in iterator``) visits every sample exactly once;
    the last, smaller batch is kept unless ``drop_last``. With a ``seed`` the order of
    every epoch repeats from run to run.
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if not tensors:
            raise ValueError("tensors: give at least one tensor to batch")
        size = len(tensors[0])
        if any(len(t) != size for t in tensors):
            raise ValueError(
                "tensors must share their first dimension; "
                f"got {[len(t) for t in tensors]}"
            )
        if not 1 <= batch_size:
            raise ValueError(f"batch_size={batch_size} must be at least 1")
        if drop_last and batch_size > size:
            raise ValueError(
                f"batch_size={batch_size} exceeds the {size} samples "
                "with drop_last=True"
            )
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = (
            torch.Generator().manual_seed(seed) if seed is not None else None
        )

    def __len__(self) -> int:
        size = len(self.tensors[0])
        return (
            size // self.batch_size if self.drop_last else -(-size // self.batch_size)
        )

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        size = len(self.tensors[0])
        device = self.tensors[0].device
        if self.shuffle:
            # Permute on the CPU generator so the order is the same on every device.
            order = torch.randperm(size, generator=self.generator).to(device)
        else:
            order = torch.arange(size, device=device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield tuple(t[index] for t in self.tensors)


def to_unit(images: torch.Tensor, scale: str) -> torch.Tensor:
    """Pixels in ``scale`` ("tanh": [-1, 1], "unit": [0, 1]) mapped to [0, 1]."""
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r} is not allowed; allowed values: tanh, unit")
    return (images + 1) / 2 if scale == "tanh" else images


def mid_grey_fraction(images: torch.Tensor) -> float:
    """The fraction of pixels strictly between 0.2 and 0.8 (on [0, 1]): neither ink nor
    paper. Blurry digits have many; real MNIST digits few."""
    return ((images > 0.2) & (images < 0.8)).float().mean().item()


def ring_centres(modes: int = 8, radius: float = 2.0) -> Tensor:
    """The ``(modes, 2)`` centres, evenly spaced on a circle of ``radius``."""
    if modes < 1 or radius <= 0:
        raise ValueError(f"modes={modes}, radius={radius}: need modes >= 1, radius > 0")
    angles = torch.arange(modes) * (2 * math.pi / modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def ring_of_gaussians(
    n: int, modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0
) -> Tensor:
    """``n`` points of an equal mixture of ``modes`` Gaussians (std ``std``) on a ring
    of ``radius``."""
    if n < 1 or std <= 0:
        raise ValueError(f"n={n}, std={std}: need n >= 1 and std > 0")
    generator = torch.Generator().manual_seed(seed)
    which = torch.randint(modes, (n,), generator=generator)
    noise = std * torch.randn(n, 2, generator=generator)
    return ring_centres(modes, radius)[which] + noise
