"""Diagrams: the book's ideas drawn as pictures by the code beside them.

One function a diagram, each returning a matplotlib ``Figure`` that a chapter shows in
a cell (its input hidden on the page). The figures have a white background and dark
ink, so they read the same in the site's light and dark themes. The primitives come
first (``canvas``, ``box``, ``arrow``), then the diagrams in the book's order.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

INK = "#222222"
# Fills by role, pale enough for dark ink on them.
FILLS = {
    "data": "#cfe0f3",  # real data and its samples
    "model": "#fbd9bf",  # networks: encoders, decoders, generators, discriminators
    "code": "#e1d9f0",  # codes, latent vectors, noise
    "loss": "#d3ecd5",  # losses and scores
    "plain": "#f2f2f2",  # anything else
}


def canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A blank white figure ``width`` by ``height`` inches whose axes are in inches."""
    fig, ax = plt.subplots(figsize=(width, height))
    fig.patch.set_facecolor("white")
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.subplots_adjust(0, 0, 1, 1)
    return fig, ax


def box(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    width: float = 1.6,
    height: float = 0.7,
    role: str = "plain",
    fontsize: float = 10,
) -> FancyBboxPatch:
    """A rounded box centred on ``(x, y)`` holding ``text``, filled by its ``role``
    (a key of ``FILLS``)."""
    if role not in FILLS:
        raise ValueError(f"role={role!r} is not allowed; allowed: {', '.join(FILLS)}")
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.02,rounding_size=0.1",
        facecolor=FILLS[role],
        edgecolor=INK,
        linewidth=1.2,
    )
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=INK)
    return patch


def arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    text: str = "",
    curve: float = 0.0,
    dashed: bool = False,
    fontsize: float = 9,
) -> FancyArrowPatch:
    """An arrow from ``start`` to ``end`` (bent by ``curve``), labelled mid-way."""
    patch = FancyArrowPatch(
        start,
        end,
        arrowstyle="-|>",
        mutation_scale=12,
        color=INK,
        linewidth=1.2,
        linestyle="--" if dashed else "-",
        connectionstyle=f"arc3,rad={curve}",
        shrinkA=2,
        shrinkB=2,
    )
    ax.add_patch(patch)
    if text:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.annotate(
            text,
            middle,
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=fontsize,
            color=INK,
        )
    return patch


# ------------------------------------------------------ chapter 1: generative models

# ---------------------------------------------------------- chapter 2: autoencoders

# ------------------------------------------------------------------- chapter 3: VAE

# ------------------------------------------------------- chapter 4: GAN mathematics


def gan_game() -> Figure:
    """The GAN's two-player loop.

    Noise goes through G to fakes; fakes and real data go through D to the probability
    of "real"; D maximises V and G minimises it (in practice the non-saturating
    loss); G's gradient comes back to it through D.
    """
    fig, ax = canvas(10.0, 4.9)
    box(ax, 1.0, 3.5, "noise\n$z \\sim p_z$", width=1.4, height=0.8, role="code")
    box(ax, 3.2, 3.5, "generator\n$G$", width=1.4, height=0.8, role="model")
    box(ax, 5.5, 3.5, "fake\n$\\tilde x = G(z)$", width=1.6, height=0.8)
    box(
        ax,
        5.5,
        1.5,
        "real\n$x \\sim p_\\mathrm{data}$",
        width=1.6,
        height=0.8,
        role="data",
    )
    box(ax, 7.5, 2.5, "discriminator\n$D$", width=1.6, height=0.8, role="model")
    box(
        ax,
        8.95,
        1.1,
        "$D(x) = \\sigma(s(x))$\nin $(0, 1)$",
        width=1.9,
        height=0.8,
        role="loss",
    )
    arrow(ax, (1.7, 3.5), (2.5, 3.5))
    arrow(ax, (3.9, 3.5), (4.7, 3.5))
    arrow(ax, (6.3, 3.3), (6.9, 2.9))
    arrow(ax, (6.3, 1.7), (6.9, 2.1))
    arrow(ax, (8.0, 2.1), (8.6, 1.5))
    box(
        ax,
        2.0,
        1.75,
        "$D$ maximises\n"
        "$V = \\mathbb{E}\\,\\log D(x) + \\mathbb{E}\\,\\log(1 - D(\\tilde x))$",
        width=3.7,
        height=0.8,
        role="loss",
    )
    box(
        ax,
        2.0,
        0.6,
        "$G$ minimises $V$; in practice\n"
        "the non-saturating $-\\mathbb{E}\\,\\log D(G(z))$",
        width=3.7,
        height=0.8,
        role="loss",
    )
    # the gradient of G's loss: back from the output, through D, into G
    arrow(ax, (9.3, 1.5), (8.3, 2.55), dashed=True)
    arrow(ax, (7.6, 2.9), (3.4, 3.9), curve=0.4, dashed=True)
    ax.text(
        5.5,
        4.45,
        "$G$'s gradient flows back through $D$",
        ha="center",
        fontsize=9,
        color=INK,
    )
    return fig


# -------------------------------------------------------------- chapter 5: toy GAN


def toy_gan_setup() -> Figure:
    """The toy GAN of chapter 5.

    A linear generator G(z) = zM + c (2 -> 2) of Gaussian noise against real points
    x = xi A + b, the same affine form with fixed A and b; the discriminator is a small
    MLP that returns the logit s(x), with D(x) = sigmoid(s(x)).
    """
    fig, ax = canvas(10.0, 3.4)
    box(ax, 1.0, 2.6, "$z \\sim \\mathcal{N}(0, I_2)$", width=1.6, role="code")
    box(
        ax,
        3.6,
        2.6,
        "generator: $G(z) = zM + c$\naffine $2 \\to 2$; $M$, $c$ learned",
        width=2.9,
        height=0.8,
        role="model",
    )
    box(ax, 1.0, 0.8, "$\\xi \\sim \\mathcal{N}(0, I_2)$", width=1.6, role="code")
    box(
        ax,
        3.6,
        0.8,
        "real data: $x = \\xi A + b$\n$A$, $b$ fixed",
        width=2.7,
        height=0.8,
        role="data",
    )
    box(
        ax,
        6.6,
        1.7,
        "discriminator: MLP\n$2 \\to 5 \\to 3 \\to 1$, tanh",
        width=2.3,
        height=0.8,
        role="model",
    )
    box(
        ax,
        9.0,
        1.7,
        "logit $s(x)$\n$D = \\sigma(s)$",
        width=1.5,
        height=0.8,
        role="loss",
    )
    arrow(ax, (1.8, 2.6), (2.25, 2.6))
    arrow(ax, (1.8, 0.8), (2.25, 0.8))
    arrow(ax, (4.95, 2.45), (5.45, 2.0))
    arrow(ax, (4.95, 0.95), (5.45, 1.4))
    arrow(ax, (7.75, 1.7), (8.25, 1.7))
    return fig


# ------------------------------------------------------------ chapter 6: MNIST GAN

# ------------------------------------------------------ chapter 7: least squares GAN

# ---------------------------------------------------------------- chapter 8: DCGAN

# ------------------------------------------------------------ chapter 9: LSTM text
