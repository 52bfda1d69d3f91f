import dataclasses
import math
import random

import numpy as np
import pytest
import torch
from torch import nn

from helpers import gan
from helpers.cache import cache_path, trained
from helpers.config import BUDGETS
from helpers.data import BatchIterator
from helpers.gan import (
    GAN,
    MLP_VARIANTS,
    GANLoss,
    MLPDiscriminator,
    MLPGANSettings,
    MLPGenerator,
    ToyGANSettings,
    bce_loss,
    best_discriminator_accuracy,
    book_mlp_gan,
    gan_loss,
    least_squares_loss,
    linear_gaussian,
    make_gan_step,
    sample,
    step_flops,
    toy_discriminator,
    toy_gaussian_data,
    toy_generator,
    train_gan,
    uniform_noise,
)
from helpers.training import fit, seeded


def toy_run(seed: int = 0, loss: GANLoss | None = None, noise=None, n: int = 64):
    """A tiny toy GAN set-up on the CPU: models, optimisers, batches and noise."""
    torch.manual_seed(seed)
    data, _, _ = toy_gaussian_data(n, seed=seed)
    generator, discriminator = toy_generator(), toy_discriminator()
    opt_g = torch.optim.Adam(generator.parameters(), lr=0.005)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=0.05)
    batches = BatchIterator(data, batch_size=8, seed=seed)
    return dict(
        generator=generator,
        discriminator=discriminator,
        loss=loss or bce_loss(),
        opt_g=opt_g,
        opt_d=opt_d,
        batches=batches,
        noise=noise or (lambda k: torch.randn(k, 2)),
    )


def weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b))


# ------------------------------------------------------------------------------ losses


def test_bce_loss_at_the_equilibrium_is_ln4_and_ln2():
    loss = bce_loss()
    zeros = torch.zeros(16, 1)  # sigmoid(0) = 1/2: D cannot tell
    assert loss.name == "bce"
    assert loss.discriminator(zeros, zeros).item() == pytest.approx(math.log(4))
    assert loss.generator(zeros).item() == pytest.approx(math.log(2))


def test_bce_loss_matches_its_formula_and_smooths_only_real_labels():
    real, fake = torch.tensor([[2.0], [-1.0]]), torch.tensor([[0.5], [-3.0]])
    s = torch.sigmoid
    for label in (1.0, 0.9):
        expected_d = (
            -(label * torch.log(s(real)) + (1 - label) * torch.log(1 - s(real))).mean()
            - torch.log(1 - s(fake)).mean()
        )
        loss = bce_loss(label)
        assert loss.discriminator(real, fake).item() == pytest.approx(
            expected_d.item(), rel=1e-6
        )
        assert loss.generator(fake).item() == pytest.approx(
            -torch.log(s(fake)).mean().item(), rel=1e-6
        )
    assert bce_loss(0.9).name == "bce(real_label=0.9)"


@pytest.mark.parametrize("label", [0.5, 0.2, 1.1])
def test_bce_loss_rejects_labels_out_of_range(label):
    with pytest.raises(
        ValueError, match=r"real_label=.*allowed: 0.5 < real_label <= 1"
    ):
        bce_loss(label)


def test_least_squares_loss_matches_its_formula():
    loss = least_squares_loss()
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 2.0])
    # D: ½ mean((real-1)²) + ½ mean(fake²) = ½·2 + ½·2; G: ½ mean((fake-1)²) = ½·1
    assert loss.discriminator(real, fake).item() == pytest.approx(2.0)
    assert loss.generator(fake).item() == pytest.approx(0.5)
    assert loss.discriminator(torch.ones(3), torch.zeros(3)).item() == 0.0
    assert loss.name == "least_squares"


def test_uniform_noise_range_shape_and_seed():
    z = uniform_noise(1000, 7)
    assert z.shape == (1000, 7) and z.min() >= -1 and z.max() <= 1
    assert abs(z.mean().item()) < 0.05 and z.min() < -0.95 and z.max() > 0.95
    a = uniform_noise(4, 3, generator=torch.Generator().manual_seed(1))
    b = uniform_noise(4, 3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="dim=0"):
        uniform_noise(4, 0)


# --------------------------------------------------------------- the step and the loop


