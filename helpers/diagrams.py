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

# -------------------------------------------------------------- chapter 5: toy GAN

# ------------------------------------------------------------ chapter 6: MNIST GAN


def mlp_gan() -> Figure:
    """Chapter 6's fully connected GAN and its training step.

    Top: 96 uniform noise numbers through G's layers to a 28 x 28 image; real and
    generated images through D's layers to one logit s(x), with D(x) = σ(s(x)). Bottom:
    one step of ``make_gan_step``: G runs once, D learns from the real batch and the
    detached fakes, then G learns from the same fakes scored by the updated D.
    """
    fig, ax = canvas(10.5, 5.1)
    top = 3.4
    box(ax, 0.85, top, "noise z\n96 numbers,\nuniform in [-1, 1]", 1.5, 1.0, "code")
    generator = (
        "generator G\nLinear 96 → 1024, ReLU\nLinear 1024 → 1024, ReLU\n"
        "Linear 1024 → 784, tanh\nreshape to 1 × 28 × 28"
    )
    box(ax, 3.05, top, generator, 2.5, 1.45, "model", fontsize=9.5)
    box(ax, 5.35, top, "fake image\nG(z), 28 × 28\npixels in [-1, 1]", 1.45, 1.0)
    box(ax, 5.35, 4.75, "real digit x\nscaled to [-1, 1]", 1.45, 0.65, "data")
    discriminator = (
        "discriminator D\nflatten to 784\nLinear 784 → 256, LeakyReLU 0.2\n"
        "Linear 256 → 256, LeakyReLU 0.2\nLinear 256 → 1"
    )
    box(ax, 7.65, top, discriminator, 2.6, 1.45, "model", fontsize=9.5)
    box(ax, 9.85, top, "logit s(x)\n\nD(x) = σ(s(x))", 1.1, 1.0, "loss", fontsize=9)
    arrow(ax, (1.6, top), (1.8, top))
    arrow(ax, (4.3, top), (4.62, top))
    arrow(ax, (6.08, top), (6.35, top))
    arrow(ax, (6.08, 4.75), (7.0, top + 0.73))
    arrow(ax, (8.95, top), (9.3, top))

    title = "one training step (make_gan_step), on a batch of real digits"
    ax.text(0.2, 2.2, title, fontsize=11, color=INK, weight="bold")
    y, height = 1.0, 1.35
    box(ax, 1.3, y, "1. fake = G(z)\nG runs once, on\nfresh noise", 2.2, height, "code")
    d_step = (
        "2. D's step\nL_D(s(real), s(fake.detach()))\n"
        "its backward pass stops at the fakes\nAdam updates D"
    )
    box(ax, 4.7, y, d_step, 3.2, height, "loss", fontsize=9.5)
    g_step = (
        "3. G's step, on the same fakes\nL_G(s(fake)), scored by the new D\n"
        "its backward pass runs through D into G\nAdam updates G"
    )
    box(ax, 8.6, y, g_step, 3.2, height, "loss", fontsize=9.5)
    arrow(ax, (2.4, y), (3.1, y), "fake")
    arrow(ax, (6.3, y), (7.0, y), "fake")
    return fig


# ------------------------------------------------------ chapter 7: least squares GAN


def least_squares_targets() -> Figure:
    """Chapter 7's losses as curves of the discriminator's score s (its logit).

    Left, D's penalties: the cross-entropy ones on σ(s) and the least-squares ones
    pulling real scores to b and fake scores to a. Right, G's penalty on a fake: the
    non-saturating -log σ(s), whose pull fades as D(G(z)) = σ(s) → 1, and the
    least-squares ½(s - c)², which pulls the score to c from either side. Labels as
    in the book's code: a = 0, b = c = 1.
    """
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    a, b, c = 0.0, 1.0, 1.0
    s = np.linspace(-3, 4, 281)
    minus_log_d = np.logaddexp(0, -s)  # -log σ(s)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.4), sharey=True)
    fig.patch.set_facecolor("white")
    real, fake = "#1f4e99", "#b3401a"
    curves = [
        (left, minus_log_d, real, "-", "cross-entropy, real: -log σ(s)"),
        (left, np.logaddexp(0, s), fake, "-", "cross-entropy, fake: -log(1 - σ(s))"),
        (left, 0.5 * (s - b) ** 2, real, "--", "least squares, real: ½(s - b)²"),
        (left, 0.5 * (s - a) ** 2, fake, "--", "least squares, fake: ½(s - a)²"),
        (
            right,
            minus_log_d,
            INK,
            "-",
            "non-saturating -log σ(s): slope -(1 - D),\n-½ at s = 0, fading as D → 1",
        ),
        (
            right,
            0.5 * (s - c) ** 2,
            INK,
            "--",
            "least squares ½(s - c)²: slope s - c, pulls the\n"
            "score to c from either side, even past the boundary",
        ),
    ]
    for ax, values, colour, style, label in curves:
        ax.plot(s, values, style, color=colour, lw=2, label=label)
    real_side = Patch(
        color=FILLS["data"], label="least squares' real side, s > (a + b)/2"
    )
    boundary = Line2D(
        [],
        [],
        color=INK,
        lw=0.8,
        ls=":",
        label="cross-entropy's boundary, s = 0 (D = ½)",
    )
    for ax in (left, right):
        ax.set_facecolor("white")
        ax.set_xlim(s[0], s[-1])
        ax.set_ylim(0, 3.6)
        ax.set_xlabel("D's score s (its logit); D = σ(s)", color=INK)
        ax.tick_params(colors=INK)
        ax.grid(alpha=0.25)
        ax.axvspan((a + b) / 2, s[-1], color=FILLS["data"], alpha=0.6, lw=0)
    right.axvline(0, color=INK, lw=0.8, ls=":")
    left.set_ylabel("penalty", color=INK)
    left.set_title("D's losses: where a real and a fake score are pulled", color=INK)
    right.set_title("G's loss on a fake scored s", color=INK)
    marks = [(left, a, "a = 0: fake label"), (left, b, "b = 1: real label")]
    marks.append((right, c, "c = 1: what G wants"))
    for ax, x, text in marks:
        ax.axvline(x, color=INK, lw=1)
        ax.text(
            x,
            3.45,
            text,
            color=INK,
            fontsize=9,
            va="top",
            ha="right" if x == a and ax is left else "left",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
        )
    for ax, extra in ((left, [real_side]), (right, [real_side, boundary])):
        handles = ax.get_legend_handles_labels()[0] + extra
        legend = ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            fontsize=8.5,
            frameon=False,
        )
        for text in legend.get_texts():
            text.set_color(INK)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- chapter 8: DCGAN

# ------------------------------------------------------------ chapter 9: LSTM text
