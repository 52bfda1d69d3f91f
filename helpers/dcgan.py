"""DCGAN for MNIST: two convolutional GANs and their settings.

``architecture="tutorial"`` (the default) gives the backbone tutorial's networks (after
Radford et al., 2016):

* D: conv 5x5 to 32 channels, max-pool, conv 5x5 to 64, max-pool, FC 1024, FC 1 (a
  logit), LeakyReLU(0.01) after every hidden layer;
* G: FC to 1024, FC to 7·7·128 (ReLU then BatchNorm after each), reshape to 128x7x7,
  transposed conv to 64x14x14 (ReLU, BatchNorm), transposed conv to 1x28x28, tanh.

``architecture="paper"`` gives the paper's recipe at MNIST's size (the same channel
counts in G as the tutorial's): no pooling and no hidden fully connected layer,
BatchNorm in both networks except G's output and D's input layer, LeakyReLU(0.2) in D:

* D: strided conv 4x4 to 64x14x14, strided conv 4x4 to 128x7x7 (BatchNorm), conv 7x7
  to one logit (a flatten and one matrix product);
* G: transposed conv 7x7 from ``noise_dim``x1x1 to 128x7x7 (the paper's projection of
  ``z``: one matrix product), transposed convs 4x4 to 64x14x14 and to 1x28x28; BatchNorm
  then ReLU after every layer but the last, tanh.

Training is :class:`helpers.gan.MNISTGANSettings`'s, like every MNIST GAN in the book.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import torch
from torch import Tensor, nn

from .config import budget, check_range
from .gan import GAN, MNISTGANSettings, gan_loss, step_flops
from .nets import dcgan_init_


class DCGANGenerator(nn.Module):
    """Noise ``(N, noise_dim)`` -> images ``(N, 1, 28, 28)`` in [-1, 1];
    ``batchnorm=False`` drops every BatchNorm."""

    def __init__(self, noise_dim: int = 96, batchnorm: bool = True) -> None:
        super().__init__()
        if noise_dim < 1:
            raise ValueError(f"noise_dim={noise_dim} must be at least 1")
        self.noise_dim = noise_dim

        def norm(layer: type[nn.Module], size: int) -> nn.Module:
            return layer(size) if batchnorm else nn.Identity()

        self.fc = nn.Sequential(
            nn.Linear(noise_dim, 1024),
            nn.ReLU(),
            norm(nn.BatchNorm1d, 1024),
            nn.Linear(1024, 7 * 7 * 128),
            nn.ReLU(),
            norm(nn.BatchNorm1d, 7 * 7 * 128),
        )
        self.conv = nn.Sequential(
            nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),
            nn.ReLU(),
            norm(nn.BatchNorm2d, 64),
            nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.conv(self.fc(z))


class DCGANDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` -> one score (logit) each ``(N, 1)``, convolutional."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        check_range("negative_slope", negative_slope, 0, 1, high_open=True)
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=5),
            nn.LeakyReLU(negative_slope),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=5),
            nn.LeakyReLU(negative_slope),
            nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 1024),
            nn.LeakyReLU(negative_slope),
            nn.Linear(1024, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.conv(x))


class PaperDCGANGenerator(nn.Module):
    """Radford et al.'s generator at MNIST's size: noise ``(N, noise_dim)`` -> images
    ``(N, 1, 28, 28)`` in [-1, 1], transposed convolutions only."""

    def __init__(self, noise_dim: int = 96, width: int = 64) -> None:
        super().__init__()
        if noise_dim < 1:
            raise ValueError(f"noise_dim={noise_dim} must be at least 1")
        check_range("width", width, 1, 1024)
        self.noise_dim = noise_dim
        # No biases before BatchNorm: its shift does their job.
        self.net = nn.Sequential(
            nn.Unflatten(1, (noise_dim, 1, 1)),
            nn.ConvTranspose2d(noise_dim, 2 * width, kernel_size=7, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(
                2 * width, width, kernel_size=4, stride=2, padding=1, bias=False
            ),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, kernel_size=4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class PaperDCGANDiscriminator(nn.Module):
    """Radford et al.'s discriminator at MNIST's size: images ``(N, 1, 28, 28)`` -> one
    logit each ``(N, 1)``, strided convolutions only."""

    def __init__(self, negative_slope: float = 0.2, width: int = 64) -> None:
        super().__init__()
        check_range("negative_slope", negative_slope, 0, 1, high_open=True)
        check_range("width", width, 1, 1024)
        self.net = nn.Sequential(
            nn.Conv2d(1, width, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(negative_slope),
            nn.Conv2d(width, 2 * width, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(negative_slope),
            nn.Conv2d(2 * width, 1, kernel_size=7),
            nn.Flatten(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


ARCHITECTURES = ("tutorial", "paper")


@dataclass(frozen=True)
class DCGANSettings(MNISTGANSettings):
    """The MNIST DCGAN of chapter 8: both networks get DCGAN's initialisation
    (:func:`~helpers.nets.dcgan_init_`); the budget is in ``steps`` (chapter 8 sets it
    from the MLP GAN's compute).

    ``architecture`` is ``"tutorial"`` (the backbone tutorial's networks) or
    ``"paper"`` (Radford et al.'s recipe); ``batchnorm=False`` drops the tutorial G's
    BatchNorm layers. With ``use_channels_last`` (the
    default) a CPU or a CUDA GPU trains with weights and images in channels-last memory
    order: on a 2-core CPU about 11% more images per second at batch 128
    (``benchmarks/gan_speed.py``); other devices ignore it. (The field cannot share the
    name of the method :meth:`channels_last` it steers.)
    """

    name: ClassVar[str] = "dcgan"
    epochs: int | None = None
    steps: int | None = 2000
    architecture: str = "tutorial"
    width: int = 64  # the paper's networks: channels of G's last and D's first layer
    batchnorm: bool = True
    use_channels_last: bool = True

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            allowed = ", ".join(ARCHITECTURES)
            raise ValueError(
                f"architecture={self.architecture!r} is not known; allowed: {allowed}"
            )
        if self.architecture == "paper" and not self.batchnorm:
            raise ValueError("batchnorm=False applies to architecture='tutorial' only")
        super().__post_init__()

    def build(self) -> GAN:
        if self.architecture == "paper":
            generator = PaperDCGANGenerator(self.noise_dim, self.width)
            discriminator = PaperDCGANDiscriminator(width=self.width)
        else:
            generator = DCGANGenerator(self.noise_dim, self.batchnorm)
            discriminator = DCGANDiscriminator()
        return GAN(dcgan_init_(generator), dcgan_init_(discriminator))

    def channels_last(self, device: torch.device) -> bool:
        return self.use_channels_last and device.type in ("cpu", "cuda")

    def describe(self) -> str:
        kind = "paper's DCGAN" if self.architecture == "paper" else "DCGAN"
        return f"{kind}, {gan_loss(self.loss, self.real_label).name}"


def book_dcgans(mlp_flops: float) -> dict[str, DCGANSettings]:
    """Chapter 8's DCGANs under the active budget, with their budgets in operations.

    ``mlp_flops`` is what training the MLP GAN cost (:func:`~helpers.gan.step_flops`
    times its steps). ``"tutorial"`` (the source's settings) and ``"paper"`` (the
    paper's recipe and learning rate) get that much compute each, at their own cost per
    step. ``"target"`` is the budget's ``target_architecture`` again with its learning
    rates at ``target_lr`` and ``target_compute`` times the compute. The benchmarks
    build the same runs from here.
    """
    check_range("mlp_flops", mlp_flops, 0, low_open=True)
    cfg = budget("dcgan")
    tutorial = DCGANSettings(steps=1, batch_size=cfg.batch_size, limit=cfg.limit)
    paper = replace(
        tutorial,
        architecture="paper",
        width=cfg.paper_width,
        lr_d=cfg.paper_lr,
        lr_g=cfg.paper_lr,
    )
    target = replace(
        {"tutorial": tutorial, "paper": paper}[cfg.target_architecture],
        lr_d=cfg.target_lr,
        lr_g=cfg.target_lr,
    )

    def given(settings: DCGANSettings, flops: float) -> DCGANSettings:
        return replace(settings, steps=max(1, round(flops / step_flops(settings))))

    return {
        "tutorial": given(tutorial, mlp_flops),
        "paper": given(paper, mlp_flops),
        "target": given(target, cfg.target_compute * mlp_flops),
    }
