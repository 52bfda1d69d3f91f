"""GANs: loss pairs, one training loop for every GAN in the book, and the 2-d and MNIST
MLP GANs with their settings.

A GAN is trained with two optimisers and a *pair* of losses, one for the
discriminator D and one for the generator G. :class:`GANLoss` bundles the pair, so the
loop (:func:`train_gan`) does not change when the loss does: the cross-entropy losses of
the original GAN (:func:`bce_loss`), the least-squares losses
(:func:`least_squares_loss`) and any later ones plug into the same loop.

Discriminators here return raw scores (logits); each loss applies its own link function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from .config import budget, check_range
from .data import BatchIterator, check_training_subset, mnist, ring_of_gaussians
from .nets import dcgan_init_, evaluating, mlp
from .training import History, Step, fit, seeded

# ----------------------------------------------------------------------------- losses


class GANLoss(NamedTuple):
    """A pair of GAN losses. ``name`` identifies the pair (it is part of cache keys)."""

    name: str
    discriminator: Callable[
        [Tensor, Tensor], Tensor
    ]  # (real_scores, fake_scores) -> D loss
    generator: Callable[[Tensor], Tensor]  # fake_scores -> G loss


def bce_loss(real_label: float = 1.0) -> GANLoss:
    """The original GAN's cross-entropy losses, on logits, with the non-saturating G
    loss.

    D minimises ``BCE(D(x), real_label) + BCE(D(G(z)), 0)``, which for ``real_label=1``
    is ``-V(G, D)``; G minimises ``BCE(D(G(z)), 1) = -E log sigmoid(D(G(z)))``. Where D
    cannot tell real from fake (sigmoid of every score 1/2) the D loss is ``ln 4`` and
    the G loss ``ln 2``. ``real_label < 1`` is one-sided label smoothing (the fake label
    stays 0).
    """
    check_range("real_label", real_label, 0.5, 1, low_open=True)

    def discriminator(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        real_loss = F.binary_cross_entropy_with_logits(
            real_scores, torch.full_like(real_scores, real_label)
        )
        fake_loss = F.binary_cross_entropy_with_logits(
            fake_scores, torch.zeros_like(fake_scores)
        )
        return real_loss + fake_loss

    def generator(fake_scores: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            fake_scores, torch.ones_like(fake_scores)
        )

    name = "bce" if real_label == 1.0 else f"bce(real_label={real_label:g})"
    return GANLoss(name, discriminator, generator)


def least_squares_loss() -> GANLoss:
    """LSGAN: D minimises ½E[(D(x)-1)²] + ½E[D(G(z))²]; G minimises ½E[(D(G(z))-1)²]."""

    def discriminator(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores**2).mean()

    def generator(fake_scores: Tensor) -> Tensor:
        return 0.5 * ((fake_scores - 1) ** 2).mean()

    return GANLoss("least_squares", discriminator, generator)


# ----------------------------------------------------------------------------- noise


def uniform_noise(
    n: int,
    dim: int,
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """``n`` noise vectors of ``dim`` numbers drawn uniformly from [-1, 1]."""
    if n < 0 or dim < 1:
        raise ValueError(f"n={n}, dim={dim}: need n >= 0 and dim >= 1")
    if (
        generator is not None
    ):  # a seeded CPU generator: the same vectors on every device
        return (torch.rand(n, dim, generator=generator) * 2 - 1).to(device or "cpu")
    return torch.rand(n, dim, device=device) * 2 - 1


# ----------------------------------------------------------------------------- the loop


def make_gan_step(
    generator: nn.Module,
    discriminator: nn.Module,
    loss: GANLoss,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    noise: Callable[[int], Tensor],
) -> Step:
    """One GAN training step on a batch ``(real, ...)``: a D step, then a G step.

    G is called once: D learns from ``fake.detach()`` (so D's backward pass stops at the
    fake images instead of running on through G), and G's step reuses the same ``fake``.
    Returns both losses and D's mean outputs as probabilities, ``d_real`` = mean
    sigmoid(s(x)) on the real batch and ``d_fake`` on the fakes, before D's step (the
    PyTorch DCGAN tutorial's D(x) and D(G(z)); meaningful for the cross-entropy losses).
    """

    def step(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        real = batch[0]
        fake = generator(noise(len(real)).to(real.device))

        # D step: push D(real) up and D(fake) down; G is a constant here.
        real_scores, fake_scores = discriminator(real), discriminator(fake.detach())
        d_loss = loss.discriminator(real_scores, fake_scores)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        # G step: the same fakes, scored by the updated D.
        g_loss = loss.generator(discriminator(fake))
        opt_g.zero_grad(set_to_none=True)
        # This also leaves gradients on D; the next D step clears them first.
        g_loss.backward()
        opt_g.step()
        return {
            "d": d_loss.detach(),
            "g": g_loss.detach(),
            # D's mean output as a probability, D(x) = sigmoid(s(x)), before its step
            "d_real": real_scores.detach().sigmoid().mean(),
            "d_fake": fake_scores.detach().sigmoid().mean(),
        }

    return step


@torch.no_grad()
def sample(generator: nn.Module, z: Tensor, batch_size: int = 1000) -> Tensor:
    """``G(z)`` in eval mode (no dropout, BatchNorm's running statistics),
    ``batch_size`` noise vectors at a time, gathered on the CPU."""
    device = next(generator.parameters()).device
    with evaluating(generator):
        parts = [generator(part.to(device)).cpu() for part in z.split(batch_size)]
    return torch.cat(parts)


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    loss: GANLoss,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    batches: Iterable[tuple[Tensor, ...]],
    epochs: int,
    noise: Callable[[int], Tensor],
    fixed_noise: Tensor | None = None,
    max_steps: int | None = None,
    progress: bool = True,
    desc: str = "GAN",
    on_epoch_end: Callable[[int], dict | None] | None = None,
    max_seconds: float | None = None,
) -> History:
    """Train a GAN with :func:`make_gan_step` for ``epochs`` epochs (or ``max_steps``
    steps, whichever ends first; ``max_seconds`` is a panel's safety cap).

    Built on :func:`helpers.training.fit`, so a NaN or infinite loss stops the run and
    both models keep their last good weights, and Ctrl-C returns the history so far.
    ``history.losses["d"]``/``["g"]`` hold the losses of every step; with
    ``fixed_noise``, ``history.per_epoch["samples"]`` holds ``G(fixed_noise)`` (eval
    mode, CPU) after each epoch.
    ``on_epoch_end(epoch)`` may return more records for ``history.per_epoch``.
    """
    generator.train()
    discriminator.train()
    step = make_gan_step(generator, discriminator, loss, opt_g, opt_d, noise)

    def epoch_records(epoch: int) -> dict:
        records = (
            {} if fixed_noise is None else {"samples": sample(generator, fixed_noise)}
        )
        if on_epoch_end is not None:
            records.update(on_epoch_end(epoch) or {})
        return records

    return fit(
        step,
        batches,
        epochs,
        models=(generator, discriminator),
        on_epoch_end=epoch_records,
        max_steps=max_steps,
        max_seconds=max_seconds,
        desc=desc,
        progress=progress,
    )


def gan_loss(name: str, real_label: float = 1.0) -> GANLoss:
    """The loss pair called ``name``: ``"bce"`` (with ``real_label``) or
    ``"least_squares"``."""
    if name == "bce":
        return bce_loss(real_label)
    if name == "least_squares":
        if real_label != 1.0:
            raise ValueError(f"real_label={real_label} applies to the bce loss only")
        return least_squares_loss()
    raise ValueError(f"loss={name!r} is not known; allowed: bce, least_squares")


class GAN(nn.Module):
    """A generator and its discriminator, trained, saved and loaded as one model."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)


def _check_betas(betas: Sequence[float]) -> None:
    if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
        raise ValueError(
            f"betas={tuple(betas)} is out of range; allowed: two numbers in [0, 1)"
        )


# ------------------------------------------------------------------------- the toy GAN

TOY_A = ((1.0, 2.0), (-0.1, 0.5))
TOY_B = (1.0, 2.0)


def toy_gaussian_data(n: int = 1000, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """``n`` points ``X A + b`` with ``X ~ N(0, I)``: a Gaussian of mean ``b`` and
    covariance ``AᵀA``. Returns ``(data, A, b)``."""
    if n < 1:
        raise ValueError(f"n={n} must be at least 1")
    A, b = torch.tensor(TOY_A), torch.tensor(TOY_B)
    X = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))
    return X @ A + b, A, b


def toy_generator(latent_dim: int = 2) -> nn.Linear:
    """The toy generator: one linear layer ``latent_dim -> 2`` (weights N(0, 0.02²))."""
    return dcgan_init_(nn.Linear(latent_dim, 2))


def toy_discriminator() -> nn.Sequential:
    """The toy discriminator: 2 -> 5 -> 3 -> 1 with tanh, returning a logit."""
    layers = [nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1)]
    return dcgan_init_(nn.Sequential(*layers))


