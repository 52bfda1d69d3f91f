"""DCGAN: the networks, their shapes, the settings (validation, build, channels-last
training, the cache) and their cost per step."""

import dataclasses

import pytest
import torch
from torch import nn

from helpers.cache import trained
from helpers.dcgan import (
    DCGANDiscriminator,
    DCGANGenerator,
    DCGANSettings,
    PaperDCGANDiscriminator,
    PaperDCGANGenerator,
)
from helpers.gan import GAN, MLPGANSettings, sample, step_flops, uniform_noise
from helpers.nets import trace_shapes

TINY = DCGANSettings(steps=3, limit=256, batch_size=16, n_fixed=4)


def test_generator_and_discriminator_shapes_and_ranges():
    torch.manual_seed(0)
    generator, discriminator = DCGANGenerator(noise_dim=16), DCGANDiscriminator()
    images = generator(torch.rand(5, 16) * 2 - 1)
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert discriminator(images).shape == (5, 1)


def count_batchnorms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def test_batchnorm_switch():
    with_bn, without = DCGANGenerator(batchnorm=True), DCGANGenerator(batchnorm=False)
    assert count_batchnorms(with_bn) == 3 and count_batchnorms(without) == 0
    # No BatchNorm: a batch of one works.
    assert without(torch.zeros(1, 96)).shape == (1, 1, 28, 28)


def test_trace_shapes_follows_the_source_networks():
    generator_rows = trace_shapes(DCGANGenerator(), torch.zeros(2, 96))
    kept = ("Linear", "Unflatten", "ConvTranspose2d")
    shapes = [shape for _, layer, shape in generator_rows if layer in kept]
    assert shapes == [
        (2, 1024),
        (2, 6272),
        (2, 128, 7, 7),
        (2, 64, 14, 14),
        (2, 1, 28, 28),
    ]
    discriminator_rows = trace_shapes(DCGANDiscriminator(), torch.zeros(2, 1, 28, 28))
    kept = ("Conv2d", "MaxPool2d", "Linear")
    shapes = [shape for _, layer, shape in discriminator_rows if layer in kept]
    assert shapes == [
        (2, 32, 24, 24),
        (2, 32, 12, 12),
        (2, 64, 8, 8),
        (2, 64, 4, 4),
        (2, 1024),
        (2, 1),
    ]
    assert discriminator_rows[0][0] == "conv.0"


def test_chapter_diagram_shows_the_traced_shapes():
    # helpers.diagrams.dcgan_shapes draws these stages; they must be the networks' own.
    from helpers import diagrams

    generator_rows = trace_shapes(DCGANGenerator(), torch.zeros(2, 96))
    kept = ("Linear", "Unflatten", "ConvTranspose2d")
    traced = [(96,)] + [
        shape[1:] for _, layer, shape in generator_rows if layer in kept
    ]
    assert [shape for _, shape in diagrams.DCGAN_GENERATOR_STAGES] == traced
    discriminator_rows = trace_shapes(DCGANDiscriminator(), torch.zeros(2, 1, 28, 28))
    kept = ("Conv2d", "MaxPool2d", "Linear")
    traced = [(1, 28, 28)]
    traced += [shape[1:] for _, layer, shape in discriminator_rows if layer in kept]
    assert [shape for _, shape in diagrams.DCGAN_DISCRIMINATOR_STAGES] == traced


