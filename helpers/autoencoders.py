"""Autoencoders (chapter 2): models, the training step, settings and measures.

Chapter 2 trains :class:`MLPAutoencoder` and :class:`ConvAutoencoder` on MNIST in
``[-1, 1]`` (tanh outputs) with a squared-error loss. The measures here (codes,
reconstructions, error per pixel, random codes and how far they land from real ones)
serve the VAE of chapter 3 too.

Later chapters get the book's autoencoder back from the cache (trained now if the cache
lacks it)::

    from helpers.autoencoders import book_autoencoder, encode_all, random_codes
    from helpers.cache import trained

    autoencoder = trained(book_autoencoder()).model  # chapter 2's 3-number code
    codes = encode_all(autoencoder, test_images_in_minus1_1)
    fakes = autoencoder.decode(random_codes(codes, 64))  # pixels in [-1, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import budget, check_range
from .data import BatchIterator, check_training_subset, mnist, to_unit
from .nets import evaluating, mlp
from .training import History, fit, seeded

PIXELS = 28 * 28

# ----------------------------------------------------------------------------- models


class MLPAutoencoder(nn.Module):
    """Fully connected autoencoder; ``layers`` = input, hidden sizes..., code size.

    The encoder is ``Linear`` + ReLU down to the last hidden size, then a plain
    ``Linear`` to the code (no ReLU: the code may be negative). The decoder mirrors it
    and ends in tanh, so reconstructions live in ``[-1, 1]`` like the data.
    """

    scale = "tanh"

    def __init__(self, layers: tuple[int, ...] = (PIXELS, 128, 64, 12, 3)) -> None:
        super().__init__()
        if len(layers) < 2 or layers[0] != PIXELS or min(layers) < 1:
            raise ValueError(
                f"layers={tuple(layers)} must start at {PIXELS} and end in a code "
                "size of at least 1"
            )
        self.layers = tuple(layers)
        self.code_size = layers[-1]
        self.encoder = mlp(self.layers)
        self.decoder = mlp(self.layers[::-1], last=nn.Tanh())

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, code: Tensor) -> Tensor:
        return self.decoder(code).view(-1, 1, 28, 28)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        code = self.encode(x)
        return code, self.decode(code)


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder with an ``8 x 2 x 2`` code (32 numbers), shapes as
    written beside each layer."""

    scale = "tanh"
    code_size = 32

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=3, padding=1),  # (N, 16, 10, 10)
            nn.ReLU(),
            nn.MaxPool2d(2, stride=2),  # (N, 16, 5, 5)
            nn.Conv2d(16, 8, 3, stride=2, padding=1),  # (N, 8, 3, 3)
            nn.ReLU(),
            nn.MaxPool2d(2, stride=1),  # (N, 8, 2, 2): the code
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(8, 16, 3, stride=2),  # (N, 16, 5, 5)
            nn.ReLU(),
            nn.ConvTranspose2d(16, 8, 5, stride=3, padding=1),  # (N, 8, 15, 15)
            nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 2, stride=2, padding=1),  # (N, 1, 28, 28)
            nn.Tanh(),
        )

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        return self.decoder(code.view(-1, 8, 2, 2))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        code = self.encode(x)
        return code, self.decode(code)


# ----------------------------------------------------------------------------- training


def autoencoder_step(model: nn.Module, optimiser: torch.optim.Optimizer):
    """One training step of an autoencoder on a batch ``(x,)``: squared error, then
    Adam."""

    def step(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        (x,) = batch
        _, reconstruction = model(x)
        loss = F.mse_loss(reconstruction, x)  # mean over pixels and digits
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        return {"mse": loss.detach()}

    return step


@dataclass(frozen=True)
class AutoencoderSettings:
    """Everything that decides an autoencoder's trained weights (and its cache file).

    ``kind="mlp"`` builds an :class:`MLPAutoencoder` with ``layers``; ``kind="conv"``
    the :class:`ConvAutoencoder` (``layers`` unused). Training: MNIST in [-1, 1], the
    first ``limit`` training digits (None: all 60,000), Adam, :func:`autoencoder_step`.

    ``weight_decay`` is Adam's L2 term: it adds ``weight_decay * w`` to each weight's
    gradient, so its strength is relative to the gradient of the loss, which here is a
    mean over pixels and digits. The book trains every autoencoder with 0. (The source
    tutorial gave its convolutional model 1e-5 against a loss summed over each digit's
    784 pixels; against our mean, 784 times smaller, the equivalent is about 1e-5 / 784,
    which is negligible.)
    """

    name: ClassVar[str] = "autoencoder"
    kind: str = "mlp"
    layers: tuple[int, ...] = (PIXELS, 128, 64, 12, 3)
    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    limit: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))  # a list would not hash
        if self.kind not in ("mlp", "conv"):
            raise ValueError(f"kind={self.kind!r} is not allowed; allowed: mlp, conv")
        if (
            len(self.layers) < 2
            or self.layers[0] != PIXELS
            or not all(1 <= size <= 4096 for size in self.layers)
        ):
            raise ValueError(
                f"layers={self.layers} is out of range; allowed: {PIXELS}, then one "
                "or more sizes from 1 to 4096"
            )
        check_range("epochs", self.epochs, 1, 1000)
        check_range("lr", self.lr, 0, 1, low_open=True)
        check_range("weight_decay", self.weight_decay, 0, 1)
        check_training_subset(self.limit, self.batch_size)
        check_range("seed", self.seed, 0, 2**32 - 1)

    def build(self) -> nn.Module:
        return MLPAutoencoder(self.layers) if self.kind == "mlp" else ConvAutoencoder()

    def fit(
        self,
        model: nn.Module,
        *,
        device: torch.device,
        progress: bool = True,
        max_seconds: float | None = None,
    ) -> History:
        """Train ``model`` (already on ``device``) as these settings say."""
        # Seeded again after the build, so training draws the same numbers whatever
        # building the model drew (and the weights equal those of the book's first
        # version, which seeded both).
        with seeded(self.seed):
            images, _ = mnist(train=True, scale="tanh", device=device, limit=self.limit)
            batches = BatchIterator(images, batch_size=self.batch_size, seed=self.seed)
            optimiser = torch.optim.Adam(
                model.parameters(), lr=self.lr, weight_decay=self.weight_decay
            )
            return fit(
                autoencoder_step(model, optimiser),
                batches,
                self.epochs,
                models=[model],
                max_seconds=max_seconds,
                desc=f"{self.kind} autoencoder",
                progress=progress,
            )