def linear_gaussian(generator: nn.Linear) -> tuple[Tensor, Tensor]:
    """The mean and covariance of ``generator(z)`` for ``z ~ N(0, I)``.

    ``nn.Linear`` computes ``z Wᵀ + c``, which is ``z M + c`` with ``M = Wᵀ``: a
    Gaussian with mean ``c`` and covariance ``MᵀM = W Wᵀ``.
    """
    W = generator.weight.detach().cpu()
    return generator.bias.detach().cpu().clone(), W @ W.T


def best_discriminator_accuracy(
    mean_p: Tensor,
    cov_p: Tensor,
    mean_q: Tensor,
    cov_q: Tensor,
    samples: int = 200_000,
    seed: int = 0,
) -> float:
    """Accuracy of the best possible discriminator between ``N(mean_p, cov_p)`` and
    ``N(mean_q, cov_q)``.

    With equal numbers of real and fake points the Bayes classifier answers "p" where
    ``p(x) > q(x)``; its accuracy is ``½ + ½ TV(p, q)``: ½ when the two are the same
    distribution. Estimated by Monte Carlo with ``samples`` points from each.

    A covariance that is singular to working precision (a generator collapsed onto a
    line) puts all its points on a set the other, full-rank Gaussian gives probability
    zero: the best discriminator is then always right, and the answer is 1.
    """
    if samples < 1:
        raise ValueError(f"samples={samples} must be at least 1")
    from torch.distributions import MultivariateNormal

    full_rank = [
        torch.linalg.cholesky_ex(cov.double()).info.item() == 0
        for cov in (cov_p, cov_q)
    ]
    if not any(full_rank):
        raise ValueError(
            "cov_p and cov_q are both singular; give at least one of full rank"
        )
    if not all(full_rank):
        return 1.0

    p = MultivariateNormal(mean_p.double(), covariance_matrix=cov_p.double())
    q = MultivariateNormal(mean_q.double(), covariance_matrix=cov_q.double())
    with seeded(seed):
        xp, xq = p.sample((samples,)), q.sample((samples,))
    right_on_p = (p.log_prob(xp) > q.log_prob(xp)).double().mean()
    right_on_q = (q.log_prob(xq) >= p.log_prob(xq)).double().mean()
    return float(0.5 * (right_on_p + right_on_q))


