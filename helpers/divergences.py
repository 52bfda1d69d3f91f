"""Divergences between 1-D densities, by numerical integration on a grid.

Densities are passed as *log* densities sampled on an increasing grid ``x`` (arrays of
the same shape), so that tails far from a narrow Gaussian, where the density itself
underflows to 0, still give the right answer: ``log q = -1000`` is fine, ``q = 0`` is
not. A log density of ``-inf`` means a true zero (outside a support). Integrals use the
trapezoid rule: for smooth densities that are negligible at both ends of the grid it is
accurate far beyond the digits we print. A density with a jump (a uniform) costs an
error of the order of the grid step, unless its edges fall midway between grid points,
where the rule integrates it exactly.

The GAN quantities (the optimal discriminator, the value function) follow the book's
notation: the discriminator outputs a logit ``s`` and ``D(x) = sigmoid(s)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import cumulative_trapezoid, trapezoid
from scipy.special import logsumexp

LOG2 = math.log(2.0)


# ---------------------------------------------------------------------------- densities


def covering_grid(
    means: Sequence[float], stds: Sequence[float], width: float = 10.0, n: int = 4001
) -> np.ndarray:
    """``n`` evenly spaced points covering every ``mean +- width * std``."""
    if len(means) == 0 or len(means) != len(stds):
        raise ValueError(
            "means and stds must be non-empty and of equal length; "
            f"got {len(means)} and {len(stds)}"
        )
    if min(stds) <= 0:
        raise ValueError(f"stds must all be > 0; got {list(stds)}")
    if width <= 0:
        raise ValueError(f"width={width} must be > 0")
    if n < 3:
        raise ValueError(f"n={n} must be at least 3")
    low = min(m - width * s for m, s in zip(means, stds))
    high = max(m + width * s for m, s in zip(means, stds))
    return np.linspace(low, high, n)


def gaussian_logpdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The log density of N(mean, std^2) at ``x``."""
    if std <= 0:
        raise ValueError(f"std={std} must be > 0")
    x = np.asarray(x, dtype=float)
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi)


def mixture_logpdf(
    x: np.ndarray,
    means: Sequence[float],
    stds: Sequence[float],
    weights: Sequence[float],
) -> np.ndarray:
    """The log density of the mixture sum_k weights[k] * N(means[k], stds[k]^2)."""
    if not len(means) == len(stds) == len(weights) or len(means) == 0:
        raise ValueError(
            "means, stds and weights must be non-empty and of equal length"
        )
    w = np.asarray(weights, dtype=float)
    if (w < 0).any() or not math.isclose(w.sum(), 1.0, abs_tol=1e-9):
        raise ValueError(f"weights must be >= 0 and sum to 1; got {list(weights)}")
    parts = [gaussian_logpdf(x, m, s) for m, s in zip(means, stds)]
    return logsumexp(np.stack(parts), axis=0, b=w.reshape(-1, *[1] * np.ndim(x)))


def uniform_logpdf(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """The log density of the uniform distribution on [low, high]: -inf outside it."""
    if not low < high:
        raise ValueError(f"need low < high; got low={low}, high={high}")
    x = np.asarray(x, dtype=float)
    return np.where((x >= low) & (x <= high), -math.log(high - low), -np.inf)


def kl_gaussians(mean_p: float, std_p: float, mean_q: float, std_q: float) -> float:
    """KL(N(mean_p, std_p^2) || N(mean_q, std_q^2)) in closed form."""
    if std_p <= 0 or std_q <= 0:
        raise ValueError(f"std_p={std_p} and std_q={std_q} must be > 0")
    return (
        math.log(std_q / std_p)
        + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2)
        - 0.5
    )


# -------------------------------------------------------------------------- divergences