def book_autoencoder(**changes) -> AutoencoderSettings:
    """The book's MLP autoencoder (chapter 2's 3-number code) under the active budget
    (``budget("models").autoencoder``), with ``changes`` applied."""
    return AutoencoderSettings(**{**budget("models").autoencoder, **changes})


# ----------------------------------------------------------------------------- measures


@torch.no_grad()
def encode_all(model: nn.Module, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Codes of ``images`` (for a VAE: the means of q(z|x)), flattened to
    ``(N, code_size)``; the model runs in eval mode."""
    codes = []
    with evaluating(model):
        for x in images.split(batch_size):
            code = model.encode(x)
            codes.append((code[0] if isinstance(code, tuple) else code).flatten(1))
    return torch.cat(codes)


@torch.no_grad()
def reconstruct(model: nn.Module, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Reconstructions of ``images`` (a VAE decodes the mean code), in the model's pixel
    scale."""
    codes = encode_all(model, images, batch_size)
    with evaluating(model):
        return torch.cat([model.decode(part) for part in codes.split(batch_size)])


def pixel_mse(model: nn.Module, images: Tensor) -> float:
    """Mean squared reconstruction error per pixel, measured on the [0, 1] scale.

    ``images`` are in the model's own scale; both sides are mapped to [0, 1] first, so
    tanh autoencoders and the VAE compare (a [-1, 1] MSE is 4 times larger).
    """
    recon = reconstruct(model, images)
    return F.mse_loss(to_unit(recon, model.scale), to_unit(images, model.scale)).item()


def random_codes(
    codes: Tensor,
    n: int,
    generator: torch.Generator | None = None,
    full_covariance: bool = False,
) -> Tensor:
    """``n`` random codes, each coordinate Gaussian with the mean and spread of
    ``codes``.

    With ``full_covariance`` the Gaussian also has the codes' correlations (their
    covariance matrix) instead of independent coordinates. This is a generous guess at
    "a typical code" for a plain autoencoder, which has no prior.
    """
    if n < 1:
        raise ValueError(f"n={n} must be at least 1")
    mean = codes.mean(0)
    noise = torch.randn(n, codes.shape[1], generator=generator).to(codes.device)
    if full_covariance:
        return mean + noise @ torch.linalg.cholesky(torch.cov(codes.T)).T
    return mean + codes.std(0) * noise


def code_gap(codes: Tensor, drawn: Tensor) -> tuple[float, float]:
    """How far random codes land from real ones, as two median nearest-neighbour
    distances.

    ``codes`` are codes of real digits: their second half is the reference. Returns the
    median distance to the nearest reference code of the first half's codes (real
    digits) and of ``drawn`` (random codes, at most as many as the first half).
    """
    half = len(codes) // 2
    if half < 1:
        raise ValueError(f"codes has {len(codes)} rows; need at least 2")
    reference = codes[half:]

    def nearest(points: Tensor) -> float:
        return torch.cdist(points, reference).min(dim=1).values.median().item()

    return nearest(codes[:half]), nearest(drawn[:half])


@torch.no_grad()
def same_class_neighbours(
    codes: Tensor, labels: Tensor, batch_size: int = 1000
) -> float:
    """The fraction of codes whose nearest other code belongs to a digit of the same
    class: near 1 when codes gather by class, near the chance level (the sum of the
    squared class shares, about 0.1 for MNIST) when they ignore it."""
    if len(codes) < 2 or len(codes) != len(labels):
        raise ValueError(
            f"codes has {len(codes)} rows and labels {len(labels)}; need the same "
            "number, at least 2"
        )
    same = 0
    for start in range(0, len(codes), batch_size):
        distances = torch.cdist(codes[start : start + batch_size], codes)
        rows = torch.arange(len(distances), device=codes.device)
        distances[rows, rows + start] = float("inf")  # not its own neighbour
        nearest = distances.argmin(dim=1)
        same += (labels[nearest] == labels[start : start + batch_size]).sum().item()
    return same / len(codes)


def class_shapes(codes: Tensor, labels: Tensor) -> dict[int, tuple[float, float]]:
    """Each class's cloud of codes as ``{class: (spread, elongation)}``.

    The spread is the root-mean-square distance of the class's codes to their mean;
    the elongation is how many times longer the cloud is along its longest axis than
    along its shortest (the square root of the largest over the smallest eigenvalue of
    its covariance): 1 for a round cloud.
    """
    size = codes.shape[1]
    shapes = {}
    for label in labels.unique().tolist():
        members = codes[labels == label].double()
        if len(members) <= size:
            raise ValueError(
                f"class {label} has {len(members)} codes; need more than the code "
                f"size {size}"
            )
        centred = members - members.mean(0)
        spread = centred.pow(2).sum(1).mean().sqrt().item()
        variances = torch.linalg.eigvalsh(centred.T @ centred / (len(members) - 1))
        shapes[label] = (spread, (variances[-1] / variances[0]).sqrt().item())
    return shapes
