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

# ------------------------------------------------------ chapter 7: least squares GAN

# ---------------------------------------------------------------- chapter 8: DCGAN
# What each stage of chapter 8's networks does and the shape it leaves (one example, no
# batch dimension); tests/test_dcgan.py checks the shapes against helpers.dcgan.
DCGAN_GENERATOR_STAGES = (
    ("noise z, uniform in [−1, 1]", (96,)),
    ("linear, ReLU, BatchNorm", (1024,)),
    ("linear, ReLU, BatchNorm", (6272,)),
    ("reshape", (128, 7, 7)),
    ("transposed conv 4×4, stride 2, ReLU, BatchNorm", (64, 14, 14)),
    ("transposed conv 4×4, stride 2, tanh", (1, 28, 28)),
)
DCGAN_DISCRIMINATOR_STAGES = (
    ("image, real or G(z)", (1, 28, 28)),
    ("conv 5×5, LeakyReLU", (32, 24, 24)),
    ("max-pool 2×2", (32, 12, 12)),
    ("conv 5×5, LeakyReLU", (64, 8, 8)),
    ("max-pool 2×2", (64, 4, 4)),
    ("flatten; linear, LeakyReLU", (1024,)),
    ("linear: the logit s(x)", (1,)),
)


def _shape_text(shape: tuple[int, ...]) -> str:
    return " × ".join(str(n) for n in shape)


def dcgan_shapes() -> Figure:
    """Chapter 8's DCGAN stage by stage with the tensor shape after each stage: G from
    the noise down to a 1×28×28 image, D from an image up to its logit s(x)."""
    rows = max(len(DCGAN_GENERATOR_STAGES), len(DCGAN_DISCRIMINATOR_STAGES))
    step, width, height = 0.86, 3.5, 0.64
    fig, ax = canvas(8.6, rows * step + 0.9)
    top = rows * step - 0.3  # the centre of the highest box
    g_x, d_x = 2.05, 6.55
    ax.text(g_x, top + 0.8, "generator G", ha="center", fontsize=12, color=INK)
    ax.text(d_x, top + 0.8, "discriminator D", ha="center", fontsize=12, color=INK)
    # G runs down the page from its noise; D, mirrored, up the page to its logit.
    g_ys = [top - i * step for i in range(len(DCGAN_GENERATOR_STAGES))]
    d_ys = [top - i * step for i in range(len(DCGAN_DISCRIMINATOR_STAGES))][::-1]
    for x, stages, ys, roles in (
        (g_x, DCGAN_GENERATOR_STAGES, g_ys, ("code", "data")),
        (d_x, DCGAN_DISCRIMINATOR_STAGES, d_ys, ("data", "loss")),
    ):
        for i, ((what, shape), y) in enumerate(zip(stages, ys)):
            role = {0: roles[0], len(stages) - 1: roles[1]}.get(i, "model")
            box(ax, x, y, f"{what}\n{_shape_text(shape)}", width, height, role, 9)
            if i:
                sign = 1 if ys[i] > ys[i - 1] else -1
                arrow(
                    ax, (x, ys[i - 1] + sign * height / 2), (x, y - sign * height / 2)
                )
    arrow(ax, (g_x + width / 2, g_ys[-1]), (d_x - width / 2, d_ys[0]), "G(z)")
    return fig


# ------------------------------------------------------------ chapter 9: LSTM text


def lstm_tbptt(seq_len: int = 3) -> Figure:
    """Chapter 9's truncated backpropagation through time: the LSTM unrolled over two
    chunks of ``seq_len`` steps. The state (h, c) flows on from chunk to chunk but is
    detached at the boundary, so each chunk's gradients stay inside it."""
    gap, pitch, cell_w, cell_h = 1.7, 1.55, 0.95, 0.7
    fig, ax = canvas(2 * seq_len * pitch + gap + 0.9, 4.9)
    y_in, y_cell, y_loss = 0.75, 2.15, 3.55

    def label(x: float, y: float, text: str, size: float = 9) -> None:
        ax.text(x, y, text, ha="center", va="center", fontsize=size, color=INK)

    boundary_start = 0.0
    for chunk in range(2):
        left = 1.1 + chunk * (seq_len * pitch + gap)
        xs = [left + k * pitch for k in range(seq_len)]
        ax.add_patch(
            FancyBboxPatch(
                (xs[0] - 0.7, 0.25),
                xs[-1] - xs[0] + 1.4,
                3.95,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                facecolor=FILLS["plain"],
                edgecolor=INK,
                linewidth=0.8,
                linestyle=":",
            )
        )
        label(
            (xs[0] + xs[-1]) / 2,
            4.5,
            f"chunk {chunk + 1}: seq_len = {seq_len} steps",
            10,
        )
        for k, x in enumerate(xs):
            t = chunk * seq_len + k + 1
            box(ax, x, y_in, f"$x_{{{t}}}$", 0.8, 0.5, "data")
            box(ax, x, y_cell, "LSTM", cell_w, cell_h, "model")
            box(ax, x, y_loss, f"loss vs $x_{{{t + 1}}}$", 1.25, 0.5, "loss", 9)
            arrow(ax, (x, y_in + 0.25), (x, y_cell - cell_h / 2))
            arrow(ax, (x, y_cell + cell_h / 2), (x, y_loss - 0.25))
            if k:
                a, b = xs[k - 1] + cell_w / 2, x - cell_w / 2
                arrow(ax, (a, y_cell + 0.15), (b, y_cell + 0.15), "(h, c)")
                # Gradients run back along the same link, inside the chunk only.
                arrow(ax, (b, y_cell - 0.15), (a, y_cell - 0.15), dashed=True)
                label((a + b) / 2, y_cell - 0.4, "gradient", 8.5)
        if chunk == 0:
            boundary_start = xs[-1] + cell_w / 2
        else:
            end = xs[0] - cell_w / 2
            arrow(ax, (boundary_start, y_cell + 0.15), (end, y_cell + 0.15))
            middle = (boundary_start + end) / 2
            label(middle, y_cell + 0.55, "(h, c).detach():\nthe values go on")
            label(middle, y_cell - 0.55, "no gradient\ncrosses back")
    return fig