def test_one_step_changes_d_only_in_the_d_step_and_g_only_in_the_g_step():
    run = toy_run()
    G, D = run["generator"], run["discriminator"]
    seen = {}

    def after_d_step(optimizer, args, kwargs):
        seen["after_d"] = (weights(G), weights(D))

    def after_g_step(optimizer, args, kwargs):
        seen["after_g"] = (weights(G), weights(D))

    run["opt_d"].register_step_post_hook(after_d_step)
    run["opt_g"].register_step_post_hook(after_g_step)
    g0, d0 = weights(G), weights(D)
    calls = {"G": 0}
    G.register_forward_hook(lambda *_: calls.__setitem__("G", calls["G"] + 1))
    step = make_gan_step(G, D, run["loss"], run["opt_g"], run["opt_d"], run["noise"])
    losses = step(next(iter(run["batches"])))

    g_after_d, d_after_d = seen["after_d"]
    g_after_g, d_after_g = seen["after_g"]
    assert same(g_after_d, g0) and not same(d_after_d, d0)  # D step: only D moved
    assert same(d_after_g, d_after_d) and not same(
        g_after_g, g0
    )  # G step: only G moved
    assert calls["G"] == 1  # one generator call: the G step reuses the D step's fakes
    assert set(losses) == {"d", "g", "d_real", "d_fake"}
    assert not any(value.requires_grad for value in losses.values())


