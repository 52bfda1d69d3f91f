"""Building blocks every model family shares: MLP stacks, initialisation, shape tracing,
parameter counts and an eval-mode context manager.

Nothing here belongs to one chapter: the autoencoders, the GANs and the classifier all
build on these, so no chapter's module has to import another chapter's for a utility.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from .config import check_range


def mlp(
    sizes: Sequence[int],
    negative_slope: float = 0.0,
    dropout: float = 0.0,
    last: nn.Module | None = None,
) -> nn.Sequential:
    """Linear layers of ``sizes``; each hidden one followed by (Leaky)ReLU and dropout.

    ``negative_slope=0`` uses ReLU, else LeakyReLU with that slope; ``dropout > 0`` adds
    ``Dropout`` after each hidden activation; ``last`` (e.g. ``nn.Tanh()``) ends the
    stack.
    """
    if len(sizes) < 2 or any(size < 1 for size in sizes):
        raise ValueError(f"sizes={tuple(sizes)} must be two or more positive widths")
    check_range("negative_slope", negative_slope, 0, 1, high_open=True)
    check_range("dropout", dropout, 0, 1, high_open=True)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            activation = (
                nn.LeakyReLU(negative_slope) if negative_slope > 0 else nn.ReLU()
            )
            layers.append(activation)
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


def dcgan_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """DCGAN's initialisation, in place: conv and linear weights ~ N(0, std²), biases 0,
    BatchNorm scales ~ N(1, std²) (the PyTorch DCGAN tutorial's choice), shifts 0."""
    if std <= 0:
        raise ValueError(f"std={std} must be positive")
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(layer.weight, 1.0, std)
            nn.init.zeros_(layer.bias)
    return module


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode (no dropout, BatchNorm's running statistics) inside the block; the
    model's previous mode, train or eval, comes back afterwards, even after an error."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@torch.no_grad()
def trace_shapes(model: nn.Module, x: Tensor) -> list[tuple[str, str, tuple[int, ...]]]:
    """Run ``x`` through ``model`` (eval mode) and list ``(name, layer, output shape)``
    for every leaf layer, in the order they ran."""
    rows: list[tuple[str, str, tuple[int, ...]]] = []

    def record(name: str):
        def hook(layer: nn.Module, _: object, out: Tensor) -> None:
            rows.append((name, type(layer).__name__, tuple(out.shape)))

        return hook

    hooks = [
        layer.register_forward_hook(record(name))
        for name, layer in model.named_modules()
        if not list(layer.children())
    ]
    try:
        with evaluating(model):
            model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return rows


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model`` (a shared tensor counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def device_of(model: nn.Module) -> torch.device:
    """The device ``model``'s parameters live on (the CPU for a model without any)."""
    return next(model.parameters(), torch.empty(0)).device
