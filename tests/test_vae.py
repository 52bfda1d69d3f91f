import math

import ipywidgets as W
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import vae as v
from helpers import widgets
from helpers.autoencoders import (
    AutoencoderSettings,
    MLPAutoencoder,
    encode_all,
    pixel_mse,
    reconstruct,
)
from helpers.cache import cache_path, trained
from helpers.data import mnist

TINY = dict(epochs=1, limit=256, batch_size=64)


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    monkeypatch.setenv("GANBOOK_BUDGET", "quick")
    yield
    plt.close("all")


# ----------------------------------------------------------------------------- model


def test_vae_shapes_and_sampling_range():
    torch.manual_seed(0)
    model = v.VAE()
    logits, mean, logvar = model(torch.rand(4, 1, 28, 28))
    assert logits.shape == (4, 1, 28, 28) and mean.shape == logvar.shape == (4, 20)
    samples = model.sample(6, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (6, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    again = model.sample(6, generator=torch.Generator().manual_seed(1))
    assert torch.equal(samples, again)
    with pytest.raises(ValueError, match="latent_size"):
        v.VAE(latent_size=0)


def test_encode_all_gives_the_vae_mean_without_noise():
    torch.manual_seed(0)
    vae = v.VAE(latent_size=3).eval()
    x = torch.rand(25, 1, 28, 28)
    assert torch.allclose(encode_all(vae, x), vae.encode(x)[0], atol=1e-6)


def test_bernoulli_pixels_draw_black_and_white_samples_of_the_decoder():
    probabilities = torch.tensor([0.0, 0.2, 0.5, 1.0]).repeat(20000, 1)
    draws = v.bernoulli_pixels(probabilities, torch.Generator().manual_seed(0))
    assert draws.shape == probabilities.shape and draws.device == probabilities.device
    assert set(draws.unique().tolist()) == {0.0, 1.0}
    assert torch.allclose(draws.mean(0), probabilities[0], atol=0.01)
    again = v.bernoulli_pixels(probabilities, torch.Generator().manual_seed(0))
    assert torch.equal(draws, again)


# ----------------------------------------------------------------------------- loss


def test_reparameterise_has_the_right_moments_and_gradients():
    torch.manual_seed(0)
    mean = torch.full((200_000, 1), 1.5, requires_grad=True)
    logvar = torch.full((200_000, 1), math.log(0.25), requires_grad=True)
    z = v.reparameterise(mean, logvar)
    assert abs(z.mean().item() - 1.5) < 0.01 and abs(z.std().item() - 0.5) < 0.01
    z.sum().backward()
    assert torch.allclose(mean.grad, torch.ones_like(mean))  # dz/dmean = 1
    assert logvar.grad.abs().sum() > 0


def test_kl_closed_form_matches_torch_distributions_and_is_zero_at_the_prior():
    torch.manual_seed(0)
    mean, logvar = torch.randn(7, 5), torch.randn(7, 5)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(5), torch.ones(5))
    expected = torch.distributions.kl_divergence(q, p).sum(1)
    assert torch.allclose(v.kl_to_standard_normal(mean, logvar), expected, atol=1e-5)
    zeros = torch.zeros(3, 4)
    assert torch.all(v.kl_to_standard_normal(zeros, zeros) == 0)
    assert torch.all(v.kl_to_standard_normal(mean, logvar) > 0)


def test_vae_loss_is_bce_plus_beta_times_kl():
    torch.manual_seed(0)
    x = torch.rand(3, 1, 28, 28)
    logits, mean, logvar = (
        torch.randn(3, 1, 28, 28),
        torch.randn(3, 2),
        torch.randn(3, 2),
    )
    out = v.vae_loss(logits, x, mean, logvar, beta=0.5)
    p = torch.sigmoid(logits)
    bce = -(x * p.log() + (1 - x) * (1 - p).log()).sum((1, 2, 3)).mean()
    assert torch.allclose(out["reconstruction"], bce, rtol=1e-4)
    assert torch.allclose(out["loss"], out["reconstruction"] + 0.5 * out["kl"])


def test_vae_step_lowers_the_negative_elbo():
    torch.manual_seed(0)
    model = v.VAE(latent_size=4, hidden=32)
    step = v.vae_step(model, torch.optim.Adam(model.parameters(), lr=1e-2))
    x = (torch.rand(16, 1, 28, 28) > 0.7).float()
    losses = [step((x,)) for _ in range(20)]
    assert set(losses[0]) == {"loss", "reconstruction", "kl"}
    assert losses[-1]["loss"] < losses[0]["loss"]


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "field, value",
    [
        ("latent_size", 0),
        ("latent_size", 513),
        ("hidden", 0),
        ("beta", -1),
        ("beta", 101),
        ("epochs", 0),
        ("lr", 0),
        ("batch_size", 0),
        ("limit", 0),
        ("seed", -1),
    ],
)
def test_settings_reject_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}=.*allowed"):
        v.VAESettings(**{field: value})


def test_the_book_vae_and_its_matching_autoencoder(monkeypatch):
    quick = v.book_vae()
    assert (quick.latent_size, quick.hidden, quick.beta) == (20, 400, 1.0)
    assert quick.limit is not None and quick.epochs >= 1
    assert v.book_vae(beta=2.0).beta == 2.0
    match = quick.matching_autoencoder()
    assert isinstance(match, AutoencoderSettings)
    assert match.layers == (784, 400, 20) and match.kind == "mlp"
    assert (match.epochs, match.limit, match.lr) == (
        quick.epochs,
        quick.limit,
        quick.lr,
    )
    assert isinstance(match.build(), MLPAutoencoder)
    monkeypatch.setenv("GANBOOK_BUDGET", "full")
    assert v.book_vae().limit is None


