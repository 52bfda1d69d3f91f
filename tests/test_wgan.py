"""helpers.wgan: the gradient penalty, the critic-heavy step, clipping, and the settings
that train a Wasserstein GAN on the ring or on MNIST through ``trained``."""

import dataclasses

import pytest
import torch
from torch import nn

from helpers import wgan
from helpers.cache import trained
from helpers.wgan import (
    WGANSettings,
    from_bytes,
    gradient_penalty,
    make_wgan_step,
    to_bytes,
)


def linear_critic(weights: list[float]) -> nn.Linear:
    critic = nn.Linear(len(weights), 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weights]))
    return critic


@pytest.mark.parametrize("weights", [[3.0, 4.0], [0.6, 0.8], [0.0, 0.1]])
def test_the_penalty_of_a_linear_critic_is_its_slope_minus_one_squared(weights):
    # f(x) = w.x has gradient w everywhere, so the penalty is (|w| - 1)^2 exactly.
    critic = linear_critic(weights)
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    slope = torch.tensor(weights).norm()
    penalty = gradient_penalty(critic, real, fake)
    assert torch.isclose(penalty, (slope - 1) ** 2, atol=1e-6)
    penalty.backward()  # differentiable: the critic's optimiser needs its gradient
    assert critic.weight.grad is not None


def test_the_penalty_refuses_batches_of_different_shapes():
    with pytest.raises(ValueError, match="real \\(4, 2\\) and fake \\(3, 2\\)"):
        gradient_penalty(
            linear_critic([1.0, 0.0]), torch.zeros(4, 2), torch.zeros(3, 2)
        )


def step_parts(n_critic=5, **lipschitz):
    torch.manual_seed(0)
    generator = nn.Linear(2, 2)
    critic = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt_g = torch.optim.SGD(generator.parameters(), lr=0.1)
    opt_c = torch.optim.SGD(critic.parameters(), lr=0.1)
    noise = lambda n: torch.randn(n, 2)  # noqa: E731
    step = make_wgan_step(generator, critic, opt_g, opt_c, noise, n_critic, **lipschitz)
    return generator, critic, step


def test_one_step_is_n_critic_critic_updates_then_one_generator_update():
    generator, critic, step = step_parts(n_critic=3)
    before_g = [p.detach().clone() for p in generator.parameters()]
    seen = []
    critic.register_forward_hook(
        lambda module, inputs, output: seen.append(len(output))
    )
    losses = step((torch.randn(3 * 4, 2),))
    # three critic steps score 4 real, 4 fake and 4 points between; G's step 4 fakes
    assert seen == [4, 4, 4] * 3 + [4]
    assert set(losses) == {"w", "critic", "g"}
    assert all(torch.isfinite(v) for v in losses.values())
    assert any(
        not torch.equal(a, b) for a, b in zip(before_g, generator.parameters())
    ), "G took its step"


def test_clipping_keeps_every_critic_weight_in_range():
    _, critic, step = step_parts(penalty=None, clip=0.01)
    step((torch.randn(5 * 8, 2) * 100,))
    for weight in critic.parameters():
        assert weight.abs().max() <= 0.01


def test_a_step_needs_exactly_one_way_to_keep_the_critic_lipschitz():
    with pytest.raises(ValueError, match="exactly one"):
        step_parts(penalty=10.0, clip=0.01)
    with pytest.raises(ValueError, match="exactly one"):
        step_parts(penalty=None, clip=None)
    with pytest.raises(ValueError, match="n_critic=0"):
        step_parts(n_critic=0)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"data": "cifar"}, "data='cifar' is not known; allowed: ring, mnist"),
        ({"lipschitz": "spectral"}, "lipschitz='spectral' is not known"),
        ({"penalty": 0.0}, "penalty=0.0"),
        ({"n_critic": 0}, "n_critic=0"),
        ({"lr": 2.0}, "lr=2.0"),
        ({"betas": (0.5, 1.0)}, "betas="),
        ({"record_every": 900}, "record_every=900"),
        ({"batch_size": 256, "points": 1000}, "more than the 1000 training examples"),
    ],
)
def test_bad_settings_name_the_parameter(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", "\\(")):
        WGANSettings(**changes)


def test_the_learning_rate_defaults_to_the_papers():
    assert WGANSettings(lipschitz="penalty").learning_rate == 1e-4
    assert WGANSettings(lipschitz="clip").learning_rate == 5e-5
    assert WGANSettings(lr=1e-3).learning_rate == 1e-3


def test_bytes_go_back_to_the_tanh_scale():
    images = torch.tensor([0, 255, 128], dtype=torch.uint8)
    expected = torch.tensor([-1.0, 1.0, 1 / 255])
    assert torch.allclose(from_bytes(images), expected, atol=1e-6)
    assert torch.equal(to_bytes(from_bytes(images)), images)
    floats = torch.tensor([-1.0, 0.0, 0.5, 1.0])
    # at most half a grey level off
    assert (from_bytes(to_bytes(floats)) - floats).abs().max() <= 0.5 / 127.5 + 1e-6
    with pytest.raises(ValueError, match="uint8"):
        from_bytes(images.float())


RING = WGANSettings(penalty=0.1, lr=1e-3, steps=12, record_every=4, points=2560)


@pytest.mark.parametrize("lipschitz", ["penalty", "clip"])
def test_a_ring_run_trains_once_records_and_loads(tmp_path, monkeypatch, lipschitz):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    settings = dataclasses.replace(RING, lipschitz=lipschitz)
    first = trained(settings, device="cpu", progress=False)
    history = first.history
    assert not first.from_cache and history.steps == 12 and history.stopped is None
    assert len(history.losses["w"]) == len(history.losses["g"]) == 12
    assert len(history.per_epoch["w"]) == len(history.per_epoch["samples"]) == 3
    assert history.per_epoch["samples"][0].shape == (2000, 2)
    again = trained(settings, device="cpu", progress=False)
    assert again.from_cache and again.history.losses["w"] == history.losses["w"]
    if lipschitz == "clip":
        for weight in first.model.discriminator.parameters():
            assert weight.abs().max() <= settings.clip


def test_an_mnist_run_records_its_samples_as_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    digits = torch.rand(320, 1, 28, 28) * 2 - 1
    monkeypatch.setattr(wgan, "_mnist_train", lambda limit, device: digits)
    settings = WGANSettings(
        data="mnist", noise_dim=96, batch_size=16, steps=6, record_every=3, n_fixed=10
    )
    run = trained(settings, device="cpu", progress=False)
    samples = run.history.per_epoch["samples"]
    assert len(samples) == 2 and samples[0].dtype == torch.uint8
    assert samples[0].shape == (10, 1, 28, 28)
    assert from_bytes(samples[0]).abs().max() <= 1


def test_a_diverging_run_stops_and_keeps_its_history(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    settings = dataclasses.replace(RING, lr=1.0, penalty=1000.0, steps=400)
    model = settings.build()
    with torch.no_grad():  # a critic that explodes at once
        for weight in model.discriminator.parameters():
            weight.mul_(1e30)
    history = settings.fit(model, device=torch.device("cpu"), progress=False)
    assert history.stopped is not None and "not finite" in history.stopped
    assert history.steps < 400
    assert "stopped" in capsys.readouterr().out