@dataclass(frozen=True)
class ToyGANSettings:
    """The toy GAN of chapter 5: a linear G fitting the Gaussian of
    :func:`toy_gaussian_data`. Records G's mean and the spread of D's scores on the data
    after every epoch, and G's fixed-noise samples."""

    name: ClassVar[str] = "toy_gan"
    lr_d: float = 0.05
    lr_g: float = 0.005
    betas: tuple[float, float] = (0.9, 0.999)
    epochs: int = 20
    batch_size: int = 8
    n_data: int = 1000
    data_seed: int = 0
    n_fixed: int = 300
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("lr_d", self.lr_d, 0, low_open=True)
        check_range("lr_g", self.lr_g, 0, low_open=True)
        _check_betas(self.betas)
        check_range("epochs", self.epochs, 1, 1000)
        n_data = f"n_data={self.n_data}"
        check_range("batch_size", self.batch_size, 1, self.n_data, high_label=n_data)

    def build(self) -> GAN:
        return GAN(toy_generator(), toy_discriminator())

    def fit(
        self,
        model: GAN,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None = None,
    ) -> History:
        G, D = model.generator, model.discriminator
        data = toy_gaussian_data(self.n_data, self.data_seed)[0].to(device)
        noise_seed = torch.Generator().manual_seed(self.seed + 1)
        fixed = torch.randn(self.n_fixed, 2, generator=noise_seed).to(device)

        def record(epoch: int) -> dict:
            with torch.no_grad():
                spread = D(data).std().item()  # how much D's score varies over the data
            return {"mean": linear_gaussian(G)[0], "d_spread": spread}

        return train_gan(
            G,
            D,
            bce_loss(),
            torch.optim.Adam(G.parameters(), lr=self.lr_g, betas=self.betas),
            torch.optim.Adam(D.parameters(), lr=self.lr_d, betas=self.betas),
            BatchIterator(data, batch_size=self.batch_size, seed=self.seed),
            self.epochs,
            noise=lambda n: torch.randn(n, 2, device=device),
            fixed_noise=fixed,
            on_epoch_end=record,
            max_seconds=max_seconds,
            progress=progress,
            desc=f"toy GAN, seed {self.seed}",
        )


