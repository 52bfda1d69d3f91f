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


def generative_vs_discriminative() -> Figure:
    """Chapter 1: the same labelled points seen two ways. A discriminative model,
    p(y | x), draws a boundary between the classes; a generative model, p(x | y) (or
    p(x)), models where each class lies and can sample new points from it."""
    import numpy as np
    from matplotlib.patches import Ellipse

    rng = np.random.default_rng(3)
    centres = {"o": np.array([1.35, 1.55]), "^": np.array([2.7, 2.45])}
    colours = {"o": "#2f6db3", "^": "#c0562b"}
    spread = np.array([[0.36, 0.14], [0.0, 0.2]])  # both classes: cov = spread' spread
    points = {m: rng.standard_normal((14, 2)) @ spread + c for m, c in centres.items()}
    new = rng.standard_normal((4, 2)) @ spread + centres["^"]
    variances, axes = np.linalg.eigh(spread.T @ spread)
    angle = np.degrees(np.arctan2(axes[1, 1], axes[0, 1]))

    fig, ax = canvas(9.0, 4.2)
    panels = [
        (
            0.2,
            r"discriminative: $p(y \mid x)$",
            "a boundary between the classes;\nit says which side an $x$ is on",
        ),
        (
            4.8,
            r"generative: $p(x \mid y)$, or $p(x)$",
            "where the data lies;\nnew $x$ can be sampled from it",
        ),
    ]
    for left, title, note in panels:
        box(ax, left + 2.0, 2.05, "", width=4.0, height=2.9)
        ax.text(
            left + 2.0, 3.85, title, ha="center", va="center", fontsize=12, color=INK
        )
        ax.text(
            left + 2.0, 0.22, note, ha="center", va="center", fontsize=10, color=INK
        )
        for marker, xy in points.items():
            ax.scatter(
                xy[:, 0] + left,
                xy[:, 1],
                marker=marker,
                s=28,
                color=colours[marker],
                edgecolors=INK,
                linewidths=0.5,
                zorder=3,
            )
    # Left: the line where both labels are equally likely.
    ax.plot([0.2 + 1.25, 0.2 + 2.85], [3.3, 0.8], color=INK, lw=1.6)
    ax.text(
        0.2 + 2.95,
        0.95,
        r"$p(y \mid x) = \frac{1}{2}$",
        fontsize=10,
        color=INK,
        va="center",
    )
    # Right: each class's density as contours, and new points drawn from one class.
    for marker, centre in centres.items():
        for k in (1, 2, 3):
            ax.add_patch(
                Ellipse(
                    centre + (4.8, 0),
                    2 * k * np.sqrt(variances[1]),
                    2 * k * np.sqrt(variances[0]),
                    angle=angle,
                    fill=False,
                    edgecolor=colours[marker],
                    lw=1.0,
                )
            )
    for xy in [new + (4.8, 0), np.array([[4.8 + 3.3, 1.05]])]:
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            marker="*",
            s=150,
            color="white",
            edgecolors=INK,
            linewidths=1.0,
            zorder=4,
        )
    ax.text(4.8 + 3.45, 1.05, "new\nsample", fontsize=9, color=INK, va="center")
    return fig


# ---------------------------------------------------------- chapter 2: autoencoders


def autoencoder() -> Figure:
    """Chapter 2: an autoencoder. The encoder squeezes a digit's 784 pixels into a
    short code, the decoder rebuilds the digit from the code alone, and the loss
    compares the reconstruction with the input."""
    fig, ax = canvas(10.0, 3.0)
    y = 2.0
    box(ax, 0.8, y, "input $x$\n784 pixels", width=1.3, height=0.9, role="data")
    box(ax, 3.0, y, "encoder\n784 → 128 → 64 → 12", width=2.2, height=0.9, role="model")
    box(ax, 5.0, y, "code\n3 numbers", width=1.1, height=0.9, role="code")
    box(ax, 7.0, y, "decoder\n12 → 64 → 128 → 784", width=2.2, height=0.9, role="model")
    box(
        ax,
        9.2,
        y,
        r"reconstruction" "\n" r"$\hat x$, 784 pixels",
        width=1.4,
        height=0.9,
        role="data",
    )
    for start, end in [(1.45, 1.9), (4.1, 4.45), (5.55, 5.9), (8.1, 8.5)]:
        arrow(ax, (start, y), (end, y))
    box(
        ax,
        5.0,
        0.45,
        r"loss: mean squared error $\frac{1}{784}\sum_j (\hat x_j - x_j)^2$",
        width=4.6,
        height=0.6,
        role="loss",
    )
    arrow(ax, (0.8, y - 0.45), (2.7, 0.45), curve=0.25)
    arrow(ax, (9.2, y - 0.45), (7.3, 0.45), curve=-0.25)
    return fig


