"""DCGAN for MNIST: the convolutional generator and discriminator and their settings.

The networks are the backbone tutorial's (after Radford et al., 2016):

* D: conv 5x5 to 32 channels, max-pool, conv 5x5 to 64, max-pool, FC 1024, FC 1 (a
  logit), LeakyReLU(0.01) after every hidden layer;
* G: FC to 1024, FC to 7·7·128 (ReLU then BatchNorm after each), reshape to 128x7x7,
  transposed conv to 64x14x14 (ReLU, BatchNorm), transposed conv to 1x28x28, tanh.

Training is :class:`helpers.gan.MNISTGANSettings`'s, like every MNIST GAN in the book.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from .config import check_range
from .gan import GAN, MNISTGANSettings, gan_loss
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


@dataclass(frozen=True)
class DCGANSettings(MNISTGANSettings):
    """The MNIST DCGAN of chapter 8: both networks get DCGAN's initialisation
    (:func:`~helpers.nets.dcgan_init_`); the budget is in ``steps`` (chapter 8 sets it
    from the MLP GAN's compute).

    ``batchnorm=False`` drops G's BatchNorm layers. With ``use_channels_last`` (the
    default) a CPU or a CUDA GPU trains with weights and images in channels-last memory
    order: on a 2-core CPU about 11% more images per second at batch 128
    (``benchmarks/gan_speed.py``); other devices ignore it. (The field cannot share the
    name of the method :meth:`channels_last` it steers.)
    """

    name: ClassVar[str] = "dcgan"
    epochs: int | None = None
    steps: int | None = 2000
    batchnorm: bool = True
    use_channels_last: bool = True

    def build(self) -> GAN:
        generator = dcgan_init_(DCGANGenerator(self.noise_dim, self.batchnorm))
        return GAN(generator, dcgan_init_(DCGANDiscriminator()))

    def channels_last(self, device: torch.device) -> bool:
        return self.use_channels_last and device.type in ("cpu", "cuda")

    def describe(self) -> str:
        return f"DCGAN, {gan_loss(self.loss, self.real_label).name}"