def _check(
    log_p: np.ndarray, log_q: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, ...]:
    log_p, log_q, x = (np.asarray(a, dtype=float) for a in (log_p, log_q, x))
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(
            f"x must be a 1-D grid of at least 2 points; got shape {x.shape}"
        )
    if not (np.diff(x) > 0).all():
        raise ValueError("x must be strictly increasing")
    if log_p.shape != x.shape or log_q.shape != x.shape:
        raise ValueError(
            f"log densities must have the grid's shape {x.shape}; "
            f"got {log_p.shape} and {log_q.shape}"
        )
    for name, log_density in (("log_p", log_p), ("log_q", log_q)):
        if np.isnan(log_density).any() or np.isposinf(log_density).any():
            raise ValueError(
                f"{name} must be finite or -inf (a zero density); found nan or +inf"
            )
        if np.isneginf(log_density).all():
            raise ValueError(
                f"{name} is zero everywhere on the grid; "
                "allowed: a density with mass on x"
            )
    return log_p, log_q, x


def kl_divergence(log_p: np.ndarray, log_q: np.ndarray, x: np.ndarray) -> float:
    """KL(P || Q) = integral of p log(p / q) dx; ``inf`` where p > 0 but q = 0."""
    log_p, log_q, x = _check(log_p, log_q, x)
    p = np.exp(log_p)
    inside = p > 0  # 0 log 0 = 0: points outside P's support add nothing
    if np.isneginf(log_q[inside]).any():
        return math.inf
    integrand = np.zeros_like(x)
    integrand[inside] = p[inside] * (log_p[inside] - log_q[inside])
    return float(trapezoid(integrand, x))


def js_divergence(log_p: np.ndarray, log_q: np.ndarray, x: np.ndarray) -> float:
    """JSD(P || Q) = KL(P || M) / 2 + KL(Q || M) / 2 with M = (P + Q) / 2.

    It lies between 0 and log 2.
    """
    log_p, log_q, x = _check(log_p, log_q, x)
    log_m = np.logaddexp(log_p, log_q) - LOG2
    return 0.5 * kl_divergence(log_p, log_m, x) + 0.5 * kl_divergence(log_q, log_m, x)


def wasserstein_1(log_p: np.ndarray, log_q: np.ndarray, x: np.ndarray) -> float:
    """W1(P, Q) = integral of |F_P(x) - F_Q(x)| dx, F the cumulative distributions."""
    log_p, log_q, x = _check(log_p, log_q, x)
    cdf_p = cumulative_trapezoid(np.exp(log_p), x, initial=0.0)
    cdf_q = cumulative_trapezoid(np.exp(log_q), x, initial=0.0)
    return float(trapezoid(np.abs(cdf_p - cdf_q), x))