def test_the_step_reports_d_outputs_as_probabilities_before_d_moves():
    run = toy_run()
    G, D = run["generator"], run["discriminator"]
    batch = next(iter(run["batches"]))
    noise = torch.randn(len(batch[0]), 2, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():  # what D says before its step, on these reals and fakes
        expected_real = D(batch[0]).sigmoid().mean()
        expected_fake = D(G(noise)).sigmoid().mean()
    step = make_gan_step(
        G, D, run["loss"], run["opt_g"], run["opt_d"], lambda n: noise[:n]
    )
    reported = step(batch)
    assert torch.isclose(reported["d_real"], expected_real)
    assert torch.isclose(reported["d_fake"], expected_fake)
    assert 0 < reported["d_fake"] < 1 and 0 < reported["d_real"] < 1


def test_d_step_does_not_backpropagate_into_the_generator():
    run = toy_run()
    G, D = run["generator"], run["discriminator"]
    grads = {}
    run["opt_d"].register_step_pre_hook(
        lambda *_: grads.__setitem__("g", [p.grad for p in G.parameters()])
    )
    step = make_gan_step(G, D, run["loss"], run["opt_g"], run["opt_d"], run["noise"])
    step(next(iter(run["batches"])))
    assert all(g is None for g in grads["g"])  # fake.detach(): no gradient reached G


def test_train_gan_records_losses_and_fixed_noise_samples():
    run = toy_run()
    fixed = torch.randn(10, 2)
    history = train_gan(**run, epochs=3, fixed_noise=fixed, progress=False)
    assert (
        history.steps == 3 * 8 and history.epochs_done == 3 and history.stopped is None
    )
    assert len(history.losses["d"]) == len(history.losses["g"]) == 24
    assert len(history.per_epoch["samples"]) == 3
    last = history.per_epoch["samples"][-1]
    assert (
        last.shape == (10, 2) and last.device.type == "cpu" and not last.requires_grad
    )
    assert torch.allclose(last, run["generator"](fixed).detach())
    assert history.seconds > 0


def test_train_gan_is_deterministic_under_a_seed():
    results = []
    for _ in range(2):
        run = toy_run(seed=3)
        history = train_gan(**run, epochs=2, progress=False)
        results.append(
            (
                weights(run["generator"]) + weights(run["discriminator"]),
                history.losses["d"],
            )
        )
    assert same(results[0][0], results[1][0]) and results[0][1] == results[1][1]


def test_train_gan_stops_on_nan_and_keeps_the_last_good_weights(capsys):
    calls = {"n": 0}
    bce = bce_loss()

    def generator_loss(fake_scores):
        calls["n"] += 1
        value = bce.generator(fake_scores)
        return value * float("nan") if calls["n"] == 15 else value

    poisoned = GANLoss("poisoned", bce.discriminator, generator_loss)
    run = toy_run(seed=1, loss=poisoned, n=400)
    history = train_gan(**run, epochs=1, progress=False)
    assert history.stopped == "diverged at step 15: g not finite"
    assert "diverged at step 15" in capsys.readouterr().out
    # Losses are checked every 10 steps, so the models are back at their weights
    # after step 10.
    reference = toy_run(seed=1, n=400)
    train_gan(**reference, epochs=1, max_steps=10, progress=False)
    assert same(weights(run["generator"]), weights(reference["generator"]))
    assert same(weights(run["discriminator"]), weights(reference["discriminator"]))


def test_train_gan_returns_the_history_on_interrupt(capsys):
    calls = {"n": 0}

    def noise(k):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return torch.randn(k, 2)

    run = toy_run(noise=noise)
    history = train_gan(**run, epochs=5, progress=False)
    assert history.stopped == "interrupted at step 5"
    assert len(history.losses["d"]) == 5
    assert "interrupted at step 5" in capsys.readouterr().out


def test_max_steps_limits_the_run():
    history = train_gan(**toy_run(), epochs=10, max_steps=11, progress=False)
    assert history.steps == 11


# ------------------------------------------------------------------------- the toy GAN


def test_toy_data_is_the_affine_gaussian():
    data, A, b = toy_gaussian_data(20000, seed=0)
    assert data.shape == (20000, 2)
    assert torch.allclose(data.mean(0), b, atol=0.05)
    assert torch.allclose(torch.cov(data.T), A.T @ A, atol=0.1)
    assert torch.equal(toy_gaussian_data(5, seed=2)[0], toy_gaussian_data(5, seed=2)[0])


def test_toy_models_shapes_and_initialisation():
    G, D = toy_generator(), toy_discriminator()
    assert G(torch.randn(4, 2)).shape == (4, 2) and D(torch.randn(4, 2)).shape == (4, 1)
    assert torch.all(G.bias == 0) and G.weight.abs().max() < 0.1


def test_linear_gaussian_is_the_mean_and_covariance_of_the_outputs():
    torch.manual_seed(0)
    G = nn.Linear(2, 2)
    mean, cov = linear_gaussian(G)
    with torch.no_grad():
        x = G(torch.randn(200_000, 2))
    assert torch.allclose(mean, x.mean(0), atol=0.02)
    assert torch.allclose(cov, torch.cov(x.T), atol=0.02)


def test_best_discriminator_accuracy_closed_forms():
    eye, zero = torch.eye(2), torch.zeros(2)
    assert best_discriminator_accuracy(zero, eye, zero, eye) == pytest.approx(
        0.5, abs=0.003
    )
    # Equal covariances, means delta apart: accuracy Phi(delta / 2).
    for delta in (0.5, 2.0):
        phi = 0.5 * (1 + math.erf(delta / 2 / math.sqrt(2)))
        shifted = torch.tensor([delta, 0.0])
        assert best_discriminator_accuracy(zero, eye, shifted, eye) == pytest.approx(
            phi, abs=0.004
        )
    with pytest.raises(ValueError, match="samples=0"):
        best_discriminator_accuracy(zero, eye, zero, eye, samples=0)


def test_best_discriminator_accuracy_against_a_collapsed_generator():
    # A generator that maps 2-d noise onto a line (A of rank one): its covariance is
    # singular, as PyTorch 2.9 computed it in Colab (a slightly negative determinant).
    eye, zero = torch.eye(2), torch.zeros(2)
    line = torch.tensor([[0.3535, 0.6829], [0.6829, 1.3189]])
    assert torch.linalg.det(line) < 0
    assert best_discriminator_accuracy(zero, eye, zero, line) == 1.0
    assert best_discriminator_accuracy(zero, line, zero, eye) == 1.0
    with pytest.raises(ValueError, match="both singular"):
        best_discriminator_accuracy(zero, line, zero, line)


# -------------------------------------------------------------------------- MNIST MLPs


def test_mlp_variants_shapes_ranges_and_sizes():
    source = MLPGANSettings().build()
    G, D = source.generator, source.discriminator
    assert G.noise_dim == 96 == MLPGANSettings().noise_dim
    images = G(uniform_noise(5, 96))
    assert images.shape == (5, 1, 28, 28) and images.abs().max() <= 1
    assert D(images).shape == (5, 1)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(G) == 96 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 784 + 784
    assert count(D) == 784 * 256 + 256 + 256 * 256 + 256 + 257
    dropout = MLPGANSettings(variant="dropout")
    G2, D2 = dropout.build().generator, dropout.build().discriminator
    assert dropout.noise_dim == 100 and G2.noise_dim == 100
    assert sum(isinstance(m, nn.Dropout) for m in G2.modules()) == 3
    assert sum(isinstance(m, nn.Dropout) for m in D2.modules()) == 3
    assert MLPGANSettings(noise_dim=10).build().generator.noise_dim == 10
    assert set(MLP_VARIANTS) == {"source", "dropout"}
    # One change at a time: the source's networks, with dropout after every hidden layer
    with_dropout = MLPGANSettings(dropout=0.2).build()
    for net, plain in ((with_dropout.generator, G), (with_dropout.discriminator, D)):
        rates = [m.p for m in net.modules() if isinstance(m, nn.Dropout)]
        assert rates == [0.2, 0.2] and count(net) == count(plain)
    assert "dropout 0.2" in MLPGANSettings(dropout=0.2).describe()
    none = MLPGANSettings(variant="dropout", dropout=0.0).build()
    assert not any(isinstance(m, nn.Dropout) for m in none.modules())


def test_mlp_arguments_are_checked():
    with pytest.raises(ValueError, match="variant='huge'.*allowed: source, dropout"):
        MLPGANSettings(variant="huge")
    with pytest.raises(ValueError, match="dropout=1.5"):
        MLPGenerator(dropout=1.5)
    with pytest.raises(ValueError, match="negative_slope=-0.1"):
        MLPDiscriminator(negative_slope=-0.1)
    with pytest.raises(ValueError, match="noise_dim=0"):
        MLPGenerator(noise_dim=0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lr_d": 0}, "lr_d=0 is out of range; allowed: lr_d > 0"),
        ({"lr_g": -1e-3}, "lr_g=-0.001 is out of range; allowed: lr_g > 0"),
        ({"betas": (0.5, 1.0)}, r"betas=\(0.5, 1.0\) is out of range"),
        ({"betas": (-0.1, 0.9)}, r"betas=\(-0.1, 0.9\) is out of range"),
        ({"betas": (0.5,)}, r"betas=\(0.5,\) is out of range"),
        ({"epochs": None}, "epochs=None, steps=None: give exactly one budget"),
        ({"epochs": 2, "steps": 10}, "epochs=2, steps=10: give exactly one budget"),
        ({"epochs": 0}, "epochs=0 is out of range; allowed: 1 to 1000"),
        ({"epochs": None, "steps": 0}, r"steps=0 is out of range"),
        ({"variant": "big"}, "variant='big' is not known; allowed: source, dropout"),
        ({"loss": "wasserstein"}, "loss='wasserstein' is not known"),
        ({"real_label": 0.4}, "real_label=0.4 is out of range"),
        ({"loss": "least_squares", "real_label": 0.9}, "real_label=0.9 applies"),
        ({"limit": 0}, "limit=0 is out of range"),
        ({"limit": -5}, "limit=-5 is out of range"),
        ({"limit": 100, "batch_size": 128}, "batch_size=128 is out of range"),
        ({"noise_dim": 0}, "noise_dim=0 is out of range"),
        ({"dropout": 1.0}, r"dropout=1.0 is out of range; allowed: 0 <= dropout < 1"),
        ({"dropout": -0.1}, r"dropout=-0.1 is out of range"),
    ],
)
def test_mlp_gan_settings_name_the_bad_field(values, message):
    with pytest.raises(ValueError, match=message):
        MLPGANSettings(**values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lr_d": 0.0}, "lr_d=0.0 is out of range; allowed: lr_d > 0"),
        ({"lr_g": 0}, "lr_g=0 is out of range; allowed: lr_g > 0"),
        ({"betas": (0.9, 1.5)}, r"betas=\(0.9, 1.5\) is out of range"),
        ({"epochs": 0}, "epochs=0 is out of range; allowed: 1 to 1000"),
        ({"epochs": 1001}, "epochs=1001 is out of range"),
        ({"batch_size": 2000}, "batch_size=2000 is out of range"),
    ],
)
def test_toy_gan_settings_name_the_bad_field(values, message):
    with pytest.raises(ValueError, match=message):
        ToyGANSettings(**values)


