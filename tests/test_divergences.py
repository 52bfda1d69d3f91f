import math

import numpy as np
import pytest
from scipy.stats import norm

from helpers.divergences import (
    F_DIVERGENCES,
    FDivergence,
    covering_grid,
    f_divergence,
    gaussian_logpdf,
    js_divergence,
    kl_divergence,
    kl_gaussians,
    mixture_logpdf,
    non_saturating_loss,
    optimal_logit,
    uniform_logpdf,
    value_function,
    wasserstein_1,
)

LOG2 = math.log(2)
GAUSSIAN_PAIRS = [(0.0, 1.0, 1.0, 1.5), (-2.0, 0.5, 1.0, 2.0), (0.5, 3.0, -1.0, 0.3)]


def gaussians(mean_p, std_p, mean_q, std_q, n=4001):
    x = covering_grid([mean_p, mean_q], [std_p, std_q], n=n)
    return gaussian_logpdf(x, mean_p, std_p), gaussian_logpdf(x, mean_q, std_q), x


def disjoint_uniforms(gap=1.0):
    # Every support edge falls midway between grid points, where the trapezoid rule is
    # exact.
    x = (np.arange(-1000, 5000) + 0.5) * 1e-3
    return uniform_logpdf(x, 0.0, 1.0), uniform_logpdf(x, 1.0 + gap, 2.0 + gap), x


# ---------------------------------------------------------------------------- densities


def test_densities_match_scipy_and_integrate_to_one():
    x = covering_grid([0.0, 2.0], [1.0, 0.5])
    assert (
        x[0] == pytest.approx(-10.0) and x[-1] == pytest.approx(10.0) and len(x) == 4001
    )
    np.testing.assert_allclose(
        gaussian_logpdf(x, 2.0, 0.5), norm.logpdf(x, 2.0, 0.5), rtol=1e-12
    )
    mixture = mixture_logpdf(x, [0.0, 2.0], [1.0, 0.5], [0.3, 0.7])
    expected = np.log(0.3 * norm.pdf(x, 0.0, 1.0) + 0.7 * norm.pdf(x, 2.0, 0.5))
    np.testing.assert_allclose(mixture, expected, rtol=1e-10)
    assert np.trapezoid(np.exp(mixture), x) == pytest.approx(1.0, abs=1e-12)
    assert mixture_logpdf(0.0, [0.0], [1.0], [1.0]) == pytest.approx(norm.logpdf(0.0))
    u = uniform_logpdf(np.array([-0.5, 0.0, 0.5, 2.0, 2.5]), 0.0, 2.0)
    np.testing.assert_array_equal(u, [-np.inf, -LOG2, -LOG2, -LOG2, -np.inf])


