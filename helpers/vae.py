"""The variational autoencoder (chapter 3): model, loss, training and what the chapters
do with it.

The VAE trains on MNIST in ``[0, 1]`` with a Bernoulli likelihood, so its loss is a
negative ELBO in nats. Later chapters get the book's VAE, and the plain autoencoder with
the same layers, back from the cache (trained now if the cache lacks them)::

    from helpers.cache import trained
    from helpers.vae import book_vae

    vae = trained(book_vae()).model  # chapter 3's 20-d VAE
    images = vae.sample(64)  # decoded z ~ N(0, I), pixels in [0, 1]
    plain = trained(book_vae().matching_autoencoder()).model  # same layers, MSE
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .autoencoders import PIXELS, AutoencoderSettings, encode_all, random_codes
from .config import budget, check_range
from .data import BatchIterator, mnist
from .nets import device_of, evaluating
from .training import History, fit, seeded

# ----------------------------------------------------------------------------- model


class VAE(nn.Module):
    """Variational autoencoder: 784 -> hidden -> (mean, log-variance) of z;
    z -> hidden -> 784.

    The decoder returns Bernoulli *logits*, one per pixel; ``decode`` turns them into
    probabilities, which are also the images we show (pixels in ``[0, 1]``).
    """

    scale = "unit"

    def __init__(self, latent_size: int = 20, hidden: int = 400) -> None:
        super().__init__()
        if latent_size < 1 or hidden < 1:
            raise ValueError(
                f"latent_size={latent_size} and hidden={hidden} must be at least 1"
            )
        self.latent_size = latent_size
        self.hidden = nn.Linear(PIXELS, hidden)
        self.to_mean = nn.Linear(hidden, latent_size)
        self.to_logvar = nn.Linear(hidden, latent_size)
        self.from_latent = nn.Linear(latent_size, hidden)
        self.to_pixels = nn.Linear(hidden, PIXELS)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = F.relu(self.hidden(x.flatten(1)))
        return self.to_mean(h), self.to_logvar(h)

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.to_pixels(F.relu(self.from_latent(z))).view(-1, 1, 28, 28)

    def decode(self, z: Tensor) -> Tensor:
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mean, logvar = self.encode(x)
        z = reparameterise(mean, logvar)
        return self.decode_logits(z), mean, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Decode ``n`` codes drawn from the prior N(0, I): new digits, pixels in
        [0, 1].

        Each image is the decoder's *mean* E[x | z], every pixel's probability of being
        ink, as VAE samples are usually shown; :func:`bernoulli_pixels` draws a true
        sample x ~ p(x | z) from it.
        """
        z = torch.randn(n, self.latent_size, generator=generator)
        return self.decode(z.to(device_of(self)))


