"""Data: MNIST as tensors on the device, an in-memory batch iterator, and file fetching.

The whole of MNIST is 47 MB as float32, so it is kept as one tensor on the device and
batches are cut from it by index: no per-sample transforms, no worker processes.
"""

from __future__ import annotations

import gzip
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import torch

from .config import DATA_VARIABLE, data_root, get_device

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
SCALES = ("tanh", "unit")


class DataNotFoundError(FileNotFoundError):
    """The data is not under the data root and could not be downloaded."""


def _missing_data(what: str, root: Path, expected: list[Path], cause: BaseException | None) -> DataNotFoundError:
    listing = "\n".join(f"  {path}" for path in expected)
    reason = f" (download failed: {type(cause).__name__}: {cause})" if cause else ""
    return DataNotFoundError(
        f"{what} is not under the data root {root} and could not be downloaded{reason}.\n"
        f"Set {DATA_VARIABLE} to a folder that holds these files:\n{listing}"
    )


def mnist(
    train: bool = True,
    scale: str = "tanh",
    device: torch.device | str | None = None,
    limit: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits as one ``(N, 1, 28, 28)`` float tensor and ``(N,)`` labels, on ``device``.

    ``scale="tanh"`` maps pixels to [-1, 1] (for tanh generators), ``"unit"`` to [0, 1].
    ``limit`` keeps the first ``limit`` digits (quick budgets).
    """
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r} is not allowed; allowed values: {', '.join(SCALES)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit={limit} must be a positive number of digits (or None for all)")
    from torchvision.datasets import MNIST  # imported here: torchvision is slow to import

    root = data_root()
    raw = root / "MNIST" / "raw"
    have_raw = all((raw / name).exists() for name in MNIST_FILES)
    try:
        dataset = MNIST(root=str(root), train=train, download=not have_raw)
    except Exception as error:  # torchvision raises RuntimeError/URLError on a closed network
        raise _missing_data("MNIST", root, [raw / name for name in MNIST_FILES], error) from None
    images = dataset.data[:limit].unsqueeze(1).float().div_(255.0)
    if scale == "tanh":
        images = images.mul_(2.0).sub_(1.0)
    labels = dataset.targets[:limit].clone()
    device = get_device() if device is None else torch.device(device)
    return images.to(device), labels.to(device)


def fetch_file(relative_path: str, url: str) -> Path:
    """The file ``relative_path`` under the data root, downloaded from ``url`` if absent.

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
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out:
            source = gzip.GzipFile(fileobj=response) if url.endswith(".gz") else response
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
            raise ValueError(f"tensors must share their first dimension; got {[len(t) for t in tensors]}")
        if not 1 <= batch_size:
            raise ValueError(f"batch_size={batch_size} must be at least 1")
        if drop_last and batch_size > size:
            raise ValueError(f"batch_size={batch_size} exceeds the {size} samples with drop_last=True")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def __len__(self) -> int:
        size = len(self.tensors[0])
        return size // self.batch_size if self.drop_last else -(-size // self.batch_size)

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
