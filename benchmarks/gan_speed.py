"""Training speed of the book's GAN loop against the source tutorial's loop, in one
process.

    python benchmarks/gan_speed.py           # MLP GAN and DCGAN, on the best device
    python benchmarks/gan_speed.py --steps 100 --repeats 5 --json speed.json

Both loops train the same networks (the source's MLP GAN and DCGAN), on MNIST, with
batch 128, Adam(3e-4, betas (0.5, 0.999)) and the cross-entropy losses, for the same
number of steps. They differ only in what the book changed:

- the source loop reads batches through a ``DataLoader`` that applies ``ToTensor`` and
  ``Normalize`` to every sample; the book's keeps MNIST as one tensor on the device;
- the source's discriminator step scores fakes that are not detached, so its backward
  pass runs on through G; the book's detaches them;
- the source calls G a second time for the generator step; the book's reuses the fakes.

Both build their networks with the book's settings (``MLPGANSettings``,
``DCGANSettings``). Repeats alternate between the loops; the table gives the median
images per second. For DCGAN it also times the book's loop with channels-last memory
order, which ``DCGANSettings`` uses on CPUs and CUDA GPUs because of what this shows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from helpers.config import data_root, get_device
from helpers.data import BatchIterator, mnist
from helpers.dcgan import DCGANSettings
from helpers.gan import MLPGANSettings, bce_loss, train_gan, uniform_noise
from helpers.training import seeded

BATCH = 128
SETTINGS = {
    "mlp": MLPGANSettings(variant="source", batch_size=BATCH),
    "dcgan": DCGANSettings(batch_size=BATCH),
}
NOISE_DIM = SETTINGS["mlp"].noise_dim
assert all(s.noise_dim == NOISE_DIM for s in SETTINGS.values())


def build(model: str, device: torch.device) -> tuple[nn.Module, nn.Module]:
    """The networks of ``model`` as its settings build them (seed 0)."""
    with seeded(0):
        gan = SETTINGS[model].build()
    return gan.generator.to(device), gan.discriminator.to(device)


def optimisers(generator: nn.Module, discriminator: nn.Module):
    return (
        torch.optim.Adam(generator.parameters(), lr=3e-4, betas=(0.5, 0.999)),
        torch.optim.Adam(discriminator.parameters(), lr=3e-4, betas=(0.5, 0.999)),
    )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def source_loop(model: str, device: torch.device, steps: int, warmup: int) -> float:
    """The tutorial's loop, as written (modernised only where the old API is gone)."""
    from torch.utils.data import DataLoader
    from torchvision import transforms
    from torchvision.datasets import MNIST

    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
    )
    loader = DataLoader(
        MNIST(str(data_root()), train=True, transform=transform),
        batch_size=BATCH,
        shuffle=True,
    )
    generator, discriminator = build(model, device)
    opt_g, opt_d = optimisers(generator, discriminator)
    bce = nn.BCEWithLogitsLoss()
    done, start = 0, None
    while done < steps + warmup:
        for x, _ in loader:
            if done == warmup:
                sync(device)
                start = time.perf_counter()
            bs = x.shape[0]
            real = (x.view(bs, -1) if model == "mlp" else x).to(device)
            logits_real = discriminator(real)
            noise = (torch.rand(bs, NOISE_DIM) - 0.5) / 0.5
            fake = generator(noise.to(device))
            # Not detached: the backward pass runs on through G too.
            logits_fake = discriminator(fake)
            d_loss = bce(logits_real, torch.ones(bs, 1, device=device)) + bce(
                logits_fake, torch.zeros(bs, 1, device=device)
            )
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            fake = generator(noise.to(device))  # G called a second time
            g_loss = bce(discriminator(fake), torch.ones(bs, 1, device=device))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            # The source prints losses from time to time; reading one syncs.
            g_loss.item()
            done += 1
            if done == steps + warmup:
                break
    sync(device)
    return steps * BATCH / (time.perf_counter() - start)


def book_loop(
    model: str,
    device: torch.device,
    steps: int,
    warmup: int,
    images: torch.Tensor,
    channels_last: bool = False,
) -> float:
    """The book's loop: helpers.gan.train_gan over an in-memory BatchIterator.

    ``channels_last`` stores the DCGAN's weights and images in channels-last memory
    order, as ``DCGANSettings`` does on CPUs and CUDA GPUs.
    """
    generator, discriminator = build(model, device)
    if channels_last:
        generator, discriminator = (
            m.to(memory_format=torch.channels_last) for m in (generator, discriminator)
        )
        images = images.contiguous(memory_format=torch.channels_last)
    opt_g, opt_d = optimisers(generator, discriminator)
    batches = BatchIterator(images, batch_size=BATCH, drop_last=True, seed=0)
    noise = lambda n: uniform_noise(n, NOISE_DIM, device)  # noqa: E731
    train_gan(
        generator,
        discriminator,
        bce_loss(),
        opt_g,
        opt_d,
        batches,
        epochs=1,
        noise=noise,
        max_steps=warmup,
        progress=False,
    )
    sync(device)
    history = train_gan(
        generator,
        discriminator,
        bce_loss(),
        opt_g,
        opt_d,
        batches,
        epochs=10**6,
        noise=noise,
        max_steps=steps,
        progress=False,
    )
    sync(device)
    return steps * BATCH / history.seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models", nargs="+", choices=["mlp", "dcgan"], default=["mlp", "dcgan"]
    )
    parser.add_argument("--steps", type=int, default=100, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--device", default=None, help="cpu, cuda or mps (default: the best there is)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    device = get_device(args.device)
    images = mnist(train=True, scale="tanh", device=device)[0]
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"{device.type}, {torch.get_num_threads()} threads"
    )
    print(
        f"device: {name} | torch {torch.__version__} | batch {BATCH} | "
        f"{args.steps} steps x {args.repeats} repeats"
    )
    rows = []
    for model in args.models:
        source, book, channels_last = [], [], []
        for _ in range(args.repeats):
            source.append(source_loop(model, device, args.steps, args.warmup))
            book.append(book_loop(model, device, args.steps, args.warmup, images))
            # Convolutions only: the MLP has no memory order to change.
            if model == "dcgan":
                channels_last.append(
                    book_loop(model, device, args.steps, args.warmup, images, True)
                )
        row = {
            "model": model,
            "device": name,
            "source_images_per_s": round(statistics.median(source)),
            "book_images_per_s": round(statistics.median(book)),
            "speedup": round(statistics.median(book) / statistics.median(source), 2),
            "book_channels_last_images_per_s": round(statistics.median(channels_last))
            if channels_last
            else None,
        }
        rows.append(row)
    print(
        "| model | device | source loop (images/s) | book loop (images/s) | speed-up "
        "| book loop, channels-last |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['model']} | {r['device']} | {r['source_images_per_s']} "
            f"| {r['book_images_per_s']} | {r['speedup']}x "
            f"| {r['book_channels_last_images_per_s'] or '-'} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
