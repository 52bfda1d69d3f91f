import math

import ipywidgets as W
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from helpers import autoencoders as ae
from helpers import widgets
from helpers.checkpoints import cache_path

TINY_AE = dict(epochs=1, limit=256, batch_size=64)


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    monkeypatch.setenv("GANBOOK_BUDGET", "quick")
    yield
    plt.close("all")


# ----------------------------------------------------------------------------- models


def test_mlp_autoencoder_shapes_and_ranges():
    model = ae.MLPAutoencoder()
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    code, recon = model(x)
    assert code.shape == (5, 3) and recon.shape == (5, 1, 28, 28)
    assert recon.min() >= -1 and recon.max() <= 1
    linears = [m for m in model.encoder if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 128), (128, 64), (64, 12), (12, 3)]
    assert isinstance(model.decoder[-1], nn.Tanh)
    assert not isinstance(model.encoder[-1], nn.ReLU)  # codes may be negative
    with pytest.raises(ValueError, match="layers"):
        ae.MLPAutoencoder((100, 3))


def test_conv_autoencoder_shapes_match_the_comments():
    model = ae.ConvAutoencoder()
    x = torch.zeros(2, 1, 28, 28)
    encoder = [s for _, _, s in ae.trace_shapes(model.encoder, x)]
    assert encoder == [(2, 16, 10, 10), (2, 16, 10, 10), (2, 16, 5, 5), (2, 8, 3, 3), (2, 8, 3, 3), (2, 8, 2, 2)]
    decoder = [(layer, shape) for _, layer, shape in ae.trace_shapes(model.decoder, model.encode(x))]
    assert [s for _, s in decoder][::2] == [(2, 16, 5, 5), (2, 8, 15, 15), (2, 1, 28, 28)]
    assert decoder[-1][0] == "Tanh"
    assert model.encode(x).flatten(1).shape[1] == model.code_size == 32


