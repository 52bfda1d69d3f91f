"""Autoencoders and the variational autoencoder: models, losses, training and figures.

Two chapters use this module. The autoencoder chapter trains :class:`MLPAutoencoder` and
:class:`ConvAutoencoder` on MNIST in ``[-1, 1]`` (tanh outputs) with a squared-error loss;
the VAE chapter trains :class:`VAE` on MNIST in ``[0, 1]`` with a Bernoulli likelihood, so
its loss is a negative ELBO in nats.

Later chapters get the trained models back from the cache, with the settings that
identify them (trained now if the cache lacks them)::

    from helpers import autoencoders as ae
    vae = ae.trained_vae(ae.vae_settings())        # the VAE chapter's 20-d VAE
    images = vae.sample(64)                        # decoded z ~ N(0, I), pixels in [0, 1]
    plain = ae.trained_mlp_autoencoder(ae.vae_settings().matching_autoencoder())  # same layers, MSE
    small = ae.trained_mlp_autoencoder(ae.autoencoder_settings())  # the AE chapter's 3-d code
    codes = ae.encode_all(plain, test_images_in_minus1_1)
    fakes = plain.decode(ae.random_codes(codes, 64))  # pixels in [-1, 1]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .checkpoints import cached_run
from .config import budget, get_device, seed_everything
from .data import BatchIterator, mnist
from .gan import _mlp as _linear_stack
from .plots import plot_losses, show_images
from .training import History, fit

PIXELS = 28 * 28


# ----------------------------------------------------------------------------- models


class MLPAutoencoder(nn.Module):
    """Fully connected autoencoder; ``layers`` = input, hidden sizes..., code size.

    The encoder is ``Linear`` + ReLU down to the last hidden size, then a plain ``Linear``
    to the code (no ReLU: the code may be negative). The decoder mirrors it and ends in
    tanh, so reconstructions live in ``[-1, 1]`` like the data.
    """

    scale = "tanh"

    def __init__(self, layers: tuple[int, ...] = (PIXELS, 128, 64, 12, 3)) -> None:
        super().__init__()
        if len(layers) < 2 or layers[0] != PIXELS or min(layers) < 1:
            raise ValueError(f"layers={layers} must start at {PIXELS} and hold at least a code size >= 1")
        self.layers = tuple(layers)
        self.code_size = layers[-1]
        self.encoder = _mlp(layers, last=None)
        self.decoder = _mlp(layers[::-1], last=nn.Tanh())

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, code: Tensor) -> Tensor:
        return self.decoder(code).view(-1, 1, 28, 28)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        code = self.encode(x)
        return code, self.decode(code)


def _mlp(sizes: tuple[int, ...], last: nn.Module | None) -> nn.Sequential:
    """Linear layers of ``sizes`` with ReLU between them, then ``last``."""
    return nn.Sequential(*_linear_stack(sizes, negative_slope=0.0, dropout=0.0), *([last] if last is not None else []))


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder with an ``8 x 2 x 2`` code (32 numbers), shapes as written."""

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


@torch.no_grad()
def trace_shapes(model: nn.Module, x: Tensor) -> list[tuple[str, str, tuple[int, ...]]]:
    """Run ``x`` through ``model`` and list ``(name, layer, output shape)`` for every leaf layer, in order."""
    rows: list[tuple[str, str, tuple[int, ...]]] = []
    hooks = [
        layer.register_forward_hook(
            lambda layer, _, out, name=name: rows.append((name, type(layer).__name__, tuple(out.shape))))
        for name, layer in model.named_modules() if not list(layer.children())
    ]
    was_training = model.training
    model.eval()
    try:
        model(x)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return rows


class VAE(nn.Module):
    """Variational autoencoder: 784 -> hidden -> (mean, log-variance) of z; z -> hidden -> 784.

    The decoder returns Bernoulli *logits*, one per pixel; ``decode`` turns them into
    probabilities, which are also the images we show (pixels in ``[0, 1]``).
    """

    scale = "unit"

    def __init__(self, latent_size: int = 20, hidden: int = 400) -> None:
        super().__init__()
        if latent_size < 1 or hidden < 1:
            raise ValueError(f"latent_size={latent_size} and hidden={hidden} must be at least 1")
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
        """Decode ``n`` codes drawn from the prior N(0, I): new digits, pixels in [0, 1]."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_size, generator=generator).to(device)
        return self.decode(z)


# ----------------------------------------------------------------------------- losses


def reparameterise(mean: Tensor, logvar: Tensor) -> Tensor:
    """z = mean + sigma * eps with eps ~ N(0, I): a sample whose gradient reaches mean and logvar."""
    eps = torch.randn_like(mean)
    return mean + torch.exp(0.5 * logvar) * eps


def kl_to_standard_normal(mean: Tensor, logvar: Tensor) -> Tensor:
    """KL( N(mean, diag(exp(logvar))) || N(0, I) ) for each row, summed over dimensions."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