def test_settings_are_frozen_and_steps_may_replace_epochs():
    settings = MLPGANSettings(epochs=None, steps=5)
    assert settings.steps == 5 and settings.epochs is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.lr_d = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ToyGANSettings().epochs = 3  # type: ignore[misc]


def test_gan_loss_by_name():
    assert gan_loss("bce").name == "bce"
    assert gan_loss("bce", 0.9).name == "bce(real_label=0.9)"
    assert gan_loss("least_squares").name == "least_squares"
    real, fake = torch.randn(6, 1), torch.randn(6, 1)
    for by_name, direct in (
        (gan_loss("bce", 0.9), bce_loss(0.9)),
        (gan_loss("least_squares"), least_squares_loss()),
    ):
        assert torch.equal(
            by_name.discriminator(real, fake), direct.discriminator(real, fake)
        )
        assert torch.equal(by_name.generator(fake), direct.generator(fake))
    with pytest.raises(ValueError, match="loss='hinge' is not known; allowed: bce"):
        gan_loss("hinge")
    with pytest.raises(ValueError, match="real_label=0.9 applies to the bce loss"):
        gan_loss("least_squares", 0.9)


def test_gan_module_holds_both_networks_and_generates():
    G, D = toy_generator(), toy_discriminator()
    pair = GAN(G, D)
    assert pair.generator is G and pair.discriminator is D
    z = torch.randn(4, 2)
    assert torch.equal(pair(z), G(z))
    keys = set(pair.state_dict())
    assert {"generator.weight", "generator.bias", "discriminator.0.weight"} <= keys
    assert len(list(pair.parameters())) == len(list(G.parameters())) + len(
        list(D.parameters())
    )
    pair.eval()
    assert not G.training and not D.training


