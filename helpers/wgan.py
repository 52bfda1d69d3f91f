"""The Wasserstein GAN: a critic instead of a discriminator, kept 1-Lipschitz by weight
clipping (Arjovsky et al., 2017) or by a gradient penalty (Gulrajani et al., 2017).

The critic ``f`` returns a score with no link function; ``E f(x) - E f(G(z))`` over a
batch is its estimate of the earth mover's distance W1 between the data and the
generator. One generator step follows ``n_critic`` critic steps, each on a batch of its
own: :func:`make_wgan_step` takes ``n_critic`` batches at once, so a training "step"
counts generator updates, as the papers do. :class:`WGANSettings` trains on the ring of
8 Gaussians (chapter 7's networks) or on MNIST (chapter 6's MLP GAN's networks).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from .config import budget, check_range
from .data import BatchIterator, ring_of_gaussians
from .gan import (
    GAN,
    MLP_VARIANTS,
    MLPDiscriminator,
    MLPGenerator,
    _check_betas,
    _mnist_train,
    sample,
    uniform_noise,
)
from .nets import mlp
from .training import History, Step, fit


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    """WGAN-GP's penalty ``E (‖∇f(x̂)‖ - 1)²`` at points ``x̂`` drawn uniformly on the
    segments between real and fake samples (one random point per pair)."""
    if real.shape != fake.shape:
        raise ValueError(
            f"real {tuple(real.shape)} and fake {tuple(fake.shape)} differ"
        )
    shape = (len(real),) + (1,) * (real.dim() - 1)
    t = torch.rand(shape, device=real.device)
    between = (t * real + (1 - t) * fake).requires_grad_(True)
    # create_graph: the penalty is itself differentiated in the critic's step.
    (grad,) = torch.autograd.grad(critic(between).sum(), between, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def make_wgan_step(
    generator: nn.Module,
    critic: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_c: torch.optim.Optimizer,
    noise: Callable[[int], Tensor],
    n_critic: int = 5,
    penalty: float | None = 10.0,
    clip: float | None = None,
) -> Step:
    """One WGAN step on a batch of ``n_critic`` mini-batches: ``n_critic`` critic steps,
    one mini-batch each, then one generator step.

    The critic minimises ``E f(G(z)) - E f(x)``, plus ``penalty`` times
    :func:`gradient_penalty` (WGAN-GP) or followed by clipping every weight to
    ``[-clip, clip]`` (the original WGAN). G minimises ``-E f(G(z))``. Returns the last
    critic step's W1 estimate ``w`` (before its update), its loss ``critic`` (with the
    penalty) and G's loss ``g``.
    """
    check_range("n_critic", n_critic, 1, 100)
    if (penalty is None) == (clip is None):
        raise ValueError(f"penalty={penalty}, clip={clip}: give exactly one of them")

    def step(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        reals = batch[0].chunk(n_critic)
        for real in reals:
            with torch.no_grad():  # G is a constant in the critic's step
                fake = generator(noise(len(real)).to(real.device))
            estimate = critic(real).mean() - critic(fake).mean()
            loss = -estimate
            if penalty is not None:
                loss = loss + penalty * gradient_penalty(critic, real, fake)
            opt_c.zero_grad(set_to_none=True)
            loss.backward()
            opt_c.step()
            if clip is not None:
                with torch.no_grad():
                    for weight in critic.parameters():
                        weight.clamp_(-clip, clip)

        g_loss = -critic(generator(noise(len(reals[-1])).to(reals[-1].device))).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()  # also leaves gradients on the critic; its step clears them
        opt_g.step()
        return {"w": estimate.detach(), "critic": loss.detach(), "g": g_loss.detach()}

    return step


LIPSCHITZ = ("penalty", "clip")
DATA = ("ring", "mnist")
# The papers' optimisers: WGAN's RMSprop at 5e-5 (clipping), WGAN-GP's Adam at 1e-4
# with betas (0, 0.9) (penalty).
DEFAULT_LR = {"clip": 5e-5, "penalty": 1e-4}


@dataclass(frozen=True)
class WGANSettings:
    """A Wasserstein GAN on ``data`` ``"ring"`` (chapter 7's ring GAN's networks and
    Gaussian noise) or ``"mnist"`` (chapter 6's MLP GAN's networks, uniform noise).

    ``lipschitz="penalty"`` is WGAN-GP (``penalty`` λ, Adam with ``betas``);
    ``"clip"`` is the original WGAN (weights clipped to ``clip``, RMSprop). ``lr=None``
    takes the paper's rate for that choice. ``steps`` counts generator steps, each after
    ``n_critic`` critic steps on batches of ``batch_size``. After every ``record_every``
    generator steps the run records ``G(fixed noise)`` (``n_fixed`` samples; MNIST's as
    bytes 0-255, which :func:`from_bytes` turns back into [-1, 1]) and the critic's mean
    W1 estimate over those steps.
    """

    name: ClassVar[str] = "wgan"
    data: str = "ring"
    lipschitz: str = "penalty"
    penalty: float = 10.0
    clip: float = 0.01
    n_critic: int = 5
    lr: float | None = None
    betas: tuple[float, float] = (0.0, 0.9)
    steps: int = 800
    batch_size: int = 256
    points: int = 25600  # the ring: training points
    limit: int | None = None  # MNIST: the first ``limit`` training digits
    noise_dim: int = 8
    width: int = 128  # the ring's networks
    record_every: int = 20
    n_fixed: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.data not in DATA:
            raise ValueError(f"data={self.data!r} is not known; allowed: ring, mnist")
        if self.lipschitz not in LIPSCHITZ:
            raise ValueError(
                f"lipschitz={self.lipschitz!r} is not known; allowed: penalty, clip"
            )
        check_range("penalty", self.penalty, 0, 1000, low_open=True)
        check_range("clip", self.clip, 0, 10, low_open=True)
        check_range("n_critic", self.n_critic, 1, 100)
        check_range("lr", self.lr, 0, 1, low_open=True, allow_none=True)
        _check_betas(self.betas)
        check_range("steps", self.steps, 1, 10**7)
        check_range("batch_size", self.batch_size, 1, 4096)
        check_range("record_every", self.record_every, 1, self.steps)
        check_range("noise_dim", self.noise_dim, 1, 4096)
        check_range("n_fixed", self.n_fixed, 1, 100_000)
        pool = self.points if self.data == "ring" else (self.limit or 60_000)
        needed = self.n_critic * self.batch_size
        if pool < needed:
            raise ValueError(
                f"batch_size={self.batch_size} x n_critic={self.n_critic} = {needed} "
                f"is more than the {pool} training examples"
            )

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.lipschitz]

    def build(self) -> GAN:
        if self.data == "ring":
            width = self.width
            return GAN(
                mlp([self.noise_dim, width, width, 2]), mlp([2, width, width, 1])
            )
        spec = MLP_VARIANTS["source"]
        return GAN(
            MLPGenerator(self.noise_dim, **spec["generator"]),
            MLPDiscriminator(**spec["discriminator"]),
        )

    def describe(self) -> str:
        how = f"λ {self.penalty:g}" if self.lipschitz == "penalty" else "clipping"
        return f"WGAN ({how}) on {self.data}, seed {self.seed}"

    def fit(
        self,
        model: GAN,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None = None,
    ) -> History:
        G, critic = model.generator, model.discriminator
        fixed_seed = torch.Generator().manual_seed(1000 + self.seed)
        if self.data == "ring":
            data = ring_of_gaussians(self.points, seed=self.seed).to(device)
            fixed = torch.randn(self.n_fixed, self.noise_dim, generator=fixed_seed)

            def noise(n: int) -> Tensor:
                return torch.randn(n, self.noise_dim, device=device)
        else:
            data = _mnist_train(self.limit, str(device))
            fixed = uniform_noise(self.n_fixed, self.noise_dim, generator=fixed_seed)

            def noise(n: int) -> Tensor:
                return uniform_noise(n, self.noise_dim, device)

        if self.lipschitz == "penalty":
            opt_g, opt_c = (
                torch.optim.Adam(m.parameters(), self.learning_rate, betas=self.betas)
                for m in (G, critic)
            )
            step = make_wgan_step(
                G, critic, opt_g, opt_c, noise, self.n_critic, penalty=self.penalty
            )
        else:
            opt_g, opt_c = (
                torch.optim.RMSprop(m.parameters(), self.learning_rate)
                for m in (G, critic)
            )
            step = make_wgan_step(
                G, critic, opt_g, opt_c, noise, self.n_critic, None, clip=self.clip
            )
        # One "batch" is n_critic mini-batches; an "epoch" of fit is record_every steps,
        # cut from one endless stream of batches, and ends with a record.
        batches = BatchIterator(
            data,
            batch_size=self.n_critic * self.batch_size,
            drop_last=True,
            seed=self.seed,
        )

        def record(epoch: int) -> dict:
            samples = sample(G, fixed.to(device))
            if self.data == "mnist":  # as bytes, like MNIST itself: a quarter the size
                samples = to_bytes(samples)
            return {"samples": samples}

        history = fit(
            step,
            _Stretches(batches, self.record_every),
            math.ceil(self.steps / self.record_every),
            models=(G, critic),
            on_epoch_end=record,
            max_steps=self.steps,
            max_seconds=max_seconds,
            desc=self.describe(),
            progress=progress,
        )
        history.per_epoch["w"] = history.epoch_mean("w", self.record_every)
        return history


def book_mnist_wgan() -> WGANSettings:
    """Chapter 9's MNIST WGAN-GP under the active budget (``budget("models")``): chapter
    6's MLP GAN's networks with the gradient penalty, Adam at 3e-4 with betas (0.5,
    0.9). Chapter 10's table of the book's generators measures it again."""
    shared = budget("models").wgan_mnist
    return WGANSettings(
        data="mnist",
        noise_dim=96,
        batch_size=64,
        lr=3e-4,
        betas=(0.5, 0.9),
        **shared,
    )


def to_bytes(images: Tensor) -> Tensor:
    """Images in [-1, 1] as bytes 0-255 (a quarter of the memory of floats), the form
    the MNIST runs record their samples in; :func:`from_bytes` turns them back."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def from_bytes(images: Tensor) -> Tensor:
    """MNIST samples recorded as bytes 0-255 back as floats in [-1, 1]."""
    if images.dtype != torch.uint8:
        raise ValueError(f"images.dtype={images.dtype}; expected torch.uint8")
    return images.float() / 127.5 - 1


class _Stretches:
    """``batches`` epoch after epoch without end, served ``size`` batches at a time:
    each ``for batch in stretches`` continues where the last one stopped."""

    def __init__(self, batches: BatchIterator, size: int) -> None:
        self.size = size
        self.stream = (batch for _ in itertools.count() for batch in batches)

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        return itertools.islice(self.stream, self.size)