# ------------------------------------------------------------------- chapter 3: VAE


def vae_reparameterisation() -> Figure:
    """Chapter 3: the VAE and its reparameterisation. The encoder gives mu and
    log sigma^2; the noise epsilon ~ N(0, I) comes from outside the network; the
    decoder turns z = mu + sigma * epsilon into p(x | z); the loss is the
    reconstruction term plus the KL divergence to N(0, I). The gradient (dashed) flows
    back through z to mu and sigma, never through the drawing of epsilon."""
    fig, ax = canvas(12.0, 4.9)
    y = 3.0
    box(ax, 0.7, y, "input $x$", width=1.1, role="data")
    box(ax, 2.5, y, "encoder", width=1.5, height=0.9, role="model")
    box(ax, 4.5, y + 0.6, r"$\mu$", width=0.9, height=0.55, role="code")
    box(ax, 4.5, y - 0.6, r"$\log \sigma^2$", width=0.9, height=0.55, role="code")
    box(
        ax,
        6.75,
        y,
        r"$z = \mu + \sigma \odot \varepsilon$",
        width=1.9,
        height=0.7,
        role="code",
    )
    box(
        ax,
        6.75,
        0.9,
        r"$\varepsilon \sim \mathcal{N}(0, I)$",
        width=1.9,
        height=0.6,
        role="code",
    )
    box(ax, 9.0, y, "decoder", width=1.5, height=0.9, role="model")
    box(ax, 11.0, y, "pixel\nprobabilities", width=1.3, height=0.9, role="data")
    box(
        ax,
        3.0,
        0.9,
        "KL to $\\mathcal{N}(0, I)$\n"
        r"$\frac{1}{2}\sum_k (\mu_k^2 + \sigma_k^2 - 1 - \log \sigma_k^2)$",
        width=3.0,
        height=0.85,
        role="loss",
    )
    box(
        ax,
        10.55,
        0.9,
        "reconstruction\n" r"$-\log p_\theta(x \mid z)$",
        width=2.2,
        height=0.85,
        role="loss",
    )
    ax.text(2.5, y - 0.75, r"$q_\phi(z \mid x)$", ha="center", fontsize=10, color=INK)
    ax.text(9.0, y - 0.75, r"$p_\theta(x \mid z)$", ha="center", fontsize=10, color=INK)
    # forward: solid
    for start, end in [
        ((1.25, y), (1.75, y)),
        ((3.25, y + 0.15), (4.05, y + 0.55)),
        ((3.25, y - 0.15), (4.05, y - 0.55)),
        ((4.95, y + 0.55), (5.8, y + 0.15)),
        ((4.95, y - 0.55), (5.8, y - 0.15)),
        ((6.75, 1.2), (6.75, y - 0.35)),
        ((7.7, y - 0.1), (8.25, y - 0.1)),
        ((9.75, y), (10.35, y)),
        ((11.0, y - 0.45), (11.0, 1.325)),
        ((4.3, y - 0.875), (3.6, 1.325)),
    ]:
        arrow(ax, start, end)
    # backward: the gradient of the loss, dashed
    for start, end in [
        ((9.95, 1.325), (9.3, y - 0.45)),
        ((8.25, y + 0.2), (7.7, y + 0.2)),
        ((5.8, y + 0.3), (4.95, y + 0.75)),
        ((5.8, y - 0.3), (4.95, y - 0.75)),
        ((4.05, y + 0.75), (3.25, y + 0.35)),
        ((4.05, y - 0.75), (3.25, y - 0.35)),
        ((3.9, 1.325), (4.6, y - 0.875)),
    ]:
        arrow(ax, start, end, dashed=True)
    ax.text(
        6.95,
        1.85,
        "drawn from outside:\nno gradient needed",
        fontsize=9,
        color=INK,
        va="center",
    )
    # a legend for the two kinds of arrow
    arrow(ax, (3.4, 4.55), (4.1, 4.55))
    ax.text(4.2, 4.55, "computing the loss", fontsize=9, color=INK, va="center")
    arrow(ax, (6.4, 4.55), (7.1, 4.55), dashed=True)
    ax.text(
        7.2,
        4.55,
        "its gradient, reaching $\\mu$ and $\\sigma$ through $z$",
        fontsize=9,
        color=INK,
        va="center",
    )
    return fig


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