def test_the_papers_networks_follow_its_recipe():
    generator_rows = trace_shapes(PaperDCGANGenerator(), torch.zeros(2, 96))
    transposed = [s for _, layer, s in generator_rows if layer == "ConvTranspose2d"]
    assert transposed == [(2, 128, 7, 7), (2, 64, 14, 14), (2, 1, 28, 28)]
    discriminator_rows = trace_shapes(
        PaperDCGANDiscriminator(), torch.zeros(2, 1, 28, 28)
    )
    convs = [s for _, layer, s in discriminator_rows if layer == "Conv2d"]
    assert convs == [(2, 64, 14, 14), (2, 128, 7, 7), (2, 1, 1, 1)]
    assert discriminator_rows[-1][2] == (2, 1)  # one logit per image
    for net in (PaperDCGANGenerator(), PaperDCGANDiscriminator()):
        kinds = {type(m) for m in net.modules()}
        # strided convolutions instead of pooling, no hidden fully connected layer
        assert nn.Linear not in kinds and nn.MaxPool2d not in kinds
    # BatchNorm in both networks, but not on G's output nor on D's input
    layers = list(PaperDCGANGenerator().net)
    assert count_batchnorms(PaperDCGANGenerator()) == 2
    assert isinstance(layers[-1], nn.Tanh) and isinstance(
        layers[-2], nn.ConvTranspose2d
    )
    layers = list(PaperDCGANDiscriminator().net)
    assert count_batchnorms(PaperDCGANDiscriminator()) == 1
    assert isinstance(layers[0], nn.Conv2d) and isinstance(layers[1], nn.LeakyReLU)
    slopes = {m.negative_slope for m in layers if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    images = PaperDCGANGenerator()(torch.rand(4, 96) * 2 - 1)
    assert images.shape == (4, 1, 28, 28) and images.abs().max() <= 1


def test_settings_build_the_architecture_asked_for():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = DCGANSettings(architecture="paper").build()
    assert isinstance(model.generator, PaperDCGANGenerator)
    assert isinstance(model.discriminator, PaperDCGANDiscriminator)
    first = model.discriminator.net[0].weight
    assert first.std().item() == pytest.approx(0.02, rel=0.1)  # DCGAN's initialisation
    assert "paper" in DCGANSettings(architecture="paper").describe()
    with pytest.raises(
        ValueError, match="architecture='big'.*allowed: tutorial, paper"
    ):
        DCGANSettings(architecture="big")
    with pytest.raises(ValueError, match="batchnorm=False applies"):
        DCGANSettings(architecture="paper", batchnorm=False)


def test_bad_network_arguments():
    with pytest.raises(ValueError, match="noise_dim"):
        DCGANGenerator(noise_dim=0)
    with pytest.raises(ValueError, match="negative_slope"):
        DCGANDiscriminator(negative_slope=1.5)
    with pytest.raises(ValueError, match="noise_dim"):
        PaperDCGANGenerator(noise_dim=0)
    with pytest.raises(ValueError, match="negative_slope"):
        PaperDCGANDiscriminator(negative_slope=-0.2)


def test_settings_check_their_fields():
    assert DCGANSettings.name == "dcgan"
    defaults = DCGANSettings()
    assert defaults.epochs is None and defaults.steps >= 1 and defaults.noise_dim == 96
    assert defaults.batchnorm and defaults.use_channels_last
    for changes, message in [
        ({"steps": 0}, "steps=0 is out of range"),
        ({"steps": 10, "epochs": 2}, "exactly one budget"),
        ({"steps": None}, "exactly one budget"),
        ({"betas": (0.5, 1.0)}, "betas"),
        ({"lr_d": 0}, "lr_d=0 is out of range; allowed: lr_d > 0"),
        ({"lr_g": -1.0}, "lr_g=-1.0 is out of range; allowed: lr_g > 0"),
        ({"loss": "hinge"}, "loss='hinge'"),
        ({"real_label": 0.9, "loss": "least_squares"}, "real_label"),
        ({"limit": 100}, "batch_size=128 is out of range"),
        ({"noise_dim": 0}, "noise_dim=0 is out of range"),
    ]:
        with pytest.raises(ValueError, match=message):
            DCGANSettings(**changes)
    assert DCGANSettings(epochs=2, steps=None).epochs == 2  # an epoch budget is allowed
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.steps = 5


def test_build_gives_both_networks_dcgan_initialisation():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = DCGANSettings(noise_dim=16).build()
    assert isinstance(model, GAN)
    G, D = model.generator, model.discriminator
    assert isinstance(G, DCGANGenerator) and isinstance(D, DCGANDiscriminator)
    assert G(torch.zeros(2, 16)).shape == (2, 1, 28, 28)
    weights = G.fc[3].weight
    assert abs(weights.mean().item()) < 1e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)
    assert G.fc[3].bias.abs().max() == 0
    assert G.fc[5].weight.mean().item() == pytest.approx(1.0, abs=1e-2)
    assert D.fc[1].weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert count_batchnorms(DCGANSettings(batchnorm=False).build()) == 0


def test_channels_last_only_where_it_pays_and_only_if_asked():
    cpu, meta = torch.device("cpu"), torch.device("meta")
    assert DCGANSettings().channels_last(cpu)
    assert DCGANSettings().channels_last(torch.device("cuda"))
    assert not DCGANSettings().channels_last(meta)
    assert not DCGANSettings(use_channels_last=False).channels_last(cpu)