def test_vae_shapes_and_sampling_range():
    torch.manual_seed(0)
    model = ae.VAE()
    logits, mean, logvar = model(torch.rand(4, 1, 28, 28))
    assert logits.shape == (4, 1, 28, 28) and mean.shape == logvar.shape == (4, 20)
    samples = model.sample(6, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (6, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    again = model.sample(6, generator=torch.Generator().manual_seed(1))
    assert torch.equal(samples, again)
    with pytest.raises(ValueError, match="latent_size"):
        ae.VAE(latent_size=0)


# ----------------------------------------------------------------------------- losses


def test_reparameterise_has_the_right_moments_and_gradients():
    torch.manual_seed(0)
    mean = torch.full((200_000, 1), 1.5, requires_grad=True)
    logvar = torch.full((200_000, 1), math.log(0.25), requires_grad=True)
    z = ae.reparameterise(mean, logvar)
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
    assert torch.allclose(ae.kl_to_standard_normal(mean, logvar), expected, atol=1e-5)
    assert torch.all(ae.kl_to_standard_normal(torch.zeros(3, 4), torch.zeros(3, 4)) == 0)
    assert torch.all(ae.kl_to_standard_normal(mean, logvar) > 0)


def test_vae_loss_is_bce_plus_beta_times_kl():
    torch.manual_seed(0)
    x = torch.rand(3, 1, 28, 28)
    logits, mean, logvar = torch.randn(3, 1, 28, 28), torch.randn(3, 2), torch.randn(3, 2)
    out = ae.vae_loss(logits, x, mean, logvar, beta=0.5)
    p = torch.sigmoid(logits)
    bce = -(x * p.log() + (1 - x) * (1 - p).log()).sum((1, 2, 3)).mean()
    assert torch.allclose(out["reconstruction"], bce, rtol=1e-4)
    assert torch.allclose(out["loss"], out["reconstruction"] + 0.5 * out["kl"])


# ----------------------------------------------------------------------------- settings


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="kind"):
        ae.AESettings(kind="rnn")
    with pytest.raises(ValueError, match="lr"):
        ae.AESettings(lr=0)
    with pytest.raises(ValueError, match="epochs"):
        ae.VAESettings(epochs=-1)
    with pytest.raises(ValueError, match="beta"):
        ae.VAESettings(beta=-1)
    with pytest.raises(ValueError, match="latent_size"):
        ae.VAESettings(latent_size=0)
    with pytest.raises(ValueError, match="limit"):
        ae.VAESettings(limit=0)


def test_budget_settings_and_the_matching_autoencoder():
    quick = ae.vae_settings()
    assert quick.limit is not None and quick.epochs >= 1
    assert ae.vae_settings(beta=2.0).beta == 2.0
    match = quick.matching_autoencoder()
    assert match.layers == (784, 400, 20) and match.epochs == quick.epochs and match.limit == quick.limit
    assert ae.autoencoder_settings().layers == (784, 128, 64, 12, 3)


# ----------------------------------------------------------------------------- training


def test_training_lowers_the_loss_and_repeats_under_a_seed():
    settings = ae.AESettings(epochs=3, limit=256, batch_size=32)
    test, _ = ae.mnist(train=False, scale="tanh", device="cpu", limit=200)
    untrained = ae._build(settings, "cpu")
    model, history = ae.train_and_cache(settings, device="cpu", progress=False)
    assert history.steps == 3 * 8 and not history.stopped
    assert ae.pixel_mse(model, test) < ae.pixel_mse(untrained, test)
    again, _ = ae.train_and_cache(settings, device="cpu", progress=False)
    for a, b in zip(model.parameters(), again.parameters()):
        assert torch.equal(a, b)


def test_trained_models_come_back_from_the_cache():
    settings = ae.AESettings(kind="conv", **TINY_AE)
    model, _ = ae.train_and_cache(settings, device="cpu", progress=False)
    assert cache_path("conv-autoencoder", ae.asdict(settings)).exists()
    loaded = ae.trained_mlp_autoencoder(settings, device="cpu")  # no training: from the cache
    assert isinstance(loaded, ae.ConvAutoencoder)
    for a, b in zip(model.parameters(), loaded.parameters()):
        assert torch.equal(a, b)
    vae_settings = ae.VAESettings(latent_size=2, **TINY_AE)
    vae = ae.trained_vae(vae_settings, device="cpu")  # trains now, then caches
    assert cache_path("vae", ae.asdict(vae_settings)).exists()
    again = ae.trained_vae(vae_settings, device="cpu")
    assert torch.equal(vae.to_mean.weight, again.to_mean.weight)


def test_vae_training_gives_a_finite_elbo_with_its_parts():
    settings = ae.VAESettings(latent_size=4, hidden=64, **TINY_AE)
    model, history = ae.train_and_cache(settings, device="cpu", progress=False)
    assert set(history.losses) == {"loss", "reconstruction", "kl"}
    test, _ = ae.mnist(train=False, scale="unit", device="cpu", limit=100)
    result = ae.elbo(model, test)
    assert result["elbo"] < 0 and result["kl"] >= 0
    assert math.isclose(result["elbo"], -(result["reconstruction"] + result["kl"]))
    assert result == ae.elbo(model, test)  # seeded: the same z samples each call
    assert 0 < ae.pixel_mse(model, test) < 1


# ----------------------------------------------------------------------------- evaluation


def test_reconstruct_and_encode_batch_consistently():
    torch.manual_seed(0)
    model = ae.MLPAutoencoder().eval()
    x = torch.rand(25, 1, 28, 28) * 2 - 1
    codes = ae.encode_all(model, x, batch_size=7)
    assert torch.allclose(codes, model.encode(x), atol=1e-6)
    assert torch.allclose(ae.reconstruct(model, x, batch_size=7), model(x)[1], atol=1e-6)
    vae = ae.VAE(latent_size=3).eval()
    assert torch.allclose(ae.encode_all(vae, x), vae.encode(x)[0], atol=1e-6)  # the mean, no noise


def test_pixel_mse_is_on_the_unit_scale():
    class Constant(nn.Module):
        scale = "tanh"

        def encode(self, x):
            return x.flatten(1)[:, :1]

        def decode(self, code):
            return torch.zeros(len(code), 1, 28, 28)

    x = torch.ones(4, 1, 28, 28)  # white in [-1, 1]: 0.5 away from grey on the [0, 1] scale
    assert ae.pixel_mse(Constant(), x) == pytest.approx(0.25)
    assert torch.equal(ae.to_unit(torch.tensor([-1.0, 1.0]), "tanh"), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="scale"):
        ae.to_unit(x, "bytes")


def test_random_codes_follow_the_codes_statistics():
    codes = torch.randn(5000, 3) * torch.tensor([1.0, 2.0, 0.5]) + torch.tensor([3.0, -1.0, 0.0])
    drawn = ae.random_codes(codes, 20000, torch.Generator().manual_seed(0))
    assert drawn.shape == (20000, 3)
    assert torch.allclose(drawn.mean(0), codes.mean(0), atol=0.05)
    assert torch.allclose(drawn.std(0), codes.std(0), rtol=0.05)
    with pytest.raises(ValueError, match="n=0"):
        ae.random_codes(codes, 0)


def test_random_codes_with_full_covariance_keep_the_correlations():
    mixing = torch.tensor([[1.0, 0.8, 0.0], [0.0, 0.6, 0.3], [0.0, 0.0, 0.5]])
    codes = torch.randn(20000, 3, generator=torch.Generator().manual_seed(1)) @ mixing + 2.0
    drawn = ae.random_codes(codes, 20000, torch.Generator().manual_seed(0), full_covariance=True)
    assert torch.allclose(drawn.mean(0), codes.mean(0), atol=0.05)
    assert torch.allclose(torch.cov(drawn.T), torch.cov(codes.T), atol=0.05)
    independent = ae.random_codes(codes, 20000, torch.Generator().manual_seed(0))
    assert torch.cov(independent.T)[0, 1].abs() < 0.05 < torch.cov(codes.T)[0, 1]  # the default drops them


def test_interpolation_starts_and_ends_at_the_two_codes():
    torch.manual_seed(0)
    vae = ae.VAE(latent_size=3).eval()
    a, b = torch.rand(2, 1, 28, 28)
    path = ae.interpolate(vae, a, b, steps=5)
    assert path.shape == (5, 1, 28, 28)
    assert torch.allclose(path[0], ae.reconstruct(vae, a[None])[0], atol=1e-6)
    assert torch.allclose(path[-1], ae.reconstruct(vae, b[None])[0], atol=1e-6)
    with pytest.raises(ValueError, match="steps"):
        ae.interpolate(vae, a, b, steps=1)


def test_latent_grid_covers_equal_prior_mass_in_scatter_orientation():
    vae = ae.VAE(latent_size=2).eval()
    decoded_at = []
    vae.decode = lambda z: decoded_at.append(z) or torch.zeros(len(z), 1, 28, 28)
    images = ae.latent_grid(vae, n=3, quantile=0.5)
    assert images.shape == (9, 1, 28, 28)
    z = decoded_at[0]
    q = 0.6744897501960817  # the 75 % point of N(0, 1)
    assert torch.allclose(z[0], torch.tensor([-q, q]), atol=1e-5)  # top left: z1 low, z2 high
    assert torch.allclose(z[8], torch.tensor([q, -q]), atol=1e-5)  # bottom right
    assert torch.allclose(z[4], torch.zeros(2), atol=1e-6)
    with pytest.raises(ValueError, match="latent_size=2"):
        ae.latent_grid(ae.VAE(latent_size=3))
    with pytest.raises(ValueError, match="quantile"):
        ae.latent_grid(vae, quantile=1.0)


# ----------------------------------------------------------------------------- figures and panels


def test_figures_draw():
    codes, labels = torch.randn(50, 3), torch.arange(50) % 10
    assert ae.plot_codes_3d(codes, labels).axes[0].name == "3d"
    assert ae.plot_codes_2d(codes[:, :2], labels).get_xlabel() == "$z_1$"
    with pytest.raises(ValueError, match="3 columns"):
        ae.plot_codes_3d(codes[:, :2], labels)
    with pytest.raises(ValueError, match="2 columns"):
        ae.plot_codes_2d(codes, labels)


def test_the_vae_panel_retrains_with_the_readers_values():
    controls = {
        "latent_size": W.IntSlider(value=2, min=2, max=32),
        "epochs": W.IntSlider(value=1, min=1, max=20),
        "lr": W.FloatLogSlider(value=1e-3, base=10, min=-4, max=-2),
        "beta": W.FloatSlider(value=1.0, min=0.0, max=4.0),
    }
    calls = []

    def action(**values):
        model, history = ae.train_and_show_vae(**values, limit=128, progress=False)
        calls.append((model.latent_size, history.epochs_done))

    panel = widgets.train_panel(controls, action)
    controls["latent_size"].value = 3
    panel.button.click()
    assert calls == [(3, 1)]
    assert cache_path("vae", ae.asdict(ae.vae_settings(latent_size=3, epochs=1, limit=128))).exists()


def test_the_autoencoder_panel_action_trains_draws_and_caches_for_later_chapters():
    model, history = ae.train_and_show_autoencoder(code_size=16, epochs=1, lr=1e-3, limit=128, progress=False)
    assert model.layers == (784, 128, 64, 16, 16) and history.epochs_done == 1
    assert len(plt.gcf().axes) == 3
    # the chapter's main model is what autoencoder_settings() names, so later chapters find it
    chapter, _ = ae.train_and_show_autoencoder(code_size=3, epochs=1, lr=1e-3, limit=128, progress=False)
    again = ae.trained_mlp_autoencoder(ae.autoencoder_settings(epochs=1, limit=128), device="cpu")
    assert all(torch.equal(a.cpu(), b) for a, b in zip(chapter.parameters(), again.parameters()))


def test_small_utilities():
    table = ae.markdown_table(["model", "mse", "n"], [["mlp", 0.0123456, 12345]])
    assert table.splitlines() == ["| model | mse | n |", "|---|---|---|", "| mlp | 0.01235 | 12,345 |"]
    with pytest.raises(ValueError, match="rows"):
        ae.markdown_table(["a", "b"], [[1]])
    assert ae.mid_grey_fraction(torch.tensor([0.0, 0.5, 1.0, 0.3])) == 0.5
    assert ae.count_parameters(nn.Linear(3, 2)) == 8


def test_code_gap_measures_real_and_random_codes_against_the_second_half():
    codes = torch.tensor([[0.0], [10.0], [1.0], [11.0]])  # reference: the second half, [1] and [11]
    drawn = torch.tensor([[5.0], [100.0], [7.0]])  # only as many as the first half are used
    real_gap, random_gap = ae.code_gap(codes, drawn)
    assert real_gap == pytest.approx(1.0)  # 0 -> 1 and 10 -> 11
    assert random_gap == pytest.approx(4.0)  # 5 -> 1 (4), 100 -> 11 (89): torch.median takes the lower middle
    with pytest.raises(ValueError, match="at least 2"):
        ae.code_gap(codes[:1], drawn)


def test_decoded_samples_come_from_both_decoders_in_tanh_scale():
    torch.manual_seed(0)
    autoencoder, vae = ae.MLPAutoencoder().eval(), ae.VAE().eval()
    real = torch.rand(64, 1, 28, 28) * 2 - 1
    ae_images, vae_images = ae.decoded_samples(autoencoder, vae, real, 10, torch.Generator().manual_seed(7),
                                               batch_size=4)
    assert ae_images.shape == vae_images.shape == (10, 1, 28, 28)
    assert ae_images.min() >= -1 and ae_images.max() <= 1 and vae_images.min() >= -1 and vae_images.max() <= 1
    with torch.no_grad():  # the VAE's samples are its decoded prior draws, after the autoencoder's
        generator = torch.Generator().manual_seed(7)
        torch.randn(10, autoencoder.code_size, generator=generator)
        expected = vae.decode(torch.randn(10, vae.latent_size, generator=generator)) * 2 - 1
    assert torch.allclose(vae_images, expected)
    again = ae.decoded_samples(autoencoder, vae, real, 10, torch.Generator().manual_seed(7))
    assert torch.equal(again[0], ae_images) and torch.equal(again[1], vae_images)