# ------------------------------------------------------- chapter 9: Wasserstein GAN


def wgan_loop(n_critic: int = 5) -> Figure:
    """Chapter 9's training loop: ``n_critic`` critic steps, each on a fresh real batch
    and fakes from a frozen G, with the gradient penalty taken at random points between
    real and fake; then one generator step through the critic."""
    fig, ax = canvas(10.4, 5.0)
    box(ax, 1.0, 3.9, "noise\n$z \\sim p_z$", 1.4, 0.8, "code")
    box(ax, 3.1, 3.9, "generator $G$\n(frozen here)", 1.8, 0.8, "model")
    box(ax, 5.3, 3.9, "fake $\\tilde x$", 1.4, 0.7)
    box(ax, 5.3, 1.6, "real $x$", 1.4, 0.7, "data")
    box(ax, 5.3, 2.75, "$\\hat x = t x + (1 - t)\\tilde x$", 2.3, 0.6, "plain", 9)
    box(ax, 7.6, 2.75, "critic $f$\n(no sigmoid)", 1.6, 0.8, "model")
    arrow(ax, (1.7, 3.9), (2.2, 3.9))
    arrow(ax, (4.0, 3.9), (4.6, 3.9))
    arrow(ax, (6.0, 3.75), (6.8, 3.0))
    arrow(ax, (6.0, 1.75), (6.8, 2.5))
    arrow(ax, (6.45, 2.75), (6.8, 2.75))
    arrow(ax, (5.3, 3.55), (5.3, 3.05))
    arrow(ax, (5.3, 1.95), (5.3, 2.45))
    box(
        ax,
        7.9,
        0.75,
        "critic minimises $\\mathbb{E} f(\\tilde x) - \\mathbb{E} f(x)$\n"
        "$+ \\lambda\\, \\mathbb{E}(\\Vert\\nabla f(\\hat x)\\Vert - 1)^2$",
        3.6,
        0.85,
        "loss",
        9,
    )
    box(
        ax,
        7.9,
        4.55,
        f"repeat {n_critic}× ($n_\\mathrm{{critic}}$), then one step of $G$:\n"
        "$G$ minimises $-\\mathbb{E} f(G(z))$",
        3.9,
        0.75,
        "loss",
        9,
    )
    arrow(ax, (7.6, 2.35), (7.6, 1.2))
    arrow(ax, (8.2, 3.15), (8.2, 4.15), dashed=True)
    ax.text(
        2.4,
        2.2,
        "$\\mathbb{E} f(x) - \\mathbb{E} f(\\tilde x)$:\n"
        "the critic's estimate of $W_1$",
        ha="center",
        va="center",
        fontsize=9,
        color=INK,
    )
    return fig


def vae_gan() -> Figure:
    """VAE-GAN (Larsen et al., 2016): a VAE whose reconstruction error is measured in
    the features of a GAN's discriminator, which also judges the decoder's samples."""
    fig, ax = canvas(10.0, 3.6)
    box(ax, 0.8, 2.4, "image $x$", 1.2, 0.7, "data")
    box(ax, 2.5, 2.4, "encoder", 1.3, 0.7, "model")
    box(ax, 4.2, 2.4, "code $z$", 1.2, 0.7, "code")
    box(ax, 5.9, 2.4, "decoder $=$\ngenerator", 1.5, 0.8, "model")
    box(ax, 7.6, 2.4, "$\\tilde x$", 0.9, 0.7)
    box(ax, 9.0, 2.4, "discriminator\n$D$", 1.5, 0.8, "model")
    arrow(ax, (1.4, 2.4), (1.85, 2.4))
    arrow(ax, (3.15, 2.4), (3.6, 2.4))
    arrow(ax, (4.8, 2.4), (5.15, 2.4))
    arrow(ax, (6.65, 2.4), (7.15, 2.4))
    arrow(ax, (8.05, 2.4), (8.25, 2.4))
    arrow(ax, (0.8, 2.05), (8.6, 1.95), curve=0.25)
    box(
        ax,
        5.0,
        0.45,
        "reconstruction error in $D$'s features: "
        "$\\Vert D_l(x) - D_l(\\tilde x)\\Vert^2$, plus KL and the GAN loss",
        8.6,
        0.6,
        "loss",
        9,
    )
    ax.text(4.6, 1.35, "$x$ also goes to $D$", ha="center", fontsize=9, color=INK)
    return fig


