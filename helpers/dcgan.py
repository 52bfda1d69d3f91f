"""DCGAN for MNIST: the convolutional generator and discriminator, their initialisation, training.

The networks are the backbone tutorial's (after Radford et al., 2016):

* D: conv 5x5 to 32 channels, max-pool, conv 5x5 to 64, max-pool, FC 1024, FC 1 (a logit),
  LeakyReLU(0.01) after every hidden layer;
* G: FC to 1024, FC to 7·7·128 (ReLU then BatchNorm after each), reshape to 128x7x7,
  transposed conv to 64x14x14 (ReLU, BatchNorm), transposed conv to 1x28x28, tanh.

Training goes through :func:`helpers.gan.train_gan`, like every GAN in the book.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from .autoencoders import trace_shapes  # noqa: F401  (chapter 8 imports it from here)
from .config import seed_everything
from .gan import GANLoss, _cached_mnist_gan, _check_training_arguments, bce_loss, dcgan_init_
from .training import History


class DCGANGenerator(nn.Module):
    """Noise ``(N, noise_dim)`` -> images ``(N, 1, 28, 28)`` in [-1, 1]; ``batchnorm=False`` drops every BatchNorm."""

    def __init__(self, noise_dim: int = 96, batchnorm: bool = True) -> None:
        super().__init__()
        if noise_dim < 1:
            raise ValueError(f"noise_dim={noise_dim} must be at least 1")
        self.noise_dim = noise_dim

        def norm(layer: type[nn.Module], size: int) -> nn.Module:
            return layer(size) if batchnorm else nn.Identity()

        self.fc = nn.Sequential(
            nn.Linear(noise_dim, 1024), nn.ReLU(), norm(nn.BatchNorm1d, 1024),
            nn.Linear(1024, 7 * 7 * 128), nn.ReLU(), norm(nn.BatchNorm1d, 7 * 7 * 128),
        )
        self.conv = nn.Sequential(
            nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1), nn.ReLU(), norm(nn.BatchNorm2d, 64),
            nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1), nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.conv(self.fc(z))


class DCGANDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` -> one score (logit) each ``(N, 1)``, convolutional."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if not 0 <= negative_slope < 1:
            raise ValueError(f"negative_slope={negative_slope} is out of range; allowed: 0 <= slope < 1")
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=5), nn.LeakyReLU(negative_slope), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=5), nn.LeakyReLU(negative_slope), nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 4 * 4, 1024), nn.LeakyReLU(negative_slope), nn.Linear(1024, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.conv(x))


class TrainedDCGAN(NamedTuple):
    generator: DCGANGenerator
    discriminator: DCGANDiscriminator
    history: History
    from_cache: bool
    settings: dict


def trained_dcgan(
    loss: GANLoss | None = None,
    *,
    batchnorm: bool = True,
    epochs: int = 5,
    seconds: float | None = None,
    batch_size: int = 128,
    lr: float = 3e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    noise_dim: int = 96,
    limit: int | None = None,
    seed: int = 0,
    n_fixed: int = 64,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> TrainedDCGAN:
    """Train the MNIST DCGAN for ``epochs`` epochs or ``seconds`` seconds, whichever ends first, or load it.

    ``loss`` defaults to :func:`~helpers.gan.bce_loss`; noise is uniform in [-1, 1]; both
    networks get :func:`dcgan_init_` and Adam(``lr``, ``betas``). ``limit`` trains on the
    first ``limit`` training digits. Weights and history are cached under a hash of the
    settings (a time-limited run is cached too: its step count depends on the machine
    that trained it). A run that stopped early (NaN, Ctrl-C) is returned but not cached.
    On a CPU or a CUDA GPU the training keeps weights and images in channels-last memory
    order: on a 2-core CPU about 11% more images per second at batch 128
    (``benchmarks/gan_speed.py``), about 4% at the chapter's batch 64.
    """
    loss = bce_loss() if loss is None else loss
    _check_training_arguments(epochs=epochs, betas=betas, seconds=seconds, lr=lr)
    seconds = None if seconds is None else round(float(seconds), 1)
    settings = {"loss": loss.name, "batchnorm": batchnorm, "epochs": epochs, "seconds": seconds,
                "batch_size": batch_size, "lr": lr, "betas": list(betas), "noise_dim": noise_dim,
                "limit": limit, "seed": seed, "n_fixed": n_fixed, "init_std": 0.02, "channels_last": True}
    seed_everything(seed)
    generator = dcgan_init_(DCGANGenerator(noise_dim, batchnorm))
    discriminator = dcgan_init_(DCGANDiscriminator())
    history, from_cache = _cached_mnist_gan("dcgan", settings, generator, discriminator, loss, device=device,
                                           progress=progress, desc=f"DCGAN, {loss.name}")
    return TrainedDCGAN(generator, discriminator, history, from_cache, settings)