# ----------------------------------------------------------------------------- the ring


@dataclass(frozen=True)
class RingGANSettings:
    """A GAN on the ring of 8 Gaussians (chapter 7): MLPs of two hidden layers each,
    Gaussian noise. Records ``G(fixed noise)`` after every epoch."""

    name: ClassVar[str] = "ring_gan"
    loss: str = "bce"
    epochs: int = 20
    points: int = 25600
    noise_dim: int = 8
    width: int = 128
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 256
    n_fixed: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        gan_loss(self.loss)
        check_range("lr", self.lr, 0, low_open=True)
        _check_betas(self.betas)
        check_range("epochs", self.epochs, 1, 1000)
        points = f"points={self.points}"
        check_range("batch_size", self.batch_size, 1, self.points, high_label=points)

    def build(self) -> GAN:
        width = self.width
        return GAN(mlp([self.noise_dim, width, width, 2]), mlp([2, width, width, 1]))

    def fit(
        self,
        model: GAN,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None = None,
    ) -> History:
        G, D = model.generator, model.discriminator
        data = ring_of_gaussians(self.points, seed=self.seed).to(device)
        noise_seed = torch.Generator().manual_seed(1000 + self.seed)
        fixed = torch.randn(self.n_fixed, self.noise_dim, generator=noise_seed)
        return train_gan(
            G,
            D,
            gan_loss(self.loss),
            torch.optim.Adam(G.parameters(), lr=self.lr, betas=self.betas),
            torch.optim.Adam(D.parameters(), lr=self.lr, betas=self.betas),
            BatchIterator(data, batch_size=self.batch_size, seed=self.seed),
            self.epochs,
            noise=lambda n: torch.randn(n, self.noise_dim, device=device),
            fixed_noise=fixed.to(device),
            max_seconds=max_seconds,
            progress=progress,
            desc=f"ring GAN, {self.loss}, seed {self.seed}",
        )


# -------------------------------------------------------------------------- MNIST MLPs

IMAGE_SHAPE = (1, 28, 28)
PIXELS = math.prod(IMAGE_SHAPE)


