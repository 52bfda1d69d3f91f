"""GANs: loss pairs, the toy and MNIST models, and one training loop for every GAN in the book.

A GAN is trained with two optimisers and a *pair* of losses, one for the discriminator D
and one for the generator G. :class:`GANLoss` bundles the pair, so the loop
(:func:`train_gan`) does not change when the loss does: the cross-entropy losses of the
original GAN (:func:`bce_loss`), the least-squares losses (:func:`least_squares_loss`) and
any later ones plug into the same loop.

Discriminators here return raw scores (logits); each loss applies its own link function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .checkpoints import cached_run
from .config import get_device, seed_everything
from .data import BatchIterator, mnist
from .training import History, Step, fit

# ----------------------------------------------------------------------------- losses


class GANLoss(NamedTuple):
    """A pair of GAN losses. ``name`` identifies the pair (it is part of cache keys)."""

    name: str
    discriminator: Callable[[Tensor, Tensor], Tensor]  # (real_scores, fake_scores) -> D loss
    generator: Callable[[Tensor], Tensor]  # fake_scores -> G loss


def bce_loss(real_label: float = 1.0) -> GANLoss:
    """The original GAN's cross-entropy losses, on logits, with the non-saturating G loss.

    D minimises ``BCE(D(x), real_label) + BCE(D(G(z)), 0)``, which for ``real_label=1`` is
    ``-V(G, D)``; G minimises ``BCE(D(G(z)), 1) = -E log sigmoid(D(G(z)))``. Where D cannot
    tell real from fake (sigmoid of every score 1/2) the D loss is ``ln 4`` and the G loss
    ``ln 2``. ``real_label < 1`` is one-sided label smoothing (the fake label stays 0).
    """
    if not 0.5 < real_label <= 1.0:
        raise ValueError(f"real_label={real_label} is out of range; allowed: 0.5 < real_label <= 1")

    def discriminator(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        real_loss = F.binary_cross_entropy_with_logits(real_scores, torch.full_like(real_scores, real_label))
        fake_loss = F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores))
        return real_loss + fake_loss

    def generator(fake_scores: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))

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


def uniform_noise(n: int, dim: int, device: torch.device | str | None = None,
                  generator: torch.Generator | None = None) -> Tensor:
    """``n`` noise vectors of ``dim`` numbers drawn uniformly from [-1, 1]."""
    if n < 0 or dim < 1:
        raise ValueError(f"n={n}, dim={dim}: need n >= 0 and dim >= 1")
    if generator is not None:  # a seeded CPU generator: the same vectors on every device
        return (torch.rand(n, dim, generator=generator) * 2 - 1).to(device or "cpu")
    return torch.rand(n, dim, device=device) * 2 - 1


# ----------------------------------------------------------------------------- the loop


def make_gan_step(generator: nn.Module, discriminator: nn.Module, loss: GANLoss,
                  opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                  noise: Callable[[int], Tensor]) -> Step:
    """One GAN training step on a batch ``(real, ...)``: a D step, then a G step.

    G is called once: D learns from ``fake.detach()`` (so D's backward pass stops at the
    fake images instead of running on through G), and G's step reuses the same ``fake``.
    """

    def step(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        real = batch[0]
        fake = generator(noise(len(real)).to(real.device))

        # D step: push D(real) up and D(fake) down; G is a constant here.
        d_loss = loss.discriminator(discriminator(real), discriminator(fake.detach()))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        # G step: the same fakes, scored by the updated D.
        g_loss = loss.generator(discriminator(fake))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()  # also leaves gradients on D; the next D step clears them first
        opt_g.step()
        return {"d": d_loss.detach(), "g": g_loss.detach()}

    return step


@torch.no_grad()
def sample(generator: nn.Module, z: Tensor, batch_size: int = 1000) -> Tensor:
    """``G(z)`` in eval mode (no dropout, BatchNorm's running statistics), ``batch_size``
    noise vectors at a time, gathered on the CPU."""
    was_training = generator.training
    generator.eval()
    try:
        device = next(generator.parameters()).device
        return torch.cat([generator(z[i : i + batch_size].to(device)).cpu() for i in range(0, len(z), batch_size)])
    finally:
        generator.train(was_training)


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
    """Train a GAN with :func:`make_gan_step` for ``epochs`` epochs (or ``max_steps`` steps,
    or ``max_seconds`` seconds, whichever ends first).

    Built on :func:`helpers.training.fit`, so a NaN or infinite loss stops the run and both
    models keep their last good weights, and Ctrl-C returns the history so far.
    ``history.losses["d"]``/``["g"]`` hold the losses of every step; with ``fixed_noise``,
    ``history.per_epoch["samples"]`` holds ``G(fixed_noise)`` (eval mode, CPU) after each epoch.
    ``on_epoch_end(epoch)`` may return more records for ``history.per_epoch``.
    """
    generator.train()
    discriminator.train()
    step = make_gan_step(generator, discriminator, loss, opt_g, opt_d, noise)

    def epoch_records(epoch: int) -> dict:
        records = {} if fixed_noise is None else {"samples": sample(generator, fixed_noise)}
        if on_epoch_end is not None:
            records.update(on_epoch_end(epoch) or {})
        return records

    return fit(step, batches, epochs, models=(generator, discriminator), on_epoch_end=epoch_records,
               max_steps=max_steps, max_seconds=max_seconds, desc=desc, progress=progress)


# ----------------------------------------------------------------------------- the toy GAN

TOY_A = ((1.0, 2.0), (-0.1, 0.5))
TOY_B = (1.0, 2.0)


def toy_gaussian_data(n: int = 1000, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """``n`` points ``X A + b`` with ``X ~ N(0, I)``: a Gaussian of mean ``b``, covariance ``AᵀA``.

    Returns ``(data, A, b)``.
    """
    if n < 1:
        raise ValueError(f"n={n} must be at least 1")
    A, b = torch.tensor(TOY_A), torch.tensor(TOY_B)
    X = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))
    return X @ A + b, A, b


def dcgan_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """DCGAN's initialisation, in place: conv and linear weights ~ N(0, std²), BatchNorm scales ~ N(1, std²), biases 0.

    The toy GAN's networks start this way too; chapter 8 imports it from :mod:`helpers.dcgan`.
    """
    if std <= 0:
        raise ValueError(f"std={std} must be positive")
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(layer.weight, 1.0, std)
            nn.init.zeros_(layer.bias)
    return module


def toy_generator(latent_dim: int = 2) -> nn.Linear:
    """The toy generator: one linear layer ``latent_dim -> 2`` (weights N(0, 0.02²), bias 0)."""
    generator = nn.Linear(latent_dim, 2)
    dcgan_init_(generator)
    return generator


def toy_discriminator() -> nn.Sequential:
    """The toy discriminator: 2 -> 5 -> 3 -> 1 with tanh, returning a logit."""
    discriminator = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1))
    dcgan_init_(discriminator)
    return discriminator


def linear_gaussian(generator: nn.Linear) -> tuple[Tensor, Tensor]:
    """The mean and covariance of ``generator(z)`` for ``z ~ N(0, I)``.

    ``nn.Linear`` computes ``z Wᵀ + c``, which is ``z M + c`` with ``M = Wᵀ``: a Gaussian with
    mean ``c`` and covariance ``MᵀM = W Wᵀ``.
    """
    W = generator.weight.detach().cpu()
    return generator.bias.detach().cpu().clone(), W @ W.T


def best_discriminator_accuracy(mean_p: Tensor, cov_p: Tensor, mean_q: Tensor, cov_q: Tensor,
                                samples: int = 200_000, seed: int = 0) -> float:
    """Accuracy of the best possible discriminator between ``N(mean_p, cov_p)`` and ``N(mean_q, cov_q)``.

    With equal numbers of real and fake points the Bayes classifier answers "p" where
    ``p(x) > q(x)``; its accuracy is ``½ + ½ TV(p, q)``: ½ when the two are the same
    distribution. Estimated by Monte Carlo with ``samples`` points from each.
    """
    if samples < 1:
        raise ValueError(f"samples={samples} must be at least 1")
    from torch.distributions import MultivariateNormal

    p = MultivariateNormal(mean_p.double(), covariance_matrix=cov_p.double())
    q = MultivariateNormal(mean_q.double(), covariance_matrix=cov_q.double())
    torch_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        xp, xq = p.sample((samples,)), q.sample((samples,))
    finally:
        torch.random.set_rng_state(torch_state)
    right_on_p = (p.log_prob(xp) > q.log_prob(xp)).double().mean()
    right_on_q = (q.log_prob(xq) >= p.log_prob(xq)).double().mean()
    return float(0.5 * (right_on_p + right_on_q))


# ----------------------------------------------------------------------------- MNIST MLPs

IMAGE_SHAPE = (1, 28, 28)


def _mlp(sizes: Sequence[int], negative_slope: float, dropout: float) -> list[nn.Module]:
    """Linear layers of ``sizes``, each hidden one followed by (Leaky)ReLU and dropout."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(negative_slope) if negative_slope > 0 else nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return layers


def _check_mlp_args(hidden: Sequence[int], negative_slope: float, dropout: float) -> None:
    if not hidden or any(h < 1 for h in hidden):
        raise ValueError(f"hidden={tuple(hidden)} must be one or more positive layer widths")
    if not 0 <= negative_slope < 1:
        raise ValueError(f"negative_slope={negative_slope} is out of range; allowed: 0 <= slope < 1")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout={dropout} is out of range; allowed: 0 <= dropout < 1")


class MLPGenerator(nn.Module):
    """Noise ``(N, noise_dim)`` -> images ``(N, 1, 28, 28)`` in [-1, 1], fully connected, tanh output.

    ``negative_slope=0`` uses ReLU in the hidden layers, else LeakyReLU with that slope.
    """

    def __init__(self, noise_dim: int = 96, hidden: Sequence[int] = (1024, 1024),
                 negative_slope: float = 0.0, dropout: float = 0.0) -> None:
        super().__init__()
        if noise_dim < 1:
            raise ValueError(f"noise_dim={noise_dim} must be at least 1")
        _check_mlp_args(hidden, negative_slope, dropout)
        self.noise_dim = noise_dim
        self.net = nn.Sequential(*_mlp([noise_dim, *hidden, math.prod(IMAGE_SHAPE)], negative_slope, dropout),
                                 nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, *IMAGE_SHAPE)


class MLPDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` -> one score (logit) each ``(N, 1)``, fully connected."""

    def __init__(self, hidden: Sequence[int] = (256, 256), negative_slope: float = 0.2,
                 dropout: float = 0.0) -> None:
        super().__init__()
        _check_mlp_args(hidden, negative_slope, dropout)
        self.net = nn.Sequential(*_mlp([math.prod(IMAGE_SHAPE), *hidden, 1], negative_slope, dropout))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1))


# The two fully connected GANs of the chapter: the backbone's (ReLU G, no dropout) and the
# variant with three hidden layers, LeakyReLU 0.2 and dropout 0.2 in both networks.
MLP_VARIANTS: dict[str, dict] = {
    "source": {"noise_dim": 96,
               "generator": {"hidden": (1024, 1024), "negative_slope": 0.0, "dropout": 0.0},
               "discriminator": {"hidden": (256, 256), "negative_slope": 0.2, "dropout": 0.0}},
    "dropout": {"noise_dim": 100,
                "generator": {"hidden": (32, 64, 128), "negative_slope": 0.2, "dropout": 0.2},
                "discriminator": {"hidden": (128, 64, 32), "negative_slope": 0.2, "dropout": 0.2}},
}


def mlp_gan(variant: str = "source", noise_dim: int | None = None) -> tuple[MLPGenerator, MLPDiscriminator]:
    """A fresh ``(generator, discriminator)`` pair of one of :data:`MLP_VARIANTS`."""
    if variant not in MLP_VARIANTS:
        raise ValueError(f"variant={variant!r} is not known; allowed: {', '.join(MLP_VARIANTS)}")
    spec = MLP_VARIANTS[variant]
    noise_dim = spec["noise_dim"] if noise_dim is None else noise_dim
    return MLPGenerator(noise_dim, **spec["generator"]), MLPDiscriminator(**spec["discriminator"])


class TrainedGAN(NamedTuple):
    generator: MLPGenerator
    discriminator: MLPDiscriminator
    history: History  # empty (no steps) if the weights were cached without a history
    from_cache: bool
    settings: dict


@lru_cache(maxsize=2)
def _mnist_train(limit: int | None, device: str) -> tuple[Tensor, Tensor]:
    return mnist(train=True, scale="tanh", device=device, limit=limit)


def trained_mlp_gan(
    loss: GANLoss | None = None,
    *,
    variant: str = "source",
    noise_dim: int | None = None,
    epochs: int = 10,
    batch_size: int = 128,
    lr_d: float = 3e-4,
    lr_g: float = 3e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    limit: int | None = None,
    seed: int = 0,
    n_fixed: int = 64,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> TrainedGAN:
    """Train a fully connected MNIST GAN, or load it if it was trained with these settings.

    ``loss`` defaults to :func:`bce_loss`; ``variant`` picks the networks (:data:`MLP_VARIANTS`);
    noise is uniform in [-1, 1]; both optimisers are Adam with ``betas``. ``limit`` trains on
    the first ``limit`` training digits. The weights and the history are cached under a
    hash of the settings (:func:`helpers.checkpoints.cached_run`); a run that stopped
    early (NaN, Ctrl-C) is returned but not cached.
    """
    loss = bce_loss() if loss is None else loss
    if variant not in MLP_VARIANTS:
        raise ValueError(f"variant={variant!r} is not known; allowed: {', '.join(MLP_VARIANTS)}")
    _check_training_arguments(epochs=epochs, lr_d=lr_d, lr_g=lr_g, betas=betas)
    noise_dim = MLP_VARIANTS[variant]["noise_dim"] if noise_dim is None else noise_dim
    settings = {"variant": variant, "loss": loss.name, "noise_dim": noise_dim, "epochs": epochs,
                "batch_size": batch_size, "lr_d": lr_d, "lr_g": lr_g, "betas": list(betas),
                "limit": limit, "seed": seed, "n_fixed": n_fixed, "noise": "uniform"}
    seed_everything(seed)
    generator, discriminator = mlp_gan(variant, noise_dim)
    history, from_cache = _cached_mnist_gan(f"mlp_gan_{variant}", settings, generator, discriminator, loss,
                                           device=device, progress=progress, desc=f"{variant} MLP GAN, {loss.name}")
    return TrainedGAN(generator, discriminator, history, from_cache, settings)


def _check_training_arguments(*, epochs: int, betas: Sequence[float], seconds: float | None = None,
                              **learning_rates: float) -> None:
    """Raise a ``ValueError`` naming the argument and its allowed range for a bad MNIST GAN setting."""
    if epochs < 1:
        raise ValueError(f"epochs={epochs} must be at least 1")
    if seconds is not None and not seconds > 0:
        raise ValueError(f"seconds={seconds} must be positive (or None for no time limit)")
    for name, value in learning_rates.items():
        if not value > 0:
            raise ValueError(f"{name}={value} must be positive")
    if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
        raise ValueError(f"betas={tuple(betas)} is out of range; allowed: two numbers in [0, 1)")


def _cached_mnist_gan(name: str, settings: dict, generator: nn.Module, discriminator: nn.Module, loss: GANLoss, *,
                     device: torch.device | str | None, progress: bool, desc: str) -> tuple[History, bool]:
    """Train ``generator`` and ``discriminator`` on MNIST in [-1, 1] as ``settings`` say, or load them.

    ``settings`` holds ``epochs``, ``batch_size``, ``lr_d`` and ``lr_g`` (or one ``lr``),
    ``betas``, ``noise_dim``, ``limit``, ``seed``, ``n_fixed`` and optionally ``seconds``
    (a time limit) and ``channels_last`` (convolutional networks: weights and images in
    channels-last memory order, faster on CPUs and CUDA GPUs, see ``benchmarks/gan_speed.py``;
    left off on other devices). Noise is uniform in [-1, 1], both optimisers Adam. Weights
    and history are cached under ``name`` and a hash of the settings (a run that stopped early
    is not cached). Returns the history and whether it came from the cache.
    """
    device = get_device() if device is None else torch.device(device)
    pair = nn.ModuleDict({"generator": generator, "discriminator": discriminator}).to(device)
    seed, noise_dim, betas = settings["seed"], settings["noise_dim"], tuple(settings["betas"])
    channels_last = settings.get("channels_last", False) and device.type in ("cpu", "cuda")
    if channels_last:
        pair.to(memory_format=torch.channels_last)

    def train(_: nn.Module) -> History:
        images = _mnist_train(settings["limit"], str(device))[0]
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        batches = BatchIterator(images, batch_size=settings["batch_size"], shuffle=True, drop_last=True, seed=seed)
        fixed = uniform_noise(settings["n_fixed"], noise_dim, device, generator=torch.Generator().manual_seed(seed + 1))
        opt_g = torch.optim.Adam(generator.parameters(), lr=settings.get("lr_g", settings.get("lr")), betas=betas)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=settings.get("lr_d", settings.get("lr")), betas=betas)
        return train_gan(generator, discriminator, loss, opt_g, opt_d, batches, settings["epochs"],
                         noise=lambda n: uniform_noise(n, noise_dim, device), fixed_noise=fixed,
                         max_seconds=settings.get("seconds"), progress=progress, desc=desc)

    return cached_run(name, settings, pair, train)
