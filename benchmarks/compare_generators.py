"""The book's comparison of generators, as JSON: the table of chapter 8 (book/08_dcgan), to track.

    GANBOOK_BUDGET=full python benchmarks/compare_generators.py            # print JSON
    GANBOOK_BUDGET=full python benchmarks/compare_generators.py --out table.json

Every model comes from the cache when the chapters have run with the same budget (else it
is trained now, with the chapters' settings). Each row holds the Fréchet distance to real test
digits in the MNIST classifier's feature space, the classifier score, the classes covered
(at least 1% of the samples), the class histogram and the recorded training time (``null``
where the cache keeps none). The first row is the floor: real training digits.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

import torch

from helpers.autoencoders import autoencoder_settings, decoded_samples, trained_mlp_autoencoder, trained_vae, vae_settings
from helpers.config import budget, budget_name, get_device
from helpers.data import mnist
from helpers.dcgan import trained_dcgan
from helpers.gan import bce_loss, least_squares_loss, sample, trained_mlp_gan, uniform_noise
from helpers.metrics import Measures, classify, measure, trained_classifier


def row(name: str, m: Measures, seconds: float | None) -> dict:
    return {"generator": name, "frechet": round(m.frechet, 3), "score": round(m.score, 3), "classes_covered": m.covered,
            "histogram": m.histogram.tolist(), "training_seconds": None if seconds is None else round(seconds, 1)}


def comparison(progress: bool = False) -> dict:
    """Build the comparison exactly as the chapter does and return it as a dict."""
    cfg, shared, device = budget("dcgan"), budget("lsgan"), get_device()
    start = time.perf_counter()
    judge = trained_classifier(epochs=shared.classifier_epochs, limit=shared.classifier_limit,
                               test_limit=shared.test_limit, device=device, progress=progress)
    mlp = trained_mlp_gan(bce_loss(), epochs=shared.gan_epochs, limit=shared.gan_limit, device=device, progress=progress)
    lsgan = trained_mlp_gan(least_squares_loss(), epochs=shared.gan_epochs, limit=shared.gan_limit, device=device,
                            progress=progress)
    dcgan = trained_dcgan(bce_loss(), epochs=cfg.epochs, seconds=mlp.history.seconds, batch_size=cfg.batch_size,
                          limit=cfg.limit, device=device, progress=progress)
    longer = trained_dcgan(bce_loss(), epochs=cfg.epochs, seconds=cfg.long_time_factor * mlp.history.seconds,
                           lr=cfg.long_lr, batch_size=cfg.batch_size, limit=cfg.limit, device=device, progress=progress)
    autoencoder = trained_mlp_autoencoder(autoencoder_settings(), device=device)
    vae = trained_vae(vae_settings(), device=device)

    test_images, _ = mnist(train=False, device=device, limit=shared.test_limit)
    train_images, _ = mnist(train=True, device=device)
    reference, _ = classify(judge.model, test_images[: cfg.n_samples])
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))[: cfg.n_samples]
    noise = uniform_noise(cfg.n_samples, 96, generator=torch.Generator().manual_seed(123))

    ae_images, vae_images = decoded_samples(autoencoder, vae, train_images[pick], cfg.n_samples,
                                            torch.Generator().manual_seed(7))

    rows = [
        row("real training digits (floor)", measure(judge.model, train_images[pick], reference), None),
        row("autoencoder, random codes", measure(judge.model, ae_images, reference), None),
        row("VAE, z ~ N(0, I)", measure(judge.model, vae_images, reference), None),
        row("MLP GAN", measure(judge.model, sample(mlp.generator, noise), reference), mlp.history.seconds),
        row("least-squares MLP GAN", measure(judge.model, sample(lsgan.generator, noise), reference),
            lsgan.history.seconds),
        row("DCGAN", measure(judge.model, sample(dcgan.generator, noise), reference), dcgan.history.seconds),
        row(f"DCGAN, lr {cfg.long_lr:g}, longer", measure(judge.model, sample(longer.generator, noise), reference),
            longer.history.seconds),
    ]
    return {"budget": budget_name(), "device": str(device), "torch": torch.__version__,
            "classifier_test_accuracy": judge.test_accuracy, "samples": cfg.n_samples,
            "dcgan_steps": dcgan.history.steps, "longer_dcgan_steps": longer.history.steps, "seconds_to_build": round(time.perf_counter() - start, 1),
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--progress", action="store_true", help="show progress bars for models trained now")
    args = parser.parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):  # training summaries go to stderr: stdout is the JSON alone
        table = comparison(progress=args.progress)
    text = json.dumps(table, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