class MLPGenerator(nn.Module):
    """Noise ``(N, noise_dim)`` -> images ``(N, 1, 28, 28)`` in [-1, 1], fully
    connected, tanh output. ``negative_slope=0`` uses ReLU in the hidden layers, else
    LeakyReLU."""

    def __init__(
        self,
        noise_dim: int = 96,
        hidden: Sequence[int] = (1024, 1024),
        negative_slope: float = 0.0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if noise_dim < 1:
            raise ValueError(f"noise_dim={noise_dim} must be at least 1")
        self.noise_dim = noise_dim
        sizes = [noise_dim, *hidden, PIXELS]
        self.net = mlp(sizes, negative_slope, dropout, last=nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, *IMAGE_SHAPE)


class MLPDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` -> one score (logit) each, ``(N, 1)``; fully
    connected."""

    def __init__(
        self,
        hidden: Sequence[int] = (256, 256),
        negative_slope: float = 0.2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.net = mlp([PIXELS, *hidden, 1], negative_slope, dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1))


# The two fully connected GANs of chapter 6: the source's (ReLU G, no dropout) and the
# variant with three hidden layers, LeakyReLU 0.2 and dropout 0.2 in both networks.
MLP_VARIANTS: dict[str, dict] = {
    "source": {
        "noise_dim": 96,
        "generator": {"hidden": (1024, 1024), "negative_slope": 0.0, "dropout": 0.0},
        "discriminator": {"hidden": (256, 256), "negative_slope": 0.2, "dropout": 0.0},
    },
    "dropout": {
        "noise_dim": 100,
        "generator": {"hidden": (32, 64, 128), "negative_slope": 0.2, "dropout": 0.2},
        "discriminator": {
            "hidden": (128, 64, 32),
            "negative_slope": 0.2,
            "dropout": 0.2,
        },
    },
}


@lru_cache(maxsize=2)
def _mnist_train(limit: int | None, device: str) -> Tensor:
    return mnist(train=True, scale="tanh", device=device, limit=limit)[0]


@dataclass(frozen=True)
class MNISTGANSettings:
    """What every MNIST GAN of the book shares: data in [-1, 1], uniform noise in
    [-1, 1], Adam for both networks, a loss by name, and a budget of ``epochs`` or
    ``steps`` (exactly one). Subclasses build the networks."""

    name: ClassVar[str] = "mnist_gan"
    loss: str = "bce"
    real_label: float = 1.0  # below 1: one-sided label smoothing (bce only)
    noise_dim: int = 96
    epochs: int | None = 10
    steps: int | None = None
    batch_size: int = 128
    lr_d: float = 3e-4
    lr_g: float = 3e-4
    betas: tuple[float, float] = (0.5, 0.999)
    limit: int | None = None  # the first ``limit`` training digits; None: all 60,000
    n_fixed: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        gan_loss(self.loss, self.real_label)
        check_range("lr_d", self.lr_d, 0, low_open=True)
        check_range("lr_g", self.lr_g, 0, low_open=True)
        _check_betas(self.betas)
        if (self.epochs is None) == (self.steps is None):
            raise ValueError(
                f"epochs={self.epochs}, steps={self.steps}: give exactly one budget"
            )
        if self.epochs is not None:
            check_range("epochs", self.epochs, 1, 1000)
        if self.steps is not None:
            check_range("steps", self.steps, 1, 10**7)
        check_training_subset(self.limit, self.batch_size)
        check_range("noise_dim", self.noise_dim, 1, 4096)

    def build(self) -> GAN:
        raise NotImplementedError("a subclass builds the networks")

    def channels_last(self, device: torch.device) -> bool:
        """Whether to train in channels-last memory order on ``device`` (convnets)."""
        return False

    def describe(self) -> str:
        return f"{self.name}, {gan_loss(self.loss, self.real_label).name}"

    def fit(
        self,
        model: GAN,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None = None,
    ) -> History:
        G, D = model.generator, model.discriminator
        images = _mnist_train(self.limit, str(device))
        if self.channels_last(device):
            model.to(memory_format=torch.channels_last)
            images = images.contiguous(memory_format=torch.channels_last)
        batches = BatchIterator(
            images, batch_size=self.batch_size, drop_last=True, seed=self.seed
        )
        noise_seed = torch.Generator().manual_seed(self.seed + 1)
        fixed = uniform_noise(
            self.n_fixed, self.noise_dim, device, generator=noise_seed
        )
        epochs = self.epochs or math.ceil(self.steps / len(batches))
        history = train_gan(
            G,
            D,
            gan_loss(self.loss, self.real_label),
            torch.optim.Adam(G.parameters(), lr=self.lr_g, betas=self.betas),
            torch.optim.Adam(D.parameters(), lr=self.lr_d, betas=self.betas),
            batches,
            epochs,
            noise=lambda n: uniform_noise(n, self.noise_dim, device),
            fixed_noise=fixed,
            max_steps=self.steps,
            max_seconds=max_seconds,
            progress=progress,
            desc=self.describe(),
        )
        # Back to the usual memory order: the trained model then equals (to the bit)
        # the same model loaded from the cache.
        model.to(memory_format=torch.contiguous_format)
        return history


@dataclass(frozen=True)
class MLPGANSettings(MNISTGANSettings):
    """A fully connected MNIST GAN, one of :data:`MLP_VARIANTS` (``noise_dim`` defaults
    to the variant's). ``dropout`` (None: the variant's) sets the dropout after every
    hidden layer of both networks, so that one change can be tried at a time."""

    name: ClassVar[str] = "mlp_gan"
    variant: str = "source"
    noise_dim: int | None = None
    dropout: float | None = None

    def __post_init__(self) -> None:
        if self.variant not in MLP_VARIANTS:
            allowed = ", ".join(MLP_VARIANTS)
            raise ValueError(
                f"variant={self.variant!r} is not known; allowed: {allowed}"
            )
        if self.noise_dim is None:
            noise_dim = MLP_VARIANTS[self.variant]["noise_dim"]
            object.__setattr__(self, "noise_dim", noise_dim)
        check_range("dropout", self.dropout, 0, 1, high_open=True, allow_none=True)
        super().__post_init__()

    def build(self) -> GAN:
        spec = MLP_VARIANTS[self.variant]
        generator, discriminator = dict(spec["generator"]), dict(spec["discriminator"])
        if self.dropout is not None:
            generator["dropout"] = discriminator["dropout"] = self.dropout
        return GAN(
            MLPGenerator(self.noise_dim, **generator),
            MLPDiscriminator(**discriminator),
        )

    def describe(self) -> str:
        dropout = "" if self.dropout is None else f", dropout {self.dropout:g}"
        loss = gan_loss(self.loss, self.real_label).name
        return f"{self.variant} MLP GAN{dropout}, {loss}"


def book_mlp_gan(loss: str = "bce") -> MLPGANSettings:
    """The book's MLP GAN (the source's networks) under the active budget: chapter 6
    trains it, chapters 7 and 8 and the benchmarks measure it."""
    shared = budget("models").mlp_gan
    return MLPGANSettings(loss=loss, epochs=shared["epochs"], limit=shared["limit"])


def step_flops(settings: MNISTGANSettings) -> int:
    """Floating-point operations of one training step of the GAN ``settings`` describe,
    counted by ``torch.utils.flop_counter`` (matrix products and convolutions, forward
    and backward): the same on every machine, unlike seconds."""
    with seeded(settings.seed):
        model = settings.build()
    G, D = model.generator, model.discriminator
    real = torch.zeros(settings.batch_size, *IMAGE_SHAPE)
    step = make_gan_step(
        G,
        D,
        gan_loss(settings.loss, settings.real_label),
        torch.optim.SGD(G.parameters(), lr=0.0),
        torch.optim.SGD(D.parameters(), lr=0.0),
        noise=lambda n: torch.zeros(n, settings.noise_dim),
    )
    with FlopCounterMode(display=False) as counter:
        step((real,))
    return counter.get_total_flops()