@pytest.mark.parametrize("budget_name", ["quick", "full"])
def test_book_mlp_gan_follows_the_models_budget(monkeypatch, budget_name):
    monkeypatch.setenv("GANBOOK_BUDGET", budget_name)
    shared = BUDGETS["models"][budget_name]["mlp_gan"]
    settings = book_mlp_gan()
    assert settings == MLPGANSettings(epochs=shared["epochs"], limit=shared["limit"])
    assert settings.variant == "source" and settings.loss == "bce"
    lsgan = book_mlp_gan("least_squares")
    assert lsgan.loss == "least_squares" and lsgan.epochs == shared["epochs"]
    assert cache_path(lsgan) != cache_path(settings)


def test_step_flops_scale_with_the_batch_and_the_generator():
    small = MLPGANSettings(variant="dropout", batch_size=8)
    flops = step_flops(small)
    assert flops > 0
    # Every matrix product has one row per image: twice the batch, twice the FLOPs.
    doubled = step_flops(dataclasses.replace(small, batch_size=16))
    assert doubled / flops == pytest.approx(2.0, rel=0.01)
    assert step_flops(MLPGANSettings(batch_size=8)) > 5 * flops  # the source's big G
    wider_noise = step_flops(dataclasses.replace(small, noise_dim=400))
    assert wider_noise > flops


def fake_mnist(limit, device):
    """Stand-in digits in [-1, 1]: class k is a bright k-th band of rows, plus noise."""
    g = torch.Generator().manual_seed(0)
    n = limit or 256
    labels = torch.arange(n) % 10
    images = torch.rand(n, 1, 28, 28, generator=g) * 0.2 - 1
    for k in range(10):
        images[labels == k, :, 2 * k + 4 : 2 * k + 6, :] = 1.0
    return images.to(device)


@pytest.fixture
def tiny_mnist(monkeypatch, tmp_path):
    """A private cache folder and stand-in digits instead of MNIST."""
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    monkeypatch.setattr(gan, "_mnist_train", fake_mnist)
    return tmp_path


TINY = MLPGANSettings(variant="dropout", epochs=2, batch_size=64, limit=256, n_fixed=8)


