"""Figures and tables the chapters share: image grids, loss curves, code scatters,
Markdown tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """Tile ``(N, C, H, W)`` images in [-1, 1] or [0, 1] into one ``(H', W', C)`` array.

    The array's values are in [0, 1].
    """
    from torchvision.utils import make_grid

    if images.dim() != 4:
        raise ValueError(
            f"images must have shape (N, C, H, W); got {tuple(images.shape)}"
        )
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
    """Show images as a grid; ``labels`` (one per image) go in each cell's corner."""
    if ax is None:
        rows = max(1, -(-len(images) // nrow))
        ax = plt.figure(figsize=(nrow * 0.8, rows * 0.8)).gca()
    padding = 2
    ax.imshow(
        image_grid(images, nrow=nrow, padding=padding),
        cmap="gray",
        interpolation="nearest",
    )
    if labels is not None:
        height, width = images.shape[-2:]
        for i, label in enumerate(torch.as_tensor(labels).tolist()):
            row, col = divmod(i, nrow)
            ax.text(
                col * (width + padding) + padding + 1,
                row * (height + padding) + padding + 1,
                str(label),
                color="tab:orange",
                fontsize=8,
                va="top",
                ha="left",
                weight="bold",
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
    """Plot each named loss curve; ``smooth`` > 1 draws a moving average that wide."""
    if smooth < 1:
        raise ValueError(f"smooth={smooth} must be at least 1")
    ax = ax or plt.figure(figsize=(6, 3.5)).gca()
    for name, values in losses.items():
        values = np.asarray(values, dtype=float)
        if smooth > 1 and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
        ax.plot(
            np.arange(len(values)) + (smooth - 1 if len(values) else 0),
            values,
            label=name,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def plot_codes_3d(
    codes: Tensor, labels: Tensor, title: str = "3-d codes of the test digits"
) -> plt.Figure:
    """Scatter 3-d codes in 3-D, coloured by digit."""
    if codes.shape[1] != 3:
        raise ValueError(f"codes must have 3 columns; got {codes.shape[1]}")
    codes, labels = codes.cpu().numpy(), labels.cpu().numpy()
    fig = plt.figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot(projection="3d")
    points = ax.scatter(
        *codes.T, c=labels, cmap="tab10", s=2, alpha=0.6, vmin=-0.5, vmax=9.5
    )
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit", shrink=0.7)
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.set_zlabel("code 3")
    ax.set_title(title)
    return fig


def plot_codes_2d(
    codes: Tensor, labels: Tensor, ax: plt.Axes | None = None, title: str | None = None
) -> plt.Axes:
    """Scatter 2-d codes, coloured by digit."""
    if codes.shape[1] != 2:
        raise ValueError(f"codes must have 2 columns; got {codes.shape[1]}")
    ax = ax or plt.figure(figsize=(5.5, 5)).gca()
    codes, labels = codes.cpu().numpy(), labels.cpu().numpy()
    points = ax.scatter(
        *codes.T, c=labels, cmap="tab10", s=2, alpha=0.6, vmin=-0.5, vmax=9.5
    )
    plt.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (floats to 4 significant digits, integers with thousands
    separators), to show with ``IPython.display.Markdown``."""
    if any(len(row) != len(headers) for row in rows):
        raise ValueError(f"rows must have {len(headers)} cells each, like headers")

    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return f"{value:,}" if isinstance(value, int) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
