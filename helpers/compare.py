"""The book's generators side by side: every MNIST generator of chapters 2 to 10,
measured by the judge of chapter 7 against the same real test digits.

:func:`comparison` builds the table that chapter 10 prints and
``benchmarks/compare_generators.py`` writes as JSON. Every model comes from
:func:`~helpers.cache.trained` with its chapter's settings, so after the chapters have
run at the same budget nothing is trained again. The samples, the noise and the real
digits are chapter 8's (``budget("dcgan")``): the rows it shares with chapter 8's table
are the same numbers.
"""

from __future__ import annotations

import time

import torch

from .autoencoders import book_autoencoder
from .cache import Trained, trained
from .cgan import book_cgan, conditional_sample, every_digit
from .config import budget, budget_name, get_device
from .data import mnist
from .dcgan import book_dcgans
from .gan import book_mlp_gan, sample, step_flops, uniform_noise
from .metrics import Measures, classify, judge_settings, measure, test_accuracy
from .vae import book_vae, decoded_samples
from .wgan import book_mnist_wgan

FLOOR = "real training digits (floor)"


def _row(name: str, m: Measures, run: Trained | None) -> dict:
    return {
        "generator": name,
        "frechet": round(m.frechet, 3),
        "score": round(m.score, 3),
        "classes_covered": m.covered,
        "histogram": m.histogram.tolist(),
        "training_steps": None if run is None else run.history.steps,
        "training_seconds": None if run is None else round(run.history.seconds, 1),
    }


def comparison(device: torch.device | None = None, progress: bool = False) -> dict:
    """Every generator of the book measured the same way, as plain values.

    ``rows`` start with the floor (real training digits), then the autoencoder (random
    codes from a Gaussian fitted to its codes), the VAE (``z ~ N(0, I)``), the MLP
    GANs, chapter 8's three DCGANs, chapter 9's WGAN-GP and chapter 10's conditional GAN
    (asked for every digit equally often). Each row holds the Fréchet distance, the
    classifier score, the classes covered, the class histogram, the training steps and
    the training seconds recorded when the model was trained.
    """
    cfg = budget("dcgan")
    device = device or get_device()
    start = time.perf_counter()

    def get(settings):
        return trained(settings, device=device, progress=progress)

    judge = get(judge_settings())
    mlp_settings = book_mlp_gan()
    mlp = get(mlp_settings)
    lsgan = get(book_mlp_gan("least_squares"))
    flops_mlp = step_flops(mlp_settings) * mlp.history.steps
    dcgans = {name: get(s) for name, s in book_dcgans(flops_mlp).items()}
    autoencoder = get(book_autoencoder())
    vae = get(book_vae())
    wgan = get(book_mnist_wgan())
    cgan = get(book_cgan())

    classifier = judge.model
    test_images, _ = mnist(train=False, device=device, limit=cfg.test_limit)
    train_images, _ = mnist(train=True, device=device)
    reference, _ = classify(classifier, test_images[: cfg.n_samples])
    order = torch.randperm(
        len(train_images), generator=torch.Generator().manual_seed(0)
    )
    pick = order[: cfg.n_samples]
    noise_seed = torch.Generator().manual_seed(123)
    noise = uniform_noise(cfg.n_samples, mlp_settings.noise_dim, generator=noise_seed)
    ae_images, vae_images = decoded_samples(
        autoencoder.model,
        vae.model,
        train_images[pick],
        cfg.n_samples,
        torch.Generator().manual_seed(7),
    )

    def of(run: Trained) -> Measures:
        return measure(classifier, sample(run.model.generator, noise), reference)

    asked = every_digit(cfg.n_samples)
    cgan_images = conditional_sample(cgan.model.generator, noise, asked)
    rows = [
        _row(FLOOR, measure(classifier, train_images[pick], reference), None),
        _row(
            "autoencoder, random codes",
            measure(classifier, ae_images, reference),
            autoencoder,
        ),
        _row("VAE, z ~ N(0, I)", measure(classifier, vae_images, reference), vae),
        _row("MLP GAN", of(mlp), mlp),
        _row("least-squares MLP GAN", of(lsgan), lsgan),
        _row("DCGAN", of(dcgans["tutorial"]), dcgans["tutorial"]),
        _row("paper's DCGAN", of(dcgans["paper"]), dcgans["paper"]),
        _row(
            f"DCGAN target run, lr {cfg.target_lr:g}",
            of(dcgans["target"]),
            dcgans["target"],
        ),
        _row("WGAN-GP (MLP networks)", of(wgan), wgan),
        _row(
            "conditional GAN, every digit asked",
            measure(classifier, cgan_images, reference),
            cgan,
        ),
    ]
    return {
        "budget": budget_name(),
        "device": str(device),
        "torch": torch.__version__,
        "classifier_test_accuracy": test_accuracy(classifier, cfg.test_limit),
        "samples": cfg.n_samples,
        "mlp_gan_flops": flops_mlp,
        "dcgan_steps": dcgans["tutorial"].history.steps,
        "paper_dcgan_steps": dcgans["paper"].history.steps,
        "target_dcgan_steps": dcgans["target"].history.steps,
        "seconds_to_build": round(time.perf_counter() - start, 1),
        "rows": rows,
    }
