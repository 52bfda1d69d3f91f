"""The book's comparison of generators, as JSON: the table of chapter 8
(book/08_dcgan), to track.

    GANBOOK_BUDGET=full python benchmarks/compare_generators.py            # print JSON
    GANBOOK_BUDGET=full python benchmarks/compare_generators.py --out table.json

Every model comes from the cache when the chapters have run with the same budget (else
it is trained now, with the chapters' settings, through ``trained``). Each row holds the
Fréchet distance to real test digits in the MNIST classifier's feature space, the
classifier score, the classes covered (at least 1% of the samples), the class histogram,
the training steps and the recorded training time. The first row is the floor: real
training digits. The DCGANs' steps follow from the MLP GAN's FLOPs, as in the chapter
(``helpers.dcgan.book_dcgans``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

import torch

from helpers.autoencoders import book_autoencoder
from helpers.cache import Trained, trained
from helpers.config import budget, budget_name, get_device
from helpers.data import mnist
from helpers.dcgan import book_dcgans
from helpers.gan import book_mlp_gan, sample, step_flops, uniform_noise
from helpers.metrics import Measures, classify, judge_settings, measure, test_accuracy
from helpers.vae import book_vae, decoded_samples


def row(name: str, m: Measures, run: Trained | None) -> dict:
    return {
        "generator": name,
        "frechet": round(m.frechet, 3),
        "score": round(m.score, 3),
        "classes_covered": m.covered,
        "histogram": m.histogram.tolist(),
        "training_steps": None if run is None else run.history.steps,
        "training_seconds": None if run is None else round(run.history.seconds, 1),
    }


def comparison(progress: bool = False) -> dict:
    """Build the comparison exactly as the chapter does and return it as a dict."""
    cfg, device = budget("dcgan"), get_device()
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

    def of_generator(run: Trained) -> Measures:
        return measure(classifier, sample(run.model.generator, noise), reference)

    rows = [
        row(
            "real training digits (floor)",
            measure(classifier, train_images[pick], reference),
            None,
        ),
        row(
            "autoencoder, random codes",
            measure(classifier, ae_images, reference),
            autoencoder,
        ),
        row("VAE, z ~ N(0, I)", measure(classifier, vae_images, reference), vae),
        row("MLP GAN", of_generator(mlp), mlp),
        row("least-squares MLP GAN", of_generator(lsgan), lsgan),
        row("DCGAN", of_generator(dcgans["tutorial"]), dcgans["tutorial"]),
        row("paper's DCGAN", of_generator(dcgans["paper"]), dcgans["paper"]),
        row(
            f"DCGAN target run, lr {cfg.target_lr:g}",
            of_generator(dcgans["target"]),
            dcgans["target"],
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument(
        "--progress",
        action="store_true",
        help="show progress bars for models trained now",
    )
    args = parser.parse_args(argv)
    # Training summaries go to stderr: stdout is the JSON alone.
    with contextlib.redirect_stdout(sys.stderr):
        table = comparison(progress=args.progress)
    text = json.dumps(table, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
