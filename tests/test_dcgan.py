"""DCGAN networks, initialisation, shape tracing, the time limit and the cached trainer."""


import pytest
import torch
from torch import nn

from helpers.dcgan import (
    DCGANDiscriminator,
    DCGANGenerator,
    dcgan_init_,
    trace_shapes,
    trained_dcgan,
)
from helpers.gan import least_squares_loss


def test_generator_and_discriminator_shapes_and_ranges():
    torch.manual_seed(0)
    generator, discriminator = DCGANGenerator(noise_dim=16), DCGANDiscriminator()
    images = generator(torch.rand(5, 16) * 2 - 1)
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert discriminator(images).shape == (5, 1)


def test_batchnorm_switch():
    with_bn, without = DCGANGenerator(batchnorm=True), DCGANGenerator(batchnorm=False)
    count = lambda m: sum(isinstance(x, nn.modules.batchnorm._BatchNorm) for x in m.modules())  # noqa: E731
    assert count(with_bn) == 3 and count(without) == 0
    assert without(torch.zeros(1, 96)).shape == (1, 1, 28, 28)  # no BatchNorm: a batch of one works


def test_trace_shapes_follows_the_source_networks():
    generator_rows = trace_shapes(DCGANGenerator(), torch.zeros(2, 96))
    shapes = [shape for _, layer, shape in generator_rows if layer in ("Linear", "Unflatten", "ConvTranspose2d")]
    assert shapes == [(2, 1024), (2, 6272), (2, 128, 7, 7), (2, 64, 14, 14), (2, 1, 28, 28)]
    discriminator_rows = trace_shapes(DCGANDiscriminator(), torch.zeros(2, 1, 28, 28))
    shapes = [shape for _, layer, shape in discriminator_rows if layer in ("Conv2d", "MaxPool2d", "Linear")]
    assert shapes == [(2, 32, 24, 24), (2, 32, 12, 12), (2, 64, 8, 8), (2, 64, 4, 4), (2, 1024), (2, 1)]
    assert discriminator_rows[0][0] == "conv.0"
    model = DCGANGenerator()
    model.train()
    trace_shapes(model, torch.zeros(2, 96))
    assert model.training  # restored, and no hooks left behind
    assert not any(m._forward_hooks for m in model.modules())


def test_dcgan_init():
    torch.manual_seed(0)
    generator = dcgan_init_(DCGANGenerator())
    weights = generator.fc[3].weight
    assert abs(weights.mean().item()) < 1e-3 and weights.std().item() == pytest.approx(0.02, rel=0.02)
    assert generator.fc[3].bias.abs().max() == 0
    bn = generator.fc[5]
    assert bn.weight.mean().item() == pytest.approx(1.0, abs=1e-2) and bn.bias.abs().max() == 0
    with pytest.raises(ValueError, match="std"):
        dcgan_init_(DCGANGenerator(), std=0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="noise_dim"):
        DCGANGenerator(noise_dim=0)
    with pytest.raises(ValueError, match="negative_slope"):
        DCGANDiscriminator(negative_slope=1.5)
    with pytest.raises(ValueError, match="seconds"):
        trained_dcgan(seconds=0)
    with pytest.raises(ValueError, match="betas"):
        trained_dcgan(betas=(0.5, 1.0))
    with pytest.raises(ValueError, match="epochs"):
        trained_dcgan(epochs=0)
    with pytest.raises(ValueError, match="lr=0 must be positive"):
        trained_dcgan(lr=0)


def test_trained_dcgan_stops_at_its_time_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    run = trained_dcgan(epochs=50, seconds=0.5, limit=64, batch_size=16, n_fixed=4, device="cpu", progress=False)
    assert run.history.stopped is None and 1 <= run.history.epochs_done < 50
    assert len(run.history.per_epoch["samples"]) == run.history.epochs_done
    assert run.history.seconds < 10


def test_trained_dcgan_trains_caches_and_repeats(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    settings = dict(epochs=2, limit=64, batch_size=16, n_fixed=4, device="cpu", progress=False)
    first = trained_dcgan(least_squares_loss(), **settings)
    assert not first.from_cache and first.history.steps == 8 and first.history.epochs_done == 2
    assert len(first.history.per_epoch["samples"]) == 2
    assert first.history.per_epoch["samples"][-1].shape == (4, 1, 28, 28)
    again = trained_dcgan(least_squares_loss(), **settings)
    assert again.from_cache and again.history.losses["d"] == first.history.losses["d"]
    assert again.history.seconds == first.history.seconds
    for a, b in zip(first.generator.state_dict().values(), again.generator.state_dict().values()):
        assert torch.equal(a, b)
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path / "other"))
    repeat = trained_dcgan(least_squares_loss(), **settings)  # same seed, fresh training: same weights
    assert not repeat.from_cache
    assert torch.allclose(repeat.generator.fc[0].weight, first.generator.fc[0].weight)


def test_trained_dcgan_time_limit_keeps_only_epochs_that_ran(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    run = trained_dcgan(epochs=50, seconds=0.3, limit=64, batch_size=16, n_fixed=2, device="cpu", progress=False)
    assert 1 <= run.history.epochs_done < 50
    assert len(run.history.per_epoch["samples"]) == run.history.epochs_done
    assert run.settings["seconds"] == 0.3


def test_trained_dcgan_trains_in_channels_last_order_on_a_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    run = trained_dcgan(epochs=1, limit=64, batch_size=16, n_fixed=2, device="cpu", progress=False)
    assert run.settings["channels_last"] and not run.from_cache and run.history.steps == 4
    for conv in (run.generator.conv[1], run.discriminator.conv[0]):
        assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    again = trained_dcgan(epochs=1, limit=64, batch_size=16, n_fixed=2, device="cpu", progress=False)
    assert again.from_cache  # the cached weights load into ordinary (contiguous) networks
    assert torch.equal(again.generator.conv[1].weight, run.generator.conv[1].weight)
