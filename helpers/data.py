"""Data: MNIST as tensors on the device, an in-memory batch iterator, verified downloads
and pixel scales.

The whole of MNIST is 47 MB as float32, so it is kept as one tensor on the device and
batches are cut from it by index: no per-sample transforms, no worker processes.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import struct
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from .config import DATA_VARIABLE, check_range, data_root, get_device

MNIST_TRAIN_SIZE = 60_000  # digits in MNIST's training set; a ``limit`` keeps fewer
SCALES = ("tanh", "unit")
MIRROR_VARIABLE = "GANBOOK_MIRROR"


@dataclass(frozen=True)
class DataFile:
    """One file of a data set: where it lies under the data root, the checksum of its
    uncompressed bytes, and the default hosts it is downloaded from (a ``.gz``
    address is unpacked on arrival)."""

    path: str
    checksum: str  # "md5:<hex>", or "git-sha1:<hex>" (the id of the file in a git tree)
    urls: tuple[str, ...]


def _mnist_file(name: str, md5: str) -> DataFile:
    hosts = (
        "https://ossci-datasets.s3.amazonaws.com/mnist",
        "https://storage.googleapis.com/cvdf-datasets/mnist",
    )
    return DataFile(
        f"MNIST/raw/{name}", f"md5:{md5}", tuple(f"{h}/{name}.gz" for h in hosts)
    )


_EXAMPLES = "https://raw.githubusercontent.com/pytorch/examples/main"
_WIKITEXT = f"{_EXAMPLES}/word_language_model/data/wikitext-2"
DATA_FILES: dict[str, DataFile] = {
    file.path: file
    for file in (
        _mnist_file("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb"),
        _mnist_file("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624"),
        _mnist_file("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea"),
        _mnist_file("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637"),
        DataFile(
            "tinyshakespeare/input.txt",
            "md5:6fb458f1232090904fb40fe944165e91",
            (
                "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                "tinyshakespeare/input.txt",
            ),
        ),
        # PyTorch's example records its files in git, which names each by the SHA-1 of
        # its contents: that id is the checksum of the training split.
        DataFile(
            "wikitext-2/train.txt",
            "git-sha1:2d84b35af79e411d73ea7cae83c73964c6ac83b4",
            (f"{_WIKITEXT}/train.txt",),
        ),
        DataFile(
            "wikitext-2/valid.txt",
            "md5:d756d22ab2310e7e60c094bea5c5a8eb",
            (f"{_WIKITEXT}/valid.txt",),
        ),
        DataFile(
            "wikitext-2/test.txt",
            "md5:781c9418ab9414bd09e4aad825aae752",
            (f"{_WIKITEXT}/test.txt",),
        ),
    )
}


class DataNotFoundError(FileNotFoundError):
    """A data file is not under the data root and could not be downloaded."""


class CorruptDataError(ValueError):
    """A data file under the data root does not match its recorded checksum."""


def _checksum(path: Path, kind: str) -> str:
    if kind == "md5":
        digest = hashlib.md5(usedforsecurity=False)
    elif kind == "git-sha1":
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(b"blob %d\0" % path.stat().st_size)
    else:
        raise ValueError(f"checksum kind {kind!r} is not one of md5, git-sha1")
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _matches(path: Path, file: DataFile) -> tuple[bool, str]:
    kind, expected = file.checksum.split(":")
    got = _checksum(path, kind)
    return got == expected, f"{kind} {got}, expected {expected}"


def _sources(file: DataFile) -> tuple[str, ...]:
    mirror = os.environ.get(MIRROR_VARIABLE, "").rstrip("/")
    if mirror:  # the same relative path under the mirror, plain or gzipped
        return (f"{mirror}/{file.path}", f"{mirror}/{file.path}.gz")
    return file.urls


@contextmanager
def atomic_file(path: Path, suffix: str = ".part") -> Iterator[Path]:
    """A temporary file beside ``path`` for the block to write; renamed onto ``path``
    (mode 0644) when the block ends without an error, deleted when it raises.

    Its name is its own, so two processes may write the same ``path`` at once (two
    lanes of the book's build): the last rename wins, and no reader ever sees half a
    file. The downloads, the model cache and the page's exports all write through it.
    """
    handle, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=suffix
    )
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        os.chmod(partial, 0o644)  # mkstemp's 0600 would keep the file from other users
        os.replace(partial, path)
    finally:  # an interrupted or failed write leaves nothing a later run could trust
        partial.unlink(missing_ok=True)


def _download(url: str, target: Path, file: DataFile) -> None:
    """``url`` into ``target``, atomically: the bytes go to a temporary file beside it,
    are checked against ``file.checksum`` and only then renamed into place."""
    with atomic_file(target) as partial:
        with (
            urllib.request.urlopen(url, timeout=60) as response,
            open(partial, "wb") as out,
        ):
            source = (
                gzip.GzipFile(fileobj=response) if url.endswith(".gz") else response
            )
            shutil.copyfileobj(source, out)
        good, detail = _matches(partial, file)
        if not good:
            raise CorruptDataError(
                f"the download does not match its checksum ({detail})"
            )


def fetch(relative_path: str) -> Path:
    """The data file ``relative_path`` (a key of ``DATA_FILES``) under the data root,
    checked against its recorded checksum; downloaded first if it is not there.

    Downloads come from ``GANBOOK_MIRROR`` when it is set (the same relative path under
    it, plain or with ``.gz``), else from the data set's default hosts. A file on disk
    that fails its checksum raises ``CorruptDataError``; a file that cannot be had
    raises ``DataNotFoundError``. Both name the file and say how to fix it.
    """
    if relative_path not in DATA_FILES:
        raise ValueError(
            f"relative_path={relative_path!r} is not a known data file; "
            f"known: {', '.join(DATA_FILES)}"
        )
    file = DATA_FILES[relative_path]
    root = data_root()
    target = root / file.path
    if target.exists():
        good, detail = _matches(target, file)
        if not good:
            raise CorruptDataError(
                f"{target} is corrupt or incomplete ({detail}). Delete it and run "
                "again to download it afresh, or put a good copy there."
            )
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in _sources(file):
        try:
            _download(url, target, file)
            return target
        except Exception as error:  # noqa: BLE001 - every failure is reported below
            failures.append(f"  {url}: {type(error).__name__}: {error}")
    mirror = os.environ.get(MIRROR_VARIABLE)
    where = f"the mirror {MIRROR_VARIABLE}={mirror}" if mirror else "its default hosts"
    raise DataNotFoundError(
        f"{file.path} is not under the data root {root} and could not be downloaded "
        f"from {where}:\n" + "\n".join(failures) + f"\nSet {DATA_VARIABLE} to a folder "
        f"that holds {file.path}, or {MIRROR_VARIABLE} to a base URL that serves it."
    )


def _read_idx(path: Path) -> torch.Tensor:
    """An IDX file of unsigned bytes (MNIST's format) as a uint8 tensor of its shape."""
    data = path.read_bytes()
    # Two zero bytes, the type (0x08: unsigned byte), the number of dimensions, then
    # each dimension as a big-endian 32-bit integer.
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim :]), dtype=torch.uint8).view(
        shape
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
    split = "train" if train else "t10k"
    images = _read_idx(fetch(f"MNIST/raw/{split}-images-idx3-ubyte"))
    labels = _read_idx(fetch(f"MNIST/raw/{split}-labels-idx1-ubyte"))
    images = images[:limit].unsqueeze(1).float().div_(255.0)
    if scale == "tanh":
        images = images.mul_(2.0).sub_(1.0)
    labels = labels[:limit].long()
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
