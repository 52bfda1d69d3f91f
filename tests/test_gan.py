import math

import pytest
import torch
from torch import nn

from helpers import gan
from helpers.data import BatchIterator
from helpers.gan import (
    GANLoss, MLPDiscriminator, MLPGenerator, bce_loss, best_discriminator_accuracy,
    least_squares_loss, linear_gaussian, make_gan_step, mlp_gan, sample, toy_discriminator,
    toy_gaussian_data, toy_generator, train_gan, trained_mlp_gan, uniform_noise,
)


def toy_run(seed: int = 0, loss: GANLoss | None = None, noise=None, n: int = 64):
    """A tiny toy GAN set-up on the CPU: models, optimisers, batches and noise."""
    torch.manual_seed(seed)
    data, _, _ = toy_gaussian_data(n, seed=seed)
    generator, discriminator = toy_generator(), toy_discriminator()
    opt_g = torch.optim.Adam(generator.parameters(), lr=0.005)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=0.05)
    batches = BatchIterator(data, batch_size=8, seed=seed)
    return dict(generator=generator, discriminator=discriminator, loss=loss or bce_loss(),
                opt_g=opt_g, opt_d=opt_d, batches=batches,
                noise=noise or (lambda k: torch.randn(k, 2)))


def weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b))


# ----------------------------------------------------------------------------- losses

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
        expected_d = (-(label * torch.log(s(real)) + (1 - label) * torch.log(1 - s(real))).mean()
                      - torch.log(1 - s(fake)).mean())
        loss = bce_loss(label)
        assert loss.discriminator(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-6)
        assert loss.generator(fake).item() == pytest.approx(-torch.log(s(fake)).mean().item(), rel=1e-6)
    assert bce_loss(0.9).name == "bce(real_label=0.9)"


@pytest.mark.parametrize("label", [0.5, 0.2, 1.1])
def test_bce_loss_rejects_labels_out_of_range(label):
    with pytest.raises(ValueError, match=r"real_label=.*allowed: 0.5 < real_label <= 1"):
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


# ----------------------------------------------------------------------------- the step and the loop

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
    assert same(d_after_g, d_after_d) and not same(g_after_g, g0)  # G step: only G moved
    assert calls["G"] == 1  # one generator call: the G step reuses the D step's fakes
    assert set(losses) == {"d", "g"} and not losses["d"].requires_grad


def test_d_step_does_not_backpropagate_into_the_generator():
    run = toy_run()
    G, D = run["generator"], run["discriminator"]
    grads = {}
    run["opt_d"].register_step_pre_hook(
        lambda *_: grads.__setitem__("g", [p.grad for p in G.parameters()]))
    step = make_gan_step(G, D, run["loss"], run["opt_g"], run["opt_d"], run["noise"])
    step(next(iter(run["batches"])))
    assert all(g is None for g in grads["g"])  # fake.detach(): no gradient reached G


def test_train_gan_records_losses_and_fixed_noise_samples():
    run = toy_run()
    fixed = torch.randn(10, 2)
    history = train_gan(**run, epochs=3, fixed_noise=fixed, progress=False)
    assert history.steps == 3 * 8 and history.epochs_done == 3 and history.stopped is None
    assert len(history.losses["d"]) == len(history.losses["g"]) == 24
    assert len(history.per_epoch["samples"]) == 3
    last = history.per_epoch["samples"][-1]
    assert last.shape == (10, 2) and last.device.type == "cpu" and not last.requires_grad
    assert torch.allclose(last, run["generator"](fixed).detach())
    assert history.seconds > 0


def test_train_gan_is_deterministic_under_a_seed():
    results = []
    for _ in range(2):
        run = toy_run(seed=3)
        history = train_gan(**run, epochs=2, progress=False)
        results.append((weights(run["generator"]) + weights(run["discriminator"]), history.losses["d"]))
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
    # Losses are checked every 10 steps, so the models are back at their weights after step 10.
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


# ----------------------------------------------------------------------------- the toy GAN

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
    assert best_discriminator_accuracy(zero, eye, zero, eye) == pytest.approx(0.5, abs=0.003)
    # Equal covariances, means delta apart: accuracy Phi(delta / 2).
    for delta in (0.5, 2.0):
        phi = 0.5 * (1 + math.erf(delta / 2 / math.sqrt(2)))
        shifted = torch.tensor([delta, 0.0])
        assert best_discriminator_accuracy(zero, eye, shifted, eye) == pytest.approx(phi, abs=0.004)
    with pytest.raises(ValueError, match="samples=0"):
        best_discriminator_accuracy(zero, eye, zero, eye, samples=0)


# ----------------------------------------------------------------------------- MNIST MLPs