# ----------------------------------------------------------------------------- training


def test_trained_vae_comes_back_from_the_cache():
    settings = v.VAESettings(latent_size=2, **TINY)
    first = trained(settings, device="cpu", progress=False)
    assert not first.from_cache and cache_path(settings).name.startswith("vae-")
    second = trained(settings, device="cpu", progress=False)
    assert second.from_cache
    assert torch.equal(first.model.to_mean.weight, second.model.to_mean.weight)


def test_vae_training_gives_a_finite_elbo_with_its_parts():
    settings = v.VAESettings(latent_size=4, hidden=64, **TINY)
    run = trained(settings, device="cpu", progress=False)
    assert set(run.history.losses) == {"loss", "reconstruction", "kl"}
    test, _ = mnist(train=False, scale="unit", device="cpu", limit=100)
    result = v.elbo(run.model, test)
    assert result["elbo"] < 0 and result["kl"] >= 0
    assert math.isclose(result["elbo"], -(result["reconstruction"] + result["kl"]))
    assert result == v.elbo(run.model, test)  # seeded: the same z samples each call
    assert result != v.elbo(run.model, test, seed=1)
    assert 0 < pixel_mse(run.model, test) < 1


def test_elbo_leaves_the_global_generators_and_the_mode_as_they_were():
    torch.manual_seed(5)
    model = v.VAE(latent_size=3, hidden=16).train()
    x = torch.rand(10, 1, 28, 28)
    before = torch.get_rng_state()
    v.elbo(model, x, batch_size=4)
    assert torch.equal(torch.get_rng_state(), before)
    assert model.training


def test_a_panel_action_built_on_trained_retrains_with_the_readers_values():
    controls = {
        "latent_size": W.IntSlider(value=2, min=2, max=32),
        "beta": W.FloatSlider(value=1.0, min=0.0, max=4.0),
    }
    calls = []

    def action(**values):
        run = trained(v.book_vae(**values, **TINY), device="cpu", progress=False)
        calls.append((run.model.latent_size, run.settings.beta, run.from_cache))

    panel = widgets.train_panel(controls, action)
    controls["latent_size"].value = 3
    panel.button.click()
    panel.button.click()
    assert calls == [(3, 1.0, False), (3, 1.0, True)]
    assert cache_path(v.book_vae(latent_size=3, **TINY)).exists()


# ----------------------------------------------------------------------------- measures


def test_interpolation_starts_and_ends_at_the_two_codes():
    torch.manual_seed(0)
    vae = v.VAE(latent_size=3).eval()
    a, b = torch.rand(2, 1, 28, 28)
    path = v.interpolate(vae, a, b, steps=5)
    assert path.shape == (5, 1, 28, 28)
    assert torch.allclose(path[0], reconstruct(vae, a[None])[0], atol=1e-6)
    assert torch.allclose(path[-1], reconstruct(vae, b[None])[0], atol=1e-6)
    with pytest.raises(ValueError, match="steps"):
        v.interpolate(vae, a, b, steps=1)


def test_latent_grid_covers_equal_prior_mass_in_scatter_orientation():
    vae = v.VAE(latent_size=2).eval()
    decoded_at = []
    vae.decode = lambda z: decoded_at.append(z) or torch.zeros(len(z), 1, 28, 28)
    images = v.latent_grid(vae, n=3, quantile=0.5)
    assert images.shape == (9, 1, 28, 28)
    z = decoded_at[0]
    q = 0.6744897501960817  # the 75 % point of N(0, 1)
    # top left: z1 low, z2 high; bottom right: the other way round
    assert torch.allclose(z[0], torch.tensor([-q, q]), atol=1e-5)
    assert torch.allclose(z[8], torch.tensor([q, -q]), atol=1e-5)
    assert torch.allclose(z[4], torch.zeros(2), atol=1e-6)
    with pytest.raises(ValueError, match="latent_size=2"):
        v.latent_grid(v.VAE(latent_size=3))
    with pytest.raises(ValueError, match="quantile"):
        v.latent_grid(vae, quantile=1.0)


def test_decoded_samples_come_from_both_decoders_in_tanh_scale():
    torch.manual_seed(0)
    autoencoder, vae = MLPAutoencoder().eval(), v.VAE().eval()
    real = torch.rand(64, 1, 28, 28) * 2 - 1
    ae_images, vae_images = v.decoded_samples(
        autoencoder, vae, real, 10, torch.Generator().manual_seed(7), batch_size=4
    )
    assert ae_images.shape == vae_images.shape == (10, 1, 28, 28)
    assert ae_images.min() >= -1 and ae_images.max() <= 1
    assert vae_images.min() >= -1 and vae_images.max() <= 1
    # the VAE's samples are its decoded prior draws, after the autoencoder's
    with torch.no_grad():
        generator = torch.Generator().manual_seed(7)
        torch.randn(10, autoencoder.code_size, generator=generator)
        z = torch.randn(10, vae.latent_size, generator=generator)
        expected = vae.decode(z) * 2 - 1
    # batches of 4 against one batch of 10: the same numbers up to summation order
    assert torch.allclose(vae_images, expected, atol=1e-6)
    again = v.decoded_samples(
        autoencoder, vae, real, 10, torch.Generator().manual_seed(7)
    )
    assert torch.allclose(again[0], ae_images, atol=1e-6)
    assert torch.allclose(again[1], vae_images, atol=1e-6)