def test_trained_trains_caches_and_repeats(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    settings = dataclasses.replace(TINY, loss="least_squares")
    first = trained(settings, device="cpu", progress=False)
    history = first.history
    assert not first.from_cache and history.steps == 3 and history.stopped is None
    assert history.epochs_done == 1 and len(history.losses["d"]) == 3
    assert history.per_epoch["samples"][-1].shape == (4, 1, 28, 28)
    again = trained(settings, device="cpu", progress=False)
    assert again.from_cache and again.history.losses["d"] == history.losses["d"]
    for a, b in zip(
        first.model.state_dict().values(), again.model.state_dict().values()
    ):
        assert torch.equal(a, b)
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path / "other"))
    repeat = trained(settings, device="cpu", progress=False)  # same seed, fresh run
    assert not repeat.from_cache
    assert torch.equal(
        repeat.model.generator.fc[0].weight, first.model.generator.fc[0].weight
    )


def test_a_step_budget_crosses_epochs(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    settings = dataclasses.replace(TINY, steps=20)  # 16 steps per epoch of 256 digits
    run = trained(settings, device="cpu", progress=False)
    assert run.history.steps == 20 and run.history.epochs_done == 2
    assert len(run.history.per_epoch["samples"]) == 2  # the cut epoch gets its grid too


def test_trains_in_channels_last_order_on_a_cpu_and_loads_back(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    assert TINY.channels_last(torch.device("cpu"))
    assert not dataclasses.replace(TINY, use_channels_last=False).channels_last(
        torch.device("cpu")
    )
    seen = []
    original = nn.Module.to

    def spy(module, *args, **kwargs):  # record the memory orders training asks for
        if "memory_format" in kwargs:
            seen.append(kwargs["memory_format"])
        return original(module, *args, **kwargs)

    monkeypatch.setattr(nn.Module, "to", spy)
    run = trained(TINY, device="cpu", progress=False)
    monkeypatch.undo()
    assert seen == [torch.channels_last, torch.contiguous_format]
    # Trained in channels-last order, returned in the usual one: a fresh run and the
    # same run loaded from the cache draw exactly the same samples.
    G = run.model.generator
    assert G.conv[1].weight.is_contiguous()
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    again = trained(TINY, device="cpu", progress=False)
    assert again.from_cache
    z = uniform_noise(16, TINY.noise_dim, generator=torch.Generator().manual_seed(0))
    assert torch.equal(sample(again.model.generator, z), sample(G, z))


def test_a_dcgan_step_costs_more_than_an_mlp_gan_step():
    dcgan = step_flops(DCGANSettings(batch_size=64))
    mlp = step_flops(MLPGANSettings(batch_size=64))
    assert dcgan > mlp > 0
    # Matrix products and convolutions scale with the batch.
    assert step_flops(DCGANSettings(batch_size=128)) == 2 * dcgan


def test_book_dcgans_share_the_compute_they_are_given(monkeypatch):
    from helpers.config import budget
    from helpers.dcgan import book_dcgans

    monkeypatch.setenv("GANBOOK_BUDGET", "quick")
    cfg = budget("dcgan")
    mlp_flops = 400 * step_flops(DCGANSettings(batch_size=cfg.batch_size))
    runs = book_dcgans(mlp_flops)
    assert set(runs) == {"tutorial", "paper", "target"}
    assert runs["tutorial"].architecture == "tutorial" and runs["tutorial"].steps == 400
    assert runs["tutorial"] == DCGANSettings(
        steps=400, batch_size=cfg.batch_size, limit=cfg.limit
    )
    paper = runs["paper"]
    assert paper.architecture == "paper" and paper.width == cfg.paper_width
    assert paper.lr_d == paper.lr_g == cfg.paper_lr
    # each run's compute is its budget, to within one step
    for name, share in (("tutorial", 1), ("paper", 1), ("target", cfg.target_compute)):
        per_step = step_flops(runs[name])
        assert abs(per_step * runs[name].steps - share * mlp_flops) <= per_step / 2
    # the target run differs from its architecture's run in learning rate and budget
    target = runs["target"]
    base = runs[cfg.target_architecture]
    assert target.lr_d == target.lr_g == cfg.target_lr
    same = dataclasses.replace(target, steps=base.steps, lr_d=base.lr_d, lr_g=base.lr_g)
    assert same == base
    with pytest.raises(ValueError, match="mlp_flops=0 is out of range"):
        book_dcgans(0)