def test_mlp_variants_shapes_ranges_and_sizes():
    G, D = mlp_gan("source")
    assert G.noise_dim == 96
    images = G(uniform_noise(5, 96))
    assert images.shape == (5, 1, 28, 28) and images.abs().max() <= 1
    assert D(images).shape == (5, 1)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(G) == 96 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 784 + 784
    assert count(D) == 784 * 256 + 256 + 256 * 256 + 256 + 257
    G2, D2 = mlp_gan("dropout")
    assert G2.noise_dim == 100 and sum(isinstance(m, nn.Dropout) for m in G2.modules()) == 3
    assert sum(isinstance(m, nn.Dropout) for m in D2.modules()) == 3
    assert mlp_gan("source", noise_dim=10)[0].noise_dim == 10


def test_mlp_arguments_are_checked():
    with pytest.raises(ValueError, match="variant='huge'.*allowed: source, dropout"):
        mlp_gan("huge")
    with pytest.raises(ValueError, match="dropout=1.5"):
        MLPGenerator(dropout=1.5)
    with pytest.raises(ValueError, match="negative_slope=-0.1"):
        MLPDiscriminator(negative_slope=-0.1)
    with pytest.raises(ValueError, match="noise_dim=0"):
        MLPGenerator(noise_dim=0)


def test_sample_uses_eval_mode_and_restores_training_mode():
    torch.manual_seed(0)
    G, _ = mlp_gan("dropout")
    z = uniform_noise(3, 100)
    first, second = sample(G, z), sample(G, z)
    assert torch.equal(first, second)  # no dropout in eval mode
    assert G.training and first.device.type == "cpu"


def fake_mnist(limit, device):
    """Stand-in digits: class k is a bright k-th band of rows on a dark background, plus noise."""
    g = torch.Generator().manual_seed(0)
    n = limit or 256
    labels = torch.arange(n) % 10
    images = torch.rand(n, 1, 28, 28, generator=g) * 0.2 - 1
    for k in range(10):
        images[labels == k, :, 2 * k + 4 : 2 * k + 6, :] = 1.0
    return images.to(device), labels.to(device)


def test_trained_mlp_gan_trains_once_then_loads(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    monkeypatch.setattr(gan, "_mnist_train", fake_mnist)
    kwargs = dict(variant="dropout", epochs=2, batch_size=64, limit=256, n_fixed=8, device="cpu", progress=False)
    first = trained_mlp_gan(**kwargs)
    assert not first.from_cache and first.history.steps == 8
    assert len(first.history.per_epoch["samples"]) == 2
    assert first.history.per_epoch["samples"][0].shape == (8, 1, 28, 28)
    assert first.settings["loss"] == "bce" and first.settings["noise_dim"] == 100
    second = trained_mlp_gan(**kwargs)
    assert second.from_cache
    assert same(weights(first.generator), weights(second.generator))
    assert same(weights(first.discriminator), weights(second.discriminator))
    assert second.history.losses["g"] == first.history.losses["g"]
    assert torch.equal(second.history.per_epoch["samples"][1], first.history.per_epoch["samples"][1])
    other = trained_mlp_gan(least_squares_loss(), **kwargs)  # another loss: another model
    assert not other.from_cache and other.settings["loss"] == "least_squares"


def test_trained_mlp_gan_does_not_cache_a_diverged_run(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    monkeypatch.setattr(gan, "_mnist_train", fake_mnist)
    bce = bce_loss()
    broken = GANLoss("broken", bce.discriminator, lambda scores: bce.generator(scores) * float("nan"))
    result = trained_mlp_gan(broken, variant="dropout", epochs=1, batch_size=64, limit=256,
                             device="cpu", progress=False)
    assert result.history.stopped.startswith("diverged") and not result.from_cache
    assert list(tmp_path.iterdir()) == []


def test_trained_mlp_gan_checks_its_arguments():
    with pytest.raises(ValueError, match="variant='big'"):
        trained_mlp_gan(variant="big")
    with pytest.raises(ValueError, match="epochs=0"):
        trained_mlp_gan(epochs=0)
    with pytest.raises(ValueError, match=r"betas=\(0.5, 1.0\)"):
        trained_mlp_gan(betas=(0.5, 1.0))
    with pytest.raises(ValueError, match="lr_d=0"):
        trained_mlp_gan(lr_d=0)


def test_train_gan_adds_the_callers_epoch_records():
    run = toy_run()
    history = train_gan(**run, epochs=2, progress=False,
                        on_epoch_end=lambda epoch: {"mean": linear_gaussian(run["generator"])[0]})
    assert len(history.per_epoch["mean"]) == 2 and "samples" not in history.per_epoch
    assert torch.equal(history.per_epoch["mean"][-1], run["generator"].bias.detach())