def vae_loss(logits: Tensor, x: Tensor, mean: Tensor, logvar: Tensor, beta: float = 1.0) -> dict[str, Tensor]:
    """Negative ELBO per digit (in nats) with the KL term weighted by ``beta``.

    Reconstruction: the Bernoulli negative log-likelihood (binary cross-entropy) of the
    pixels in ``[0, 1]`` given the decoder's logits, summed over the 784 pixels.
    """
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = kl_to_standard_normal(mean, logvar)
    return {
        "loss": (reconstruction + beta * kl).mean(),
        "reconstruction": reconstruction.mean(),
        "kl": kl.mean(),
    }


# ----------------------------------------------------------------------------- training


def autoencoder_step(model: nn.Module, optimiser: torch.optim.Optimizer):
    """One training step of an autoencoder on a batch ``(x,)``: squared error, then Adam."""

    def step(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        (x,) = batch
        _, reconstruction = model(x)
        loss = F.mse_loss(reconstruction, x)  # mean over pixels and digits
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        return {"mse": loss.detach()}

    return step


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
class AESettings:
    """Everything that decides an autoencoder's trained weights (and its cache file)."""

    kind: str = "mlp"  # "mlp" or "conv"
    layers: tuple[int, ...] = (PIXELS, 128, 64, 12, 3)  # MLP only
    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    limit: int | None = None  # first ``limit`` training digits; None: all 60,000
    seed: int = 0

    def __post_init__(self) -> None:
        _check_common(self.epochs, self.lr, self.batch_size, self.limit)
        if self.kind not in ("mlp", "conv"):
            raise ValueError(f"kind={self.kind!r} is not allowed; allowed values: mlp, conv")

    def build(self) -> nn.Module:
        return MLPAutoencoder(tuple(self.layers)) if self.kind == "mlp" else ConvAutoencoder()


@dataclass(frozen=True)
class VAESettings:
    """Everything that decides a VAE's trained weights (and its cache file)."""

    latent_size: int = 20
    hidden: int = 400
    epochs: int = 10
    lr: float = 1e-3
    beta: float = 1.0
    batch_size: int = 128
    limit: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        _check_common(self.epochs, self.lr, self.batch_size, self.limit)
        if not 1 <= self.latent_size <= 512:
            raise ValueError(f"latent_size={self.latent_size} is out of range; allowed: 1 to 512")
        if not 0 <= self.beta <= 100:
            raise ValueError(f"beta={self.beta} is out of range; allowed: 0 to 100")

    def build(self) -> VAE:
        return VAE(self.latent_size, self.hidden)

    def matching_autoencoder(self) -> AESettings:
        """A plain autoencoder with this VAE's layer sizes, data and training schedule."""
        return AESettings(
            kind="mlp", layers=(PIXELS, self.hidden, self.latent_size), epochs=self.epochs,
            lr=self.lr, batch_size=self.batch_size, limit=self.limit, seed=self.seed,
        )


def _check_common(epochs: int, lr: float, batch_size: int, limit: int | None) -> None:
    if not 0 <= epochs <= 1000:
        raise ValueError(f"epochs={epochs} is out of range; allowed: 0 to 1000")
    if not 0 < lr <= 1:
        raise ValueError(f"lr={lr} is out of range; allowed: 0 < lr <= 1")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be at least 1")
    if limit is not None and limit < 1:
        raise ValueError(f"limit={limit} must be a positive number of digits (or None for all)")


def autoencoder_settings(**changes) -> AESettings:
    """The autoencoder chapter's MLP settings under the active budget, with ``changes``."""
    cfg = budget("autoencoders")
    return replace(AESettings(epochs=cfg.epochs, limit=cfg.limit), **changes)


def vae_settings(**changes) -> VAESettings:
    """The VAE chapter's settings under the active budget, with ``changes`` applied."""
    cfg = budget("vae")
    return replace(VAESettings(epochs=cfg.epochs, limit=cfg.limit), **changes)


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _train_autoencoder(model: nn.Module, settings: AESettings, progress: bool = True) -> History:
    """Train ``model`` (on its device) on MNIST in [-1, 1] as ``settings`` say."""
    seed_everything(settings.seed)
    images, _ = mnist(train=True, scale="tanh", device=_device_of(model), limit=settings.limit)
    batches = BatchIterator(images, batch_size=settings.batch_size, seed=settings.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    desc = f"{settings.kind} autoencoder"
    return fit(autoencoder_step(model, optimiser), batches, settings.epochs, models=[model], desc=desc, progress=progress)


def _train_vae(model: VAE, settings: VAESettings, progress: bool = True) -> History:
    """Train ``model`` (on its device) on MNIST in [0, 1] as ``settings`` say."""
    seed_everything(settings.seed)
    images, _ = mnist(train=True, scale="unit", device=_device_of(model), limit=settings.limit)
    batches = BatchIterator(images, batch_size=settings.batch_size, seed=settings.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.lr)
    step = vae_step(model, optimiser, settings.beta)
    return fit(step, batches, settings.epochs, models=[model], desc="VAE", progress=progress)


def _build(settings: AESettings | VAESettings, device: torch.device | str | None) -> nn.Module:
    seed_everything(settings.seed)  # the initial weights depend on the seed too
    return settings.build().to(get_device() if device is None else device)


def _cache_name(settings: AESettings | VAESettings) -> str:
    return "vae" if isinstance(settings, VAESettings) else f"{settings.kind}-autoencoder"


def train_and_cache(settings: AESettings | VAESettings, device=None, progress: bool = True) -> tuple[nn.Module, History]:
    """The model ``settings`` describe and its history: from the cache if it was trained
    before with these settings, else trained now (and cached unless it stopped early)."""
    model = _build(settings, device)
    train = _train_vae if isinstance(settings, VAESettings) else _train_autoencoder
    history, _ = cached_run(_cache_name(settings), asdict(settings), model,
                            lambda m: train(m, settings, progress=progress))
    return model.eval(), history


def trained_mlp_autoencoder(settings: AESettings, device=None) -> nn.Module:
    """The autoencoder trained with ``settings``, from the cache if it is there (else trained now)."""
    return train_and_cache(settings, device)[0]


def trained_vae(settings: VAESettings, device=None) -> VAE:
    """The VAE trained with ``settings``, from the cache if it is there (else trained now)."""
    return train_and_cache(settings, device)[0]


# ----------------------------------------------------------------------------- evaluation


@torch.no_grad()
def encode_all(model: nn.Module, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Codes of ``images`` (for a VAE: the means of q(z|x)), flattened to ``(N, code_size)``."""
    model.eval()
    codes = []
    for x in images.split(batch_size):
        code = model.encode(x)
        codes.append((code[0] if isinstance(code, tuple) else code).flatten(1))
    return torch.cat(codes)


@torch.no_grad()
def reconstruct(model: nn.Module, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Reconstructions of ``images`` (a VAE decodes the mean code), in the model's pixel scale."""
    return torch.cat([model.decode(code) for code in encode_all(model, images, batch_size).split(batch_size)])


def to_unit(images: Tensor, scale: str) -> Tensor:
    """Pixels in ``scale`` ("tanh": [-1, 1], "unit": [0, 1]) mapped to [0, 1]."""
    if scale not in ("tanh", "unit"):
        raise ValueError(f"scale={scale!r} is not allowed; allowed values: tanh, unit")
    return (images + 1) / 2 if scale == "tanh" else images


def pixel_mse(model: nn.Module, images: Tensor) -> float:
    """Mean squared reconstruction error per pixel, measured on the [0, 1] scale.

    ``images`` are in the model's own scale; both sides are mapped to [0, 1] first, so the
    numbers of tanh autoencoders and the VAE can be compared (a [-1, 1] MSE is 4 times larger).
    """
    recon = reconstruct(model, images)
    return F.mse_loss(to_unit(recon, model.scale), to_unit(images, model.scale)).item()


@torch.no_grad()
def elbo(model: VAE, images: Tensor, batch_size: int = 1000, seed: int = 0) -> dict[str, float]:
    """The test ELBO per digit in nats (one z sample per digit), and its two terms."""
    model.eval()
    torch.manual_seed(seed)
    totals = {"reconstruction": 0.0, "kl": 0.0}
    for x in images.split(batch_size):
        logits, mean, logvar = model(x)
        losses = vae_loss(logits, x, mean, logvar)
        for key in totals:
            totals[key] += losses[key].item() * len(x)
    out = {key: value / len(images) for key, value in totals.items()}
    out["elbo"] = -(out["reconstruction"] + out["kl"])
    return out


def random_codes(codes: Tensor, n: int, generator: torch.Generator | None = None,
                 full_covariance: bool = False) -> Tensor:
    """``n`` random codes, each coordinate Gaussian with the mean and spread of ``codes``.

    With ``full_covariance`` the Gaussian also has the codes' correlations (their covariance
    matrix) instead of independent coordinates. This is a generous guess at "a typical code"
    for a plain autoencoder, which has no prior.
    """
    if n < 1:
        raise ValueError(f"n={n} must be at least 1")
    mean = codes.mean(0)
    noise = torch.randn(n, codes.shape[1], generator=generator).to(codes.device)
    if full_covariance:
        return mean + noise @ torch.linalg.cholesky(torch.cov(codes.T)).T
    return mean + codes.std(0) * noise


def code_gap(codes: Tensor, drawn: Tensor) -> tuple[float, float]:
    """How far random codes land from real ones, as two median nearest-neighbour distances.

    ``codes`` are codes of real digits: their second half is the reference. Returns the median
    distance to the nearest reference code of the first half's codes (real digits) and of
    ``drawn`` (random codes, at most as many as the first half).
    """
    half = len(codes) // 2
    if half < 1:
        raise ValueError(f"codes has {len(codes)} rows; need at least 2")
    reference = codes[half:]

    def nearest(points: Tensor) -> float:
        return torch.cdist(points, reference).min(dim=1).values.median().item()

    return nearest(codes[:half]), nearest(drawn[:half])


@torch.no_grad()
def decoded_samples(autoencoder: nn.Module, vae: VAE, real_images: Tensor, n: int,
                    generator: torch.Generator | None = None, batch_size: int = 1000) -> tuple[Tensor, Tensor]:
    """``n`` digits made by each decoder, both in [-1, 1]: ``(autoencoder's, VAE's)``.

    The autoencoder has no distribution of its own, so it decodes codes drawn from a Gaussian
    fitted to the codes of ``real_images`` (:func:`random_codes` with ``full_covariance``);
    the VAE decodes ``z ~ N(0, I)``, its prior. ``generator`` draws both, in that order.
    """
    drawn = random_codes(encode_all(autoencoder, real_images), n, generator, full_covariance=True)
    ae_images = torch.cat([autoencoder.decode(codes) for codes in drawn.split(batch_size)])
    z = torch.randn(n, vae.latent_size, generator=generator).to(drawn.device)
    vae_images = torch.cat([vae.decode(part) for part in z.split(batch_size)])
    to_tanh = lambda images, scale: images if scale == "tanh" else images * 2 - 1  # noqa: E731
    return to_tanh(ae_images, autoencoder.scale), to_tanh(vae_images, vae.scale)


@torch.no_grad()
def interpolate(model: VAE, x_a: Tensor, x_b: Tensor, steps: int = 10) -> Tensor:
    """Decode ``steps`` evenly spaced points on the line between the mean codes of two digits."""
    if steps < 2:
        raise ValueError(f"steps={steps} must be at least 2")
    z_a, z_b = encode_all(model, torch.stack([x_a, x_b]))
    t = torch.linspace(0, 1, steps, device=z_a.device).unsqueeze(1)
    return model.decode((1 - t) * z_a + t * z_b)


@torch.no_grad()
def latent_grid(model: VAE, n: int = 15, quantile: float = 0.95) -> Tensor:
    """Decode an ``n x n`` grid over a 2-d latent, evenly spaced in N(0, 1) probability.

    The grid runs over the central ``quantile`` of each coordinate's prior (through the
    inverse normal CDF), so every cell stands for the same prior mass.
    """
    if model.latent_size != 2:
        raise ValueError(f"latent_grid needs latent_size=2; the model has {model.latent_size}")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile={quantile} is out of range; allowed: 0 < quantile < 1")
    tail = (1 - quantile) / 2
    p = torch.linspace(tail, 1 - tail, n)
    values = math.sqrt(2) * torch.erfinv(2 * p - 1)
    # rows go down in z2, columns go right in z1, so the picture matches a scatter plot
    z = torch.stack(torch.meshgrid(values.flip(0), values, indexing="ij")[::-1], dim=-1).reshape(-1, 2)
    return model.decode(z.to(_device_of(model)))


# ----------------------------------------------------------------------------- figures


def plot_codes_3d(codes: Tensor, labels: Tensor, title: str = "3-d codes of the test digits") -> plt.Figure:
    """Scatter 3-d codes in 3-D, coloured by digit."""
    if codes.shape[1] != 3:
        raise ValueError(f"codes must have 3 columns; got {codes.shape[1]}")
    codes, labels = codes.cpu().numpy(), labels.cpu().numpy()
    fig = plt.figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot(projection="3d")
    points = ax.scatter(*codes.T, c=labels, cmap="tab10", s=2, alpha=0.6, vmin=-0.5, vmax=9.5)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit", shrink=0.7)
    ax.set_xlabel("code 1"), ax.set_ylabel("code 2"), ax.set_zlabel("code 3")
    ax.set_title(title)
    return fig


def plot_codes_2d(codes: Tensor, labels: Tensor, ax: plt.Axes | None = None, title: str | None = None) -> plt.Axes:
    """Scatter 2-d codes, coloured by digit."""
    if codes.shape[1] != 2:
        raise ValueError(f"codes must have 2 columns; got {codes.shape[1]}")
    ax = ax or plt.figure(figsize=(5.5, 5)).gca()
    codes, labels = codes.cpu().numpy(), labels.cpu().numpy()
    points = ax.scatter(*codes.T, c=labels, cmap="tab10", s=2, alpha=0.6, vmin=-0.5, vmax=9.5)
    plt.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("$z_1$"), ax.set_ylabel("$z_2$")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def train_and_show_vae(latent_size: int, epochs: int, lr: float, beta: float, limit: int | None = None,
                       test_images: Tensor | None = None, progress: bool = True) -> tuple[VAE, History]:
    """Train a VAE with these settings, then draw its losses, reconstructions and samples.

    The VAE chapter calls this once at its budget's settings, and its control panel calls
    it again with the reader's values. ``test_images`` (in [0, 1]) are reconstructed; by
    default the first ten test digits.
    """
    settings = replace(vae_settings(), latent_size=latent_size, epochs=epochs, lr=lr, beta=beta, limit=limit)
    model, history = train_and_cache(settings, progress=progress)
    if test_images is None:
        test_images = mnist(train=False, scale="unit", device=_device_of(model), limit=10)[0]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.2), gridspec_kw={"width_ratios": [1.2, 1, 1]})
    plot_losses({"negative ELBO": history.losses["loss"], "KL": history.losses["kl"]},
                ax=axes[0], smooth=10, title=f"training (beta={beta:g})")
    recon = reconstruct(model, test_images[:10])
    show_images(torch.cat([test_images[:10], recon]), nrow=10, ax=axes[1], title="test digits and reconstructions")
    show_images(model.sample(20, generator=torch.Generator().manual_seed(0)), nrow=10, ax=axes[2],
                title="decoded z ~ N(0, I)")
    fig.tight_layout()
    return model, history


def train_and_show_autoencoder(code_size: int, epochs: int, lr: float, limit: int | None = None,
                               test_images: Tensor | None = None, progress: bool = True) -> tuple[MLPAutoencoder, History]:
    """Train the MLP autoencoder with a ``code_size`` code, then draw losses, reconstructions and decoded random codes."""
    layers = (PIXELS, 128, 64, max(12, code_size), code_size)  # no hidden layer narrower than the code
    settings = autoencoder_settings(layers=layers, epochs=epochs, lr=lr, limit=limit)
    model, history = train_and_cache(settings, progress=progress)
    if test_images is None:
        test_images = mnist(train=False, scale="tanh", device=_device_of(model), limit=500)[0]
    codes = encode_all(model, test_images)
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.2), gridspec_kw={"width_ratios": [1.2, 1, 1]})
    plot_losses({"MSE": history.losses["mse"]}, ax=axes[0], smooth=10, title=f"training (code size {code_size})")
    recon = reconstruct(model, test_images[:10])
    show_images(torch.cat([test_images[:10], recon]), nrow=10, ax=axes[1], title="test digits and reconstructions")
    with torch.no_grad():
        decoded = model.decode(random_codes(codes, 20, torch.Generator().manual_seed(0)))
    show_images(decoded, nrow=10, ax=axes[2], title="decoded random codes")
    fig.tight_layout()
    return model, history



def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (floats to 4 significant digits), shown with ``IPython.display.Markdown``."""
    if any(len(row) != len(headers) for row in rows):
        raise ValueError(f"rows must have {len(headers)} cells each, like headers")

    def cell(value) -> str:
        return f"{value:.4g}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def mid_grey_fraction(images: Tensor) -> float:
    """The fraction of pixels strictly between 0.2 and 0.8 (on [0, 1]): neither ink nor paper."""
    return ((images > 0.2) & (images < 0.8)).float().mean().item()


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