def test_densities_reject_bad_parameters():
    with pytest.raises(ValueError, match="std=0"):
        gaussian_logpdf(np.zeros(3), 0.0, 0.0)
    with pytest.raises(ValueError, match="weights"):
        mixture_logpdf(np.zeros(3), [0.0, 1.0], [1.0, 1.0], [0.5, 0.6])
    with pytest.raises(ValueError, match="equal length"):
        mixture_logpdf(np.zeros(3), [0.0, 1.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="low < high"):
        uniform_logpdf(np.zeros(3), 1.0, 1.0)
    with pytest.raises(ValueError, match="stds"):
        covering_grid([0.0], [-1.0])
    with pytest.raises(ValueError, match="n=2"):
        covering_grid([0.0], [1.0], n=2)


# --------------------------------------------------------------------------- KL, JS, W1


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_kl_between_gaussians_matches_the_closed_form(pair):
    log_p, log_q, x = gaussians(*pair)
    mean_p, std_p, mean_q, std_q = pair
    assert kl_divergence(log_p, log_q, x) == pytest.approx(
        kl_gaussians(*pair), rel=1e-8
    )
    assert kl_divergence(log_q, log_p, x) == pytest.approx(
        kl_gaussians(mean_q, std_q, mean_p, std_p), rel=1e-8
    )


def test_kl_closed_form_values():
    assert kl_gaussians(0.0, 1.0, 0.0, 1.0) == 0.0
    # (mean difference)^2 / 2
    assert kl_gaussians(0.0, 1.0, 3.0, 1.0) == pytest.approx(4.5)
    assert kl_gaussians(0.0, 1.0, 0.0, math.e) == pytest.approx(
        1.0 + 1 / (2 * math.e**2) - 0.5
    )
    with pytest.raises(ValueError, match="std_p"):
        kl_gaussians(0.0, 0.0, 0.0, 1.0)


def test_kl_is_zero_for_identical_and_infinite_outside_the_support():
    log_p, _, x = gaussians(0.0, 1.0, 0.0, 1.0)
    assert kl_divergence(log_p, log_p, x) == pytest.approx(0.0, abs=1e-14)
    narrow, wide = uniform_logpdf(x, 0.0, 1.0), uniform_logpdf(x, -1.0, 2.0)
    assert kl_divergence(wide, narrow, x) == math.inf
    # A support's edge falls between grid points: an error of order step.
    step = x[1] - x[0]
    assert kl_divergence(narrow, wide, x) == pytest.approx(math.log(3.0), abs=2 * step)


def test_kl_survives_densities_that_underflow():
    # A narrow Q far from a wide P: q underflows to 0 in P's tails, log q does not.
    log_p, log_q, x = gaussians(0.0, 3.0, 3.0, 0.3)
    assert np.exp(log_q).min() == 0.0
    assert kl_divergence(log_p, log_q, x) == pytest.approx(
        kl_gaussians(0.0, 3.0, 3.0, 0.3), rel=1e-8
    )


def test_js_of_identical_densities_is_zero_and_symmetric():
    log_p, log_q, x = gaussians(0.0, 1.0, 1.0, 1.5)
    assert js_divergence(log_p, log_p, x) == pytest.approx(0.0, abs=1e-14)
    assert js_divergence(log_p, log_q, x) == pytest.approx(
        js_divergence(log_q, log_p, x), rel=1e-12
    )
    assert 0.0 < js_divergence(log_p, log_q, x) < LOG2


@pytest.mark.parametrize("gap", [0.0, 0.5, 2.0])
def test_js_of_disjoint_supports_is_log_2(gap):
    log_p, log_q, x = disjoint_uniforms(gap)
    assert js_divergence(log_p, log_q, x) == pytest.approx(LOG2, abs=1e-12)


def test_js_of_gaussians_pulled_apart_saturates_at_log_2():
    values = [
        js_divergence(*gaussians(0.0, 1.0, shift, 1.0))
        for shift in (0.0, 2.0, 5.0, 20.0)
    ]
    assert values[0] == pytest.approx(0.0, abs=1e-14)
    assert all(a < b for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(LOG2, abs=1e-9)


def test_wasserstein_grows_with_the_gap_where_js_is_stuck():
    for gap in (0.5, 2.0):
        assert wasserstein_1(*disjoint_uniforms(gap)) == pytest.approx(
            1.0 + gap, abs=1e-9
        )
    for shift in (0.5, 3.0):  # equal variances: W1 is the distance between the means
        assert wasserstein_1(*gaussians(0.0, 1.0, shift, 1.0)) == pytest.approx(
            shift, rel=1e-6
        )


def test_divergences_reject_bad_grids():
    log_p, log_q, x = gaussians(0.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="increasing"):
        kl_divergence(log_p, log_q, x[::-1])
    with pytest.raises(ValueError, match="shape"):
        js_divergence(log_p[:-1], log_q, x)
    with pytest.raises(ValueError, match="log_q is zero everywhere"):
        kl_divergence(log_p, np.full_like(x, -np.inf), x)
    with pytest.raises(ValueError, match="nan"):
        wasserstein_1(log_p, np.full_like(x, np.nan), x)


# ------------------------------------------------------------------------ f-divergences


def test_f_generators_are_convex_and_zero_at_one():
    t = np.linspace(0.05, 20.0, 2000)
    for d in F_DIVERGENCES.values():
        assert d.f(np.array(1.0)) == pytest.approx(0.0, abs=1e-15), d.name
        assert (np.diff(d.f(t), 2) >= -1e-12).all(), d.name
        assert d.f(np.array(1e-12)) == pytest.approx(d.f_at_zero, abs=1e-6) or (
            d.f_at_zero == math.inf and d.f(np.array(1e-12)) > 20
        ), d.name
        big = 1e12
        assert d.f(np.array(big)) / big == pytest.approx(
            d.slope_at_infinity, abs=1e-6
        ) or (d.slope_at_infinity == math.inf and d.f(np.array(big)) / big > 20), d.name


def test_f_divergences_match_closed_forms_on_gaussians():
    mean_p, std_p, mean_q, std_q = 0.0, 1.0, 1.0, 1.5
    log_p, log_q, x = gaussians(mean_p, std_p, mean_q, std_q)
    assert f_divergence(log_p, log_q, x, "KL") == pytest.approx(
        kl_gaussians(mean_p, std_p, mean_q, std_q), rel=1e-8
    )
    assert f_divergence(log_p, log_q, x, "reverse KL") == pytest.approx(
        kl_gaussians(mean_q, std_q, mean_p, std_p), rel=1e-8
    )
    assert f_divergence(log_p, log_q, x, "JS") == pytest.approx(
        js_divergence(log_p, log_q, x), rel=1e-10
    )
    s = 2 * std_q**2 - std_p**2  # Pearson chi2 of Gaussians is finite only when s > 0
    chi2 = std_q**2 / (std_p * math.sqrt(s)) * math.exp((mean_p - mean_q) ** 2 / s) - 1
    assert f_divergence(log_p, log_q, x, "Pearson chi2") == pytest.approx(
        chi2, rel=1e-8
    )
    # total variation with equal variances: 2 Phi(|shift| / (2 std)) - 1
    log_p, log_q, x = gaussians(0.0, 1.0, 1.2, 1.0)
    assert f_divergence(log_p, log_q, x, "total variation") == pytest.approx(
        2 * norm.cdf(0.6) - 1, rel=1e-5
    )


def test_f_divergences_of_identical_and_disjoint_densities():
    log_p, _, x = gaussians(0.0, 1.0, 0.0, 1.0)
    for name in F_DIVERGENCES:
        assert f_divergence(log_p, log_p, x, name) == pytest.approx(0.0, abs=1e-12), (
            name
        )
    log_p, log_q, x = disjoint_uniforms()
    assert f_divergence(log_p, log_q, x, "JS") == pytest.approx(LOG2, abs=1e-12)
    assert f_divergence(log_p, log_q, x, "total variation") == pytest.approx(
        1.0, abs=1e-12
    )
    for name in ("KL", "reverse KL", "Pearson chi2"):
        assert f_divergence(log_p, log_q, x, name) == math.inf, name


def test_f_divergence_accepts_a_custom_generator_and_rejects_unknown_names():
    log_p, log_q, x = gaussians(0.0, 1.0, 1.0, 1.5)
    squared_hellinger = FDivergence(
        "Hellinger", lambda t: (np.sqrt(t) - 1) ** 2, 1.0, 1.0
    )
    expected = np.trapezoid((np.sqrt(np.exp(log_p)) - np.sqrt(np.exp(log_q))) ** 2, x)
    assert f_divergence(log_p, log_q, x, squared_hellinger) == pytest.approx(
        expected, rel=1e-10
    )
    with pytest.raises(ValueError, match="allowed: KL"):
        f_divergence(log_p, log_q, x, "Hellinger")


# ------------------------------------------------------------------------- the GAN game


@pytest.mark.parametrize("which", ["gaussians", "mixture"])
def test_max_value_is_minus_log_4_plus_twice_js(which):
    x = covering_grid([-2.0, 2.0, 0.5], [0.7, 0.5, 1.5])
    log_p_g = gaussian_logpdf(x, 0.5, 1.5)
    log_p_data = (
        gaussian_logpdf(x, 0.0, 1.0)
        if which == "gaussians"
        else mixture_logpdf(x, [-2.0, 2.0], [0.7, 0.5], [0.4, 0.6])
    )
    best = optimal_logit(log_p_data, log_p_g)
    v_best = value_function(best, log_p_data, log_p_g, x)
    assert v_best == pytest.approx(
        -math.log(4) + 2 * js_divergence(log_p_data, log_p_g, x), abs=1e-12
    )
    # D* is the best discriminator: every perturbation of it lowers V
    rng = np.random.default_rng(0)
    for _ in range(5):
        other = best + 0.3 * rng.standard_normal() * np.sin(x * rng.uniform(0.5, 2))
        assert value_function(other, log_p_data, log_p_g, x) < v_best


def test_optimal_discriminator_at_the_global_optimum_and_off_the_supports():
    x = covering_grid([0.0], [1.0])
    log_p = gaussian_logpdf(x, 0.0, 1.0)
    # D* = 1/2 everywhere
    np.testing.assert_array_equal(optimal_logit(log_p, log_p), 0.0)
    assert value_function(
        optimal_logit(log_p, log_p), log_p, log_p, x
    ) == pytest.approx(-math.log(4), abs=1e-12)
    log_p, log_q, x = disjoint_uniforms()
    # D* = 1 on P's support, 0 on Q's, 1/2 (no weight) elsewhere
    logit = optimal_logit(log_p, log_q)
    only_p, only_q = np.isfinite(log_p), np.isfinite(log_q)
    assert np.isposinf(logit[only_p]).all() and np.isneginf(logit[only_q]).all()
    assert (logit[~only_p & ~only_q] == 0.0).all()
    # V = -log 4 + 2 log 2 = 0
    assert value_function(logit, log_p, log_q, x) == pytest.approx(0.0, abs=1e-12)


def test_value_function_checks_shapes():
    log_p, log_q, x = gaussians(0.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="logit"):
        value_function(np.zeros(3), log_p, log_q, x)
    with pytest.raises(ValueError, match="logit"):
        non_saturating_loss(np.zeros(3), log_q, x)
    with pytest.raises(ValueError, match="same shape"):
        optimal_logit(log_p, log_q[:-1])


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_non_saturating_loss_against_d_star(pair):
    # E_{P_G}[-log D*] = KL(P_G || P_data) - KL(P_G || M) + log 2, exactly; and with D*
    # held fixed its gradient in G's parameters is that of KL(P_G || P_data) - 2 JSD
    # (Arjovsky and Bottou 2017, theorem 2.5).
    mean_data, std_data, mean_g, std_g = pair
    x = covering_grid([mean_data, mean_g], [std_data, std_g], width=14)
    log_p_data = gaussian_logpdf(x, mean_data, std_data)

    def generator(mean, std):
        return gaussian_logpdf(x, mean, std)

    log_p_g = generator(mean_g, std_g)
    best = optimal_logit(log_p_data, log_p_g)
    log_m = np.logaddexp(log_p_data, log_p_g) - LOG2
    loss = non_saturating_loss(best, log_p_g, x)
    reverse_kl = kl_divergence(log_p_g, log_p_data, x)
    assert loss == pytest.approx(
        reverse_kl - kl_divergence(log_p_g, log_m, x) + LOG2, abs=1e-12
    )
    # the fake half of V: E_{P_G}[log(1 - D)] differs from -log D by the logit
    np.testing.assert_allclose(
        non_saturating_loss(np.zeros_like(x), log_p_g, x), LOG2, rtol=1e-12
    )

    def frozen(mean, std):
        return non_saturating_loss(best, generator(mean, std), x)

    def criterion(mean, std):
        log_q = generator(mean, std)
        return kl_divergence(log_q, log_p_data, x) - 2 * js_divergence(
            log_p_data, log_q, x
        )

    h = 1e-4
    for d_mean, d_std in ((h, 0.0), (0.0, h)):
        slope_frozen = (
            frozen(mean_g + d_mean, std_g + d_std)
            - frozen(mean_g - d_mean, std_g - d_std)
        ) / (2 * h)
        slope_criterion = (
            criterion(mean_g + d_mean, std_g + d_std)
            - criterion(mean_g - d_mean, std_g - d_std)
        ) / (2 * h)
        assert slope_frozen == pytest.approx(slope_criterion, rel=1e-6, abs=1e-8)