def test_trained_mlp_gan_trains_once_then_loads(tiny_mnist):
    first = trained(TINY, device="cpu", progress=False)
    assert not first.from_cache and first.history.steps == 8
    assert len(first.history.per_epoch["samples"]) == 2
    assert first.history.per_epoch["samples"][0].shape == (8, 1, 28, 28)
    assert first.settings.loss == "bce" and first.settings.noise_dim == 100
    assert isinstance(first.model, GAN) and not first.model.training
    second = trained(TINY, device="cpu", progress=False)
    assert second.from_cache
    assert same(weights(first.model.generator), weights(second.model.generator))
    assert same(weights(first.model.discriminator), weights(second.model.discriminator))
    assert second.history.losses["g"] == first.history.losses["g"]
    assert torch.equal(
        second.history.per_epoch["samples"][1], first.history.per_epoch["samples"][1]
    )
    other = trained(  # another loss: another model
        dataclasses.replace(TINY, loss="least_squares"), device="cpu", progress=False
    )
    assert not other.from_cache and other.settings.loss == "least_squares"


def test_a_steps_budget_stops_mid_epoch(tiny_mnist):
    result = trained(
        dataclasses.replace(TINY, epochs=None, steps=6), device="cpu", progress=False
    )
    assert result.history.steps == 6 and result.history.stopped is None
    assert result.history.epochs_done == 2  # the cut epoch still gets its records


def test_a_diverged_mlp_gan_run_is_not_cached(tiny_mnist, capsys):
    huge = dataclasses.replace(TINY, lr_d=1e10, lr_g=1e10)  # the weights overflow
    result = trained(huge, device="cpu", progress=False)
    assert result.history.stopped.startswith("diverged") and not result.from_cache
    assert "mlp_gan: not cached (diverged" in capsys.readouterr().out
    assert list(tiny_mnist.iterdir()) == []
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


def test_sample_uses_eval_mode_and_restores_the_mode():
    with seeded(0):
        G = MLPGANSettings(variant="dropout").build().generator
    z = uniform_noise(3, 100)
    first, second = sample(G, z), sample(G, z)
    assert torch.equal(first, second)  # no dropout in eval mode
    assert G.training and first.device.type == "cpu"
    G.eval()
    sample(G, z, batch_size=2)
    assert not G.training
    assert torch.allclose(sample(G, z, batch_size=2), first, atol=1e-6)  # in pieces


# -------------------------------------------------------------- the toy GAN's settings


def test_toy_gan_settings_through_trained_equal_the_chapters_hand_written_loop(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    data, _, _ = toy_gaussian_data(1000, seed=0)
    # Chapter 5's loop, written out: the same seed, build order, batches and noise.
    with seeded(0):
        G, D = toy_generator(), toy_discriminator()
        opt_d = torch.optim.Adam(D.parameters(), lr=0.05)
        opt_g = torch.optim.Adam(G.parameters(), lr=0.005)
        batches = BatchIterator(data, batch_size=8, shuffle=True, seed=0)
        bce = bce_loss()

        def step(batch):
            real = batch[0]
            fake = G(torch.randn(len(real), 2))
            loss_d = bce.discriminator(D(real), D(fake.detach()))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = bce.generator(D(fake))
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            return {"d": loss_d.detach(), "g": loss_g.detach()}

        history = fit(step, batches, epochs=2, models=(G, D), progress=False)
    result = trained(ToyGANSettings(epochs=2), device="cpu", progress=False)
    assert same(weights(G) + weights(D), weights(result.model))
    assert result.history.losses["d"] == history.losses["d"]
    records = result.history.per_epoch
    assert len(records["mean"]) == len(records["d_spread"]) == 2
    assert torch.equal(records["mean"][-1], G.bias.detach())
    assert records["samples"][-1].shape == (300, 2)


def test_best_discriminator_accuracy_leaves_the_global_generators_alone():
    torch.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    states = torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()
    eye, zero = torch.eye(2), torch.zeros(2)
    best_discriminator_accuracy(zero, eye, zero + 1, eye, samples=1000)
    assert torch.equal(torch.get_rng_state(), states[0])
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert random.getstate() == states[2]
    a = best_discriminator_accuracy(zero, eye, zero + 1, eye, samples=1000, seed=3)
    b = best_discriminator_accuracy(zero, eye, zero + 1, eye, samples=1000, seed=3)
    assert a == b


def test_train_gan_adds_the_callers_epoch_records():
    run = toy_run()
    history = train_gan(
        **run,
        epochs=2,
        progress=False,
        on_epoch_end=lambda epoch: {"mean": linear_gaussian(run["generator"])[0]},
    )
    assert len(history.per_epoch["mean"]) == 2 and "samples" not in history.per_epoch
    assert torch.equal(history.per_epoch["mean"][-1], run["generator"].bias.detach())