def bernoulli_pixels(
    probabilities: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """A true sample of the Bernoulli decoder: each pixel 1 (ink) with its probability,
    else 0, independently.

    Drawn on the CPU, so a CPU ``generator`` gives the same draws whatever the device;
    returned on the device of ``probabilities``.
    """
    draws = torch.bernoulli(probabilities.detach().cpu(), generator=generator)
    return draws.to(probabilities.device)


# ----------------------------------------------------------------------------- loss


def reparameterise(mean: Tensor, logvar: Tensor) -> Tensor:
    """z = mean + sigma * eps with eps ~ N(0, I): a sample whose gradient reaches mean
    and logvar."""
    eps = torch.randn_like(mean)
    return mean + torch.exp(0.5 * logvar) * eps


def kl_to_standard_normal(mean: Tensor, logvar: Tensor) -> Tensor:
    """KL( N(mean, diag(exp(logvar))) || N(0, I) ) for each row, summed over
    dimensions."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


def vae_loss(
    logits: Tensor, x: Tensor, mean: Tensor, logvar: Tensor, beta: float = 1.0
) -> dict[str, Tensor]:
    """Negative ELBO per digit (in nats) with the KL term weighted by ``beta``.

    Reconstruction: the Bernoulli negative log-likelihood (binary cross-entropy) of the
    pixels in ``[0, 1]`` given the decoder's logits, summed over the 784 pixels.
    """
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    reconstruction = bce.flatten(1).sum(1)
    kl = kl_to_standard_normal(mean, logvar)
    return {
        "loss": (reconstruction + beta * kl).mean(),
        "reconstruction": reconstruction.mean(),
        "kl": kl.mean(),
    }


# ----------------------------------------------------------------------------- training


def vae_step(model: VAE, optimiser: torch.optim.Optimizer, beta: float = 1.0):
    """One training step of the VAE on a batch ``(x,)``: negative ELBO, then Adam."""

    def step(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        (x,) = batch
        logits, mean, logvar = model(x)
        losses = vae_loss(logits, x, mean, logvar, beta)
        optimiser.zero_grad(set_to_none=True)
        losses["loss"].backward()
        optimiser.step()
        return {k: v.detach() for k, v in losses.items()}

    return step


@dataclass(frozen=True)
class VAESettings:
    """Everything that decides a VAE's trained weights (and its cache file).

    Training: MNIST in [0, 1], the first ``limit`` training digits (None: all 60,000),
    Adam, :func:`vae_step` with the KL weight ``beta``.
    """

    name: ClassVar[str] = "vae"
    latent_size: int = 20
    hidden: int = 400
    epochs: int = 10
    lr: float = 1e-3
    beta: float = 1.0
    batch_size: int = 128
    limit: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("latent_size", self.latent_size, 1, 512)
        check_range("hidden", self.hidden, 1, 4096)
        check_range("beta", self.beta, 0, 100)
        # The training schedule (epochs, lr, batch_size, limit, seed) is the matching
        # autoencoder's, and so are its checks.
        self.matching_autoencoder()

    def build(self) -> VAE:
        return VAE(self.latent_size, self.hidden)

    def fit(
        self,
        model: VAE,
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
            images, _ = mnist(train=True, scale="unit", device=device, limit=self.limit)
            batches = BatchIterator(images, batch_size=self.batch_size, seed=self.seed)
            optimiser = torch.optim.Adam(model.parameters(), lr=self.lr)
            return fit(
                vae_step(model, optimiser, self.beta),
                batches,
                self.epochs,
                models=[model],
                max_seconds=max_seconds,
                desc="VAE",
                progress=progress,
            )

    def matching_autoencoder(self) -> AutoencoderSettings:
        """A plain autoencoder with this VAE's layer sizes, data and training
        schedule."""
        return AutoencoderSettings(
            kind="mlp",
            layers=(PIXELS, self.hidden, self.latent_size),
            epochs=self.epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            limit=self.limit,
            seed=self.seed,
        )


def book_vae(**changes) -> VAESettings:
    """The book's VAE (chapter 3's 20-d latent) under the active budget
    (``budget("models").vae``), with ``changes`` applied."""
    return VAESettings(**{**budget("models").vae, **changes})


# ----------------------------------------------------------------------------- measures


@torch.no_grad()
def elbo(
    model: VAE, images: Tensor, batch_size: int = 1000, seed: int = 0
) -> dict[str, float]:
    """The test ELBO per digit in nats (one z sample per digit, drawn under ``seed``),
    and its two terms. The global random generators are left as they were."""
    totals = {"reconstruction": 0.0, "kl": 0.0}
    with evaluating(model), seeded(seed):
        for x in images.split(batch_size):
            logits, mean, logvar = model(x)
            losses = vae_loss(logits, x, mean, logvar)
            for key in totals:
                totals[key] += losses[key].item() * len(x)
    result = {key: value / len(images) for key, value in totals.items()}
    result["elbo"] = -(result["reconstruction"] + result["kl"])
    return result


@torch.no_grad()
def interpolate(model: VAE, x_a: Tensor, x_b: Tensor, steps: int = 10) -> Tensor:
    """Decode ``steps`` evenly spaced points on the line between the mean codes of two
    digits."""
    if steps < 2:
        raise ValueError(f"steps={steps} must be at least 2")
    z_a, z_b = encode_all(model, torch.stack([x_a, x_b]))
    t = torch.linspace(0, 1, steps, device=z_a.device).unsqueeze(1)
    with evaluating(model):
        return model.decode((1 - t) * z_a + t * z_b)


@torch.no_grad()
def latent_grid(model: VAE, n: int = 15, quantile: float = 0.95) -> Tensor:
    """Decode an ``n x n`` grid over a 2-d latent, evenly spaced in N(0, 1) probability.

    The grid runs over the central ``quantile`` of each coordinate's prior (through the
    inverse normal CDF), so every cell stands for the same prior mass.
    """
    if model.latent_size != 2:
        raise ValueError(
            f"latent_grid needs latent_size=2; the model has {model.latent_size}"
        )
    check_range("quantile", quantile, 0, 1, low_open=True, high_open=True)
    tail = (1 - quantile) / 2
    p = torch.linspace(tail, 1 - tail, n)
    values = math.sqrt(2) * torch.erfinv(2 * p - 1)
    # rows go down in z2, columns go right in z1, so the picture matches a scatter plot
    z2, z1 = torch.meshgrid(values.flip(0), values, indexing="ij")
    z = torch.stack([z1, z2], dim=-1).reshape(-1, 2)
    with evaluating(model):
        return model.decode(z.to(device_of(model)))


@torch.no_grad()
def decoded_samples(
    autoencoder: nn.Module,
    vae: VAE,
    real_images: Tensor,
    n: int,
    generator: torch.Generator | None = None,
    batch_size: int = 1000,
) -> tuple[Tensor, Tensor]:
    """``n`` digits made by each decoder, both in [-1, 1]: ``(autoencoder's, VAE's)``.

    The autoencoder has no distribution of its own, so it decodes codes drawn from a
    Gaussian fitted to the codes of ``real_images`` (:func:`random_codes` with
    ``full_covariance``); the VAE decodes ``z ~ N(0, I)``, its prior. ``generator``
    draws both, in that order.
    """
    codes = encode_all(autoencoder, real_images)
    drawn = random_codes(codes, n, generator, full_covariance=True)
    z = torch.randn(n, vae.latent_size, generator=generator).to(drawn.device)
    with evaluating(autoencoder), evaluating(vae):
        ae_images = torch.cat(
            [autoencoder.decode(part) for part in drawn.split(batch_size)]
        )
        vae_images = torch.cat([vae.decode(part) for part in z.split(batch_size)])

    def to_tanh(images: Tensor, scale: str) -> Tensor:
        return images if scale == "tanh" else images * 2 - 1

    return to_tanh(ae_images, autoencoder.scale), to_tanh(vae_images, vae.scale)