@dataclass(frozen=True)
class FDivergence:
    """A generator function ``f`` (convex, f(1) = 0) and its two limits.

    D_f(P || Q) = integral of q f(p / q) dx. Where q = 0 < p the integrand is
    ``p * slope_at_infinity`` (the limit of q f(p/q) as q -> 0, i.e. of f(t)/t as
    t -> inf); where p = 0 < q it is ``q * f_at_zero``.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    f_at_zero: float
    slope_at_infinity: float


def _js_f(t: np.ndarray) -> np.ndarray:
    return 0.5 * (t * np.log(t) - (t + 1) * np.log((t + 1) / 2))


F_DIVERGENCES: dict[str, FDivergence] = {
    d.name: d
    for d in [
        FDivergence("KL", lambda t: t * np.log(t), 0.0, math.inf),
        FDivergence("reverse KL", lambda t: -np.log(t), math.inf, 0.0),
        FDivergence("JS", _js_f, 0.5 * LOG2, 0.5 * LOG2),
        FDivergence("Pearson chi2", lambda t: (t - 1) ** 2, 1.0, math.inf),
        FDivergence("total variation", lambda t: 0.5 * np.abs(t - 1), 0.5, 0.5),
    ]
}


def f_divergence(
    log_p: np.ndarray, log_q: np.ndarray, x: np.ndarray, divergence: str | FDivergence
) -> float:
    """D_f(P || Q) = integral of q f(p / q) dx.

    ``divergence`` is the name of one of :data:`F_DIVERGENCES`, or your own
    :class:`FDivergence`. It evaluates q f(p/q) as written, so the ratio p/q must stay
    finite where q > 0: use a grid on which neither density underflows except where it
    is truly 0.
    """
    if isinstance(divergence, str):
        if divergence not in F_DIVERGENCES:
            raise ValueError(
                f"divergence={divergence!r} is unknown; "
                f"allowed: {', '.join(F_DIVERGENCES)}"
            )
        divergence = F_DIVERGENCES[divergence]
    log_p, log_q, x = _check(log_p, log_q, x)
    p, q = np.exp(log_p), np.exp(log_q)
    both, only_p, only_q = (p > 0) & (q > 0), (p > 0) & (q == 0), (p == 0) & (q > 0)
    if (only_p.any() and divergence.slope_at_infinity == math.inf) or (
        only_q.any() and divergence.f_at_zero == math.inf
    ):
        return math.inf
    integrand = np.zeros_like(x)
    integrand[both] = q[both] * divergence.f(p[both] / q[both])
    integrand[only_p] = p[only_p] * divergence.slope_at_infinity
    integrand[only_q] = q[only_q] * divergence.f_at_zero
    return float(trapezoid(integrand, x))


# ------------------------------------------------------------------------- the GAN game


def optimal_logit(log_p_data: np.ndarray, log_p_g: np.ndarray) -> np.ndarray:
    """The logit of D*(x) = p_data / (p_data + p_G): log p_data(x) - log p_G(x).

    Where both densities are 0 the logit is undefined; it is set to 0 (D* = 1/2), a
    value that carries no weight in V.
    """
    log_p_data = np.asarray(log_p_data, dtype=float)
    log_p_g = np.asarray(log_p_g, dtype=float)
    if log_p_data.shape != log_p_g.shape:
        raise ValueError(
            "log_p_data and log_p_g must have the same shape; "
            f"got {log_p_data.shape} and {log_p_g.shape}"
        )
    with np.errstate(invalid="ignore"):  # -inf - (-inf) where both are 0
        logit = log_p_data - log_p_g
    return np.where(np.isnan(logit), 0.0, logit)


def value_function(
    logit: np.ndarray, log_p_data: np.ndarray, log_p_g: np.ndarray, x: np.ndarray
) -> float:
    """V(G, D) = integral of p_data log D + p_G log(1 - D) dx, with D = sigmoid(logit).

    log D = -softplus(-logit) and log(1 - D) = -softplus(logit), computed stably, so an
    infinite logit (D* outside one support) costs nothing where it should.
    """
    log_p_data, log_p_g, x = _check(log_p_data, log_p_g, x)
    logit = np.asarray(logit, dtype=float)
    if logit.shape != x.shape:
        raise ValueError(
            f"logit must have the grid's shape {x.shape}; got {logit.shape}"
        )
    p_data, p_g = np.exp(log_p_data), np.exp(log_p_g)
    integrand = np.zeros_like(x)
    real, fake = p_data > 0, p_g > 0
    integrand[real] -= p_data[real] * np.logaddexp(0.0, -logit[real])
    integrand[fake] -= p_g[fake] * np.logaddexp(0.0, logit[fake])
    return float(trapezoid(integrand, x))


def non_saturating_loss(logit: np.ndarray, log_p_g: np.ndarray, x: np.ndarray) -> float:
    """The generator's non-saturating loss E_{P_G}[-log D(x)], D = sigmoid(logit).

    The integral of p_G softplus(-logit) dx. Against the optimal discriminator it equals
    KL(P_G || P_data) - KL(P_G || M) + log 2, with M = (P_data + P_G) / 2.
    """
    logit = np.asarray(logit, dtype=float)
    log_p_g, _, x = _check(log_p_g, log_p_g, x)
    if logit.shape != x.shape:
        raise ValueError(
            f"logit must have the grid's shape {x.shape}; got {logit.shape}"
        )
    p_g = np.exp(log_p_g)
    integrand = np.zeros_like(x)
    fake = p_g > 0
    integrand[fake] = p_g[fake] * np.logaddexp(0.0, -logit[fake])
    return float(trapezoid(integrand, x))