def bigan() -> Figure:
    """BiGAN (Donahue et al., 2017): an encoder E learned adversarially. D sees pairs,
    (x, E(x)) from the data and (G(z), z) from the generator, and cannot tell them apart
    only when E inverts G."""
    fig, ax = canvas(9.0, 3.8)
    box(ax, 0.9, 3.0, "image $x$", 1.3, 0.7, "data")
    box(ax, 2.9, 3.0, "encoder $E$", 1.5, 0.7, "model")
    box(ax, 5.0, 3.0, "pair $(x, E(x))$", 1.9, 0.7, "data")
    box(ax, 0.9, 1.0, "noise $z$", 1.3, 0.7, "code")
    box(ax, 2.9, 1.0, "generator $G$", 1.5, 0.7, "model")
    box(ax, 5.0, 1.0, "pair $(G(z), z)$", 1.9, 0.7)
    box(ax, 7.6, 2.0, "$D(x, z)$:\ndata pair or\ngenerated pair?", 2.0, 1.1, "model")
    arrow(ax, (1.55, 3.0), (2.15, 3.0))
    arrow(ax, (3.65, 3.0), (4.05, 3.0))
    arrow(ax, (1.55, 1.0), (2.15, 1.0))
    arrow(ax, (3.65, 1.0), (4.05, 1.0))
    arrow(ax, (5.95, 2.85), (6.6, 2.3))
    arrow(ax, (5.95, 1.15), (6.6, 1.7))
    return fig


# ---------------------------------------------------------- chapter 10: conditional GAN


def conditional_gan() -> Figure:
    """Chapter 10's conditional GAN: the digit ``y`` goes into G (the scale and shift
    of its BatchNorm layers) and into D (a projection onto D's features), and D's
    second head reads the digit back (the auxiliary classifier)."""
    fig, ax = canvas(10.4, 5.0)
    box(ax, 0.9, 4.1, "noise\n$z \\sim p_z$", 1.3, 0.8, "code")
    box(ax, 0.9, 2.7, "digit $y$\n(asked for)", 1.3, 0.8, "code")
    box(
        ax,
        2.9,
        3.4,
        "generator $G$\nBatchNorm scale\nand shift set by $y$",
        2.0,
        1.0,
        "model",
    )
    box(ax, 4.9, 3.4, "fake $\\tilde x$", 1.2, 0.7)
    box(ax, 4.9, 1.6, "real $x$, its\nlabel $y$", 1.4, 0.8, "data")
    box(ax, 6.9, 2.5, "D's features\n$h(x)$", 1.5, 0.8, "model")
    box(ax, 9.0, 3.5, "score $w \\cdot h + e_D(y) \\cdot h$\nreal digit $y$?", 2.5, 0.8)
    box(ax, 9.0, 1.5, "classifier\nwhich digit?", 1.9, 0.8)
    arrow(ax, (1.55, 4.0), (1.95, 3.6))
    arrow(ax, (1.55, 2.8), (1.95, 3.2))
    arrow(ax, (3.85, 3.4), (4.3, 3.4))
    arrow(ax, (5.5, 3.25), (6.15, 2.7))
    arrow(ax, (5.6, 1.75), (6.15, 2.3))
    arrow(ax, (7.65, 2.7), (7.75, 3.3))
    arrow(ax, (7.65, 2.3), (8.05, 1.7))
    arrow(ax, (1.55, 2.5), (7.75, 3.75), dashed=True)
    box(
        ax,
        5.0,
        0.45,
        "D: GAN loss of its scores (fakes: G's images and real digits under a wrong "
        "label)\n+ cross-entropy of its classifier on real labels\n"
        "G: GAN loss of its fakes + cross-entropy of D's classifier on the digits "
        "asked for",
        9.6,
        0.95,
        "loss",
        8.5,
    )
    ax.text(
        4.4,
        4.55,
        "the asked-for $y$ also goes to D (dashed)",
        fontsize=9,
        color=INK,
        ha="center",
    )
    return fig


# ------------------------------------------------------------ chapter 11: LSTM text


def lstm_tbptt(seq_len: int = 3) -> Figure:
    """Chapter 11's truncated backpropagation through time: the LSTM unrolled over two
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
