"""The conditional GAN: a generator told which digit to draw and a discriminator told
which digit it should see (Mirza and Osindero, 2014), on chapter 8's networks.

* G: chapter 8's tutorial DCGAN generator with *conditional* BatchNorm (de Vries et
  al., 2017; Miyato and Koyama, 2018): the noise is the network's only input, and the
  digit chooses each normalised layer's scale and shift. (With the label as a second
  input instead, BatchNorm's spread across the batch can come from the labels alone,
  and G learns to ignore the noise: one image per digit.)
* D: chapter 8's tutorial discriminator up to its hidden layer ``h`` (1024 numbers),
  then two heads. The *score* is ``w·h + b`` plus, with ``projection``, the projection
  term ``e(y)·h`` of the label's embedding ``e(y)`` (Miyato and Koyama, 2018): the
  score asks "a real image *of this digit*?". The *classifier* head gives ten logits,
  "which digit is this?" (AC-GAN, Odena et al., 2017), trained on real digits only.

:func:`make_cgan_step` is one step: D learns real-vs-fake with its score and the digits'
labels with its classifier; G learns to be scored real and classified as the digit it
was asked for. ``auxiliary`` weighs the two classifier losses (0 drops them). With
``mismatch``, D also learns that a real digit under a wrong label is not a real pair
(the matching-aware discriminator of Reed et al., 2016): without it G can swap two
digits' labels and keep fooling both heads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import budget, check_range
from .data import BatchIterator, mnist
from .dcgan import DCGANDiscriminator
from .gan import GAN, MNISTGANSettings, gan_loss, uniform_noise
from .nets import dcgan_init_, evaluating
from .training import History, Step, fit
from .wgan import _Stretches, to_bytes

CLASSES = 10


def _check_labels(labels: Tensor, batch: int) -> None:
    if labels.shape != (batch,) or labels.dtype != torch.long:
        raise ValueError(
            f"labels must be {batch} integers (torch.long); "
            f"got {tuple(labels.shape)} {labels.dtype}"
        )


class ConditionalBatchNorm(nn.Module):
    """BatchNorm with no scale and shift of its own, then a scale and a shift learned
    for each digit, ``γ[y] · BN(x) + β[y]``; the digit comes one-hot, ``(N, 10)``."""

    def __init__(self, features: int, image: bool = False) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if image else nn.BatchNorm1d
        self.norm = norm(features, affine=False)
        self.scale = nn.Parameter(torch.ones(CLASSES, features))
        self.shift = nn.Parameter(torch.zeros(CLASSES, features))

    def forward(self, x: Tensor, one_hot: Tensor) -> Tensor:
        # one_hot @ table picks each example's digit's row of the table.
        scale, shift = one_hot @ self.scale, one_hot @ self.shift
        if x.dim() == 4:
            scale, shift = scale[:, :, None, None], shift[:, :, None, None]
        return scale * self.norm(x) + shift


class ConditionalGenerator(nn.Module):
    """Noise ``(N, noise_dim)`` and digits ``(N,)`` -> images ``(N, 1, 28, 28)``.

    Chapter 8's tutorial generator with each BatchNorm made conditional: the noise alone
    enters the network, and the digit sets every normalised layer's scale and shift.
    """

    def __init__(self, noise_dim: int = 96) -> None:
        super().__init__()
        if noise_dim < 1:
            raise ValueError(f"noise_dim={noise_dim} must be at least 1")
        self.noise_dim = noise_dim
        self.fc1, self.norm1 = nn.Linear(noise_dim, 1024), ConditionalBatchNorm(1024)
        self.fc2 = nn.Linear(1024, 7 * 7 * 128)
        self.norm2 = ConditionalBatchNorm(7 * 7 * 128)
        self.up1 = nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1)
        self.norm3 = ConditionalBatchNorm(64, image=True)
        self.up2 = nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        _check_labels(labels, len(z))
        return self.draw(z, F.one_hot(labels, CLASSES).to(z.dtype))

    def draw(self, z: Tensor, one_hot: Tensor) -> Tensor:
        """The images for noise ``z`` and one-hot digits ``(N, 10)``."""
        h = self.norm1(F.relu(self.fc1(z)), one_hot)
        h = self.norm2(F.relu(self.fc2(h)), one_hot).view(-1, 128, 7, 7)
        h = self.norm3(F.relu(self.up1(h)), one_hot)
        return torch.tanh(self.up2(h))


class OneHotGenerator(nn.Module):
    """A conditional generator with one input, noise and a one-hot digit side by side
    ``(N, noise_dim + 10)``: the form the page's runtime feeds (one float tensor)."""

    def __init__(self, generator: ConditionalGenerator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        z, one_hot = x.split([self.generator.noise_dim, CLASSES], dim=1)
        return self.generator.draw(z, one_hot)


class ConditionalDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` and digits ``(N,)`` -> a score (logit) ``(N, 1)`` and
    class logits ``(N, 10)``."""

    def __init__(self, projection: bool = True) -> None:
        super().__init__()
        base = DCGANDiscriminator()
        self.features = nn.Sequential(base.conv, *list(base.fc)[:-1])  # -> h (N, 1024)
        width = base.fc[-1].in_features
        self.score = base.fc[-1]
        self.classifier = nn.Linear(width, CLASSES)
        self.label_embed = nn.Embedding(CLASSES, width) if projection else None

    def forward(self, x: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        _check_labels(labels, len(x))
        return self.heads(self.features(x), labels)

    def heads(self, h: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """The score and the class logits of features ``h`` (so one image's features
        can be scored with more than one label)."""
        score = self.score(h)
        if self.label_embed is not None:
            score = score + (self.label_embed(labels) * h).sum(1, keepdim=True)
        return score, self.classifier(h)


def mismatched_labels(labels: Tensor) -> Tensor:
    """For each label another digit, drawn uniformly from the nine that differ."""
    return (labels + torch.randint_like(labels, 1, CLASSES)) % CLASSES


def make_cgan_step(
    generator: nn.Module,
    discriminator: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    noise: Callable[[int], Tensor],
    auxiliary: float = 1.0,
    loss: str = "bce",
    mismatch: bool = True,
) -> Step:
    """One conditional GAN step on a batch ``(images, labels)``: a D step, a G step.

    G draws one fake for each real image, asked for a digit drawn uniformly. D minimises
    the GAN loss of its scores plus ``auxiliary`` times the cross-entropy of its
    classifier on the *real* digits' labels; G minimises the GAN loss of its fakes plus
    ``auxiliary`` times the cross-entropy of D's classifier on the fakes against the
    digits asked for. With ``mismatch`` the real digits scored under
    :func:`mismatched_labels` join the fakes: half of D's fake side is G's images, half
    real digits with a wrong label. Returns both losses, the two classifier losses and
    D's mean outputs as probabilities (``d_real``, ``d_fake``: the fakes and, with
    ``mismatch``, the mismatched pairs) before its step.
    """
    check_range("auxiliary", auxiliary, 0, 100)
    pair = gan_loss(loss)

    def step(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        real, labels = batch[0], batch[1]
        asked = torch.randint(CLASSES, (len(real),), device=real.device)
        fake = generator(noise(len(real)).to(real.device), asked)

        h = discriminator.features(real)
        real_scores, real_logits = discriminator.heads(h, labels)
        fake_scores, _ = discriminator(fake.detach(), asked)
        if mismatch:
            # Real digits under a wrong label count as fakes too (half the fake side).
            wrong_scores, _ = discriminator.heads(h, mismatched_labels(labels))
            fake_scores = torch.cat([fake_scores, wrong_scores])
        d_class = F.cross_entropy(real_logits, labels)
        d_loss = pair.discriminator(real_scores, fake_scores) + auxiliary * d_class
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        scores, logits = discriminator(fake, asked)
        g_class = F.cross_entropy(logits, asked)
        g_loss = pair.generator(scores) + auxiliary * g_class
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()  # also leaves gradients on D; its next step clears them
        opt_g.step()
        return {
            "d": d_loss.detach(),
            "g": g_loss.detach(),
            "d_class": d_class.detach(),
            "g_class": g_class.detach(),
            "d_real": real_scores.detach().sigmoid().mean(),
            "d_fake": fake_scores.detach().sigmoid().mean(),
        }

    return step


def fixed_labels(per_digit: int) -> Tensor:
    """``per_digit`` of each digit in order: 0, 0, ..., 1, 1, ... (a row per digit)."""
    check_range("per_digit", per_digit, 1, 100_000)
    return torch.arange(CLASSES).repeat_interleave(per_digit)


@torch.no_grad()
def conditional_sample(
    generator: nn.Module, z: Tensor, labels: Tensor, batch_size: int = 1000
) -> Tensor:
    """``G(z, labels)`` in eval mode, ``batch_size`` at a time, gathered on the CPU."""
    device = next(generator.parameters()).device
    with evaluating(generator):
        parts = [
            generator(zs.to(device), ys.to(device)).cpu()
            for zs, ys in zip(z.split(batch_size), labels.split(batch_size))
        ]
    return torch.cat(parts)


@lru_cache(maxsize=2)
def _mnist_with_labels(limit: int | None, device: str) -> tuple[Tensor, Tensor]:
    return mnist(train=True, scale="tanh", device=device, limit=limit)


@dataclass(frozen=True)
class CGANSettings(MNISTGANSettings):
    """Chapter 10's conditional GAN on MNIST: :class:`ConditionalGenerator` and
    :class:`ConditionalDiscriminator` with DCGAN's initialisation, trained for ``steps``
    steps of :func:`make_cgan_step`.

    Every ``record_every`` steps the run records ``G(fixed noise, fixed digits)``,
    ``per_digit`` samples of each digit in order, as bytes 0-255
    (:func:`helpers.wgan.to_bytes`; :func:`~helpers.wgan.from_bytes` turns them back).
    """

    name: ClassVar[str] = "cgan"
    epochs: int | None = None
    steps: int | None = 2000
    batch_size: int = 64
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    projection: bool = True
    auxiliary: float = 1.0
    mismatch: bool = True
    record_every: int = 100
    per_digit: int = 50

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.steps is None:
            raise ValueError("the conditional GAN's budget is in steps; give steps")
        check_range("auxiliary", self.auxiliary, 0, 100)
        check_range("record_every", self.record_every, 1, self.steps)
        check_range("per_digit", self.per_digit, 1, 10_000)

    def build(self) -> GAN:
        generator = ConditionalGenerator(self.noise_dim)
        discriminator = ConditionalDiscriminator(self.projection)
        # DCGAN's initialisation for G's layers (its BatchNorms have no weights of their
        # own: each digit's scale starts at 1, its shift at 0).
        for layer in (generator.fc1, generator.fc2, generator.up1, generator.up2):
            dcgan_init_(layer)
        model = GAN(generator, dcgan_init_(discriminator))
        if discriminator.label_embed is not None:
            # The projection starts at zero: D begins as chapter 8's, blind to labels.
            nn.init.zeros_(discriminator.label_embed.weight)
        return model

    def describe(self) -> str:
        parts = ["projection"] if self.projection else []
        if self.mismatch:
            parts.append("mismatched pairs")
        if self.auxiliary:
            parts.append(f"classifier × {self.auxiliary:g}")
        return f"conditional GAN ({', '.join(parts) or 'labels unused by D'})"

    def fit(
        self,
        model: GAN,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None = None,
    ) -> History:
        G, D = model.generator, model.discriminator
        images, labels = _mnist_with_labels(self.limit, str(device))
        noise_seed = torch.Generator().manual_seed(self.seed + 1)
        fixed_z = uniform_noise(
            CLASSES * self.per_digit, self.noise_dim, generator=noise_seed
        )
        fixed_y = fixed_labels(self.per_digit)
        step = make_cgan_step(
            G,
            D,
            torch.optim.Adam(G.parameters(), lr=self.lr_g, betas=self.betas),
            torch.optim.Adam(D.parameters(), lr=self.lr_d, betas=self.betas),
            lambda n: uniform_noise(n, self.noise_dim, device),
            self.auxiliary,
            self.loss,
            self.mismatch,
        )
        batches = BatchIterator(
            images, labels, batch_size=self.batch_size, drop_last=True, seed=self.seed
        )

        def record(epoch: int) -> dict:
            samples = conditional_sample(G, fixed_z, fixed_y)
            return {"samples": to_bytes(samples)}

        return fit(
            step,
            _Stretches(batches, self.record_every),
            math.ceil(self.steps / self.record_every),
            models=(G, D),
            on_epoch_end=record,
            max_steps=self.steps,
            max_seconds=max_seconds,
            desc=self.describe(),
            progress=progress,
        )


def book_cgan() -> CGANSettings:
    """Chapter 10's conditional GAN under the active budget (``budget("cgan")``)."""
    cfg = budget("cgan")
    return CGANSettings(
        steps=cfg.steps,
        record_every=cfg.record_every,
        limit=cfg.limit,
        per_digit=cfg.per_digit,
    )


def every_digit(n: int) -> Tensor:
    """``n`` labels asking for each digit equally often: 0, 1, ..., 9, 0, 1, ..."""
    check_range("n", n, 1, 10**7)
    return torch.arange(n) % CLASSES
