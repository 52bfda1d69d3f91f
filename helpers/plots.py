"""Figures the chapters share: image grids and loss curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """Tile ``(N, C, H, W)`` images in [-1, 1] or [0, 1] into one ``(H', W', C)`` array in [0, 1]."""
    from torchvision.utils import make_grid

    if images.dim() != 4:
        raise ValueError(f"images must have shape (N, C, H, W); got {tuple(images.shape)}")
    images = images.detach().float().cpu()
    if images.min() < 0:  # tanh range: map [-1, 1] to [0, 1]
        images = (images + 1) / 2
    grid = make_grid(images.clamp(0, 1), nrow=nrow, padding=padding, pad_value=1.0)
    return grid.permute(1, 2, 0).numpy()


def show_images(
    images: torch.Tensor,
    nrow: int = 8,
    title: str | None = None,
    labels: Sequence[int] | torch.Tensor | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Show images as a grid; ``labels`` (one per image) are written in each cell's corner."""
    ax = ax or plt.figure(figsize=(nrow * 0.8, max(1, -(-len(images) // nrow)) * 0.8)).gca()
    padding = 2
    ax.imshow(image_grid(images, nrow=nrow, padding=padding), cmap="gray", interpolation="nearest")
    if labels is not None:
        height, width = images.shape[-2:]
        for i, label in enumerate(torch.as_tensor(labels).tolist()):
            row, col = divmod(i, nrow)
            ax.text(
                col * (width + padding) + padding + 1, row * (height + padding) + padding + 1,
                str(label), color="tab:orange", fontsize=8, va="top", ha="left", weight="bold",
            )
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_losses(
    losses: Mapping[str, Sequence[float]],
    ax: plt.Axes | None = None,
    smooth: int = 1,
    xlabel: str = "step",
    title: str | None = None,
) -> plt.Axes:
    """Plot each named loss curve; ``smooth`` > 1 draws a moving average over that many points."""
    if smooth < 1:
        raise ValueError(f"smooth={smooth} must be at least 1")
    ax = ax or plt.figure(figsize=(6, 3.5)).gca()
    for name, values in losses.items():
        values = np.asarray(values, dtype=float)
        if smooth > 1 and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
        ax.plot(np.arange(len(values)) + (smooth - 1 if len(values) else 0), values, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax
