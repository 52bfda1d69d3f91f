"""helpers.cgan: the conditional networks, the one-input form the page runs, the step
with its auxiliary classifier, and the settings that train through ``trained``."""

import pytest
import torch
import torch.nn.functional as F

from helpers import cgan
from helpers.cache import trained
from helpers.cgan import (
    CGANSettings,
    ConditionalBatchNorm,
    ConditionalDiscriminator,
    ConditionalGenerator,
    OneHotGenerator,
    book_cgan,
    conditional_sample,
    every_digit,
    fixed_labels,
    make_cgan_step,
    mismatched_labels,
)
from helpers.config import budget
from helpers.gan import uniform_noise
from helpers.wgan import from_bytes


def test_the_generator_draws_one_image_per_noise_and_digit():
    torch.manual_seed(0)
    generator = ConditionalGenerator(noise_dim=8)
    images = generator(torch.rand(5, 8), torch.tensor([0, 1, 2, 3, 9]))
    assert images.shape == (5, 1, 28, 28)
    assert images.abs().max() <= 1


def test_g_starts_blind_to_the_digit_and_the_digit_then_changes_the_image():
    # Every digit's scale starts at 1 and shift at 0: G starts as chapter 8's.
    torch.manual_seed(0)
    generator = ConditionalGenerator(noise_dim=8).train()
    z = torch.rand(4, 8)
    threes, sevens = (generator(z, torch.full((4,), d)) for d in (3, 7))
    assert torch.allclose(threes, sevens)
    with torch.no_grad():
        generator.norm1.shift[7] += 1.0
    sevens = generator(z, torch.full((4,), 7))
    assert not torch.allclose(threes, sevens)
    assert not torch.allclose(threes[0], threes[1])  # the noise changes the image


def test_conditional_batchnorm_normalises_then_scales_and_shifts_per_digit():
    norm = ConditionalBatchNorm(3)
    with torch.no_grad():
        norm.scale.copy_(torch.arange(30.0).view(10, 3))
        norm.shift.copy_(-torch.arange(30.0).view(10, 3))
    x = torch.randn(6, 3) * 5 + 2
    labels = torch.tensor([0, 1, 2, 7, 7, 9])
    out = norm(x, F.one_hot(labels, 10).float())
    normalised = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
    expected = norm.scale[labels] * normalised + norm.shift[labels]
    assert torch.allclose(out, expected, atol=1e-4)
    images = torch.randn(4, 2, 5, 5)
    image_norm = ConditionalBatchNorm(2, image=True)
    assert image_norm(images, F.one_hot(torch.arange(4), 10).float()).shape == (
        4,
        2,
        5,
        5,
    )


@pytest.mark.parametrize(
    "labels, message",
    [
        (torch.tensor([0, 1]), "labels must be 3 integers"),
        (torch.tensor([0.0, 1.0, 2.0]), "torch.long"),
    ],
)
def test_bad_labels_are_refused_with_their_shape(labels, message):
    generator = ConditionalGenerator(noise_dim=4)
    with pytest.raises(ValueError, match=message):
        generator(torch.rand(3, 4), labels)


def test_the_one_hot_form_computes_what_the_generator_computes():
    torch.manual_seed(0)
    generator = ConditionalGenerator(noise_dim=6).eval()
    z, labels = torch.rand(4, 6), torch.tensor([2, 5, 5, 0])
    packed = torch.cat([z, F.one_hot(labels, 10).float()], dim=1)
    with torch.no_grad():
        assert torch.allclose(
            OneHotGenerator(generator)(packed), generator(z, labels), atol=1e-6
        )


def test_the_discriminator_scores_and_classifies():
    torch.manual_seed(0)
    discriminator = ConditionalDiscriminator()
    scores, logits = discriminator(torch.rand(3, 1, 28, 28), torch.tensor([1, 2, 3]))
    assert scores.shape == (3, 1) and logits.shape == (3, 10)
    assert ConditionalDiscriminator(projection=False).label_embed is None


def test_the_projection_starts_at_zero_so_d_starts_blind_to_labels():
    model = CGANSettings(steps=10, record_every=5).build()
    x = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        s3, _ = model.discriminator(x, torch.tensor([3, 3]))
        s8, _ = model.discriminator(x, torch.tensor([8, 8]))
    assert torch.equal(s3, s8)


def step_parts(auxiliary=1.0):
    torch.manual_seed(0)
    generator = ConditionalGenerator(noise_dim=8)
    discriminator = ConditionalDiscriminator()
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    step = make_cgan_step(
        generator,
        discriminator,
        opt_g,
        opt_d,
        lambda n: torch.rand(n, 8) * 2 - 1,
        auxiliary=auxiliary,
    )
    return generator, discriminator, step


def test_a_step_updates_both_players_and_reports_every_loss():
    generator, discriminator, step = step_parts()
    before = [p.detach().clone() for p in (*generator.parameters(),)]
    before_d = [p.detach().clone() for p in discriminator.classifier.parameters()]
    batch = (torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8))
    losses = step(batch)
    assert set(losses) == {"d", "g", "d_class", "g_class", "d_real", "d_fake"}
    assert all(torch.isfinite(v) for v in losses.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, generator.parameters()))
    changed = zip(before_d, discriminator.classifier.parameters())
    assert any(not torch.equal(a, b) for a, b in changed)


def test_the_first_classifier_losses_are_near_log_ten():
    # An untrained classifier head guesses: its cross-entropy starts near ln 10.
    _, _, step = step_parts()
    batch = (torch.rand(64, 1, 28, 28) * 2 - 1, torch.arange(64) % 10)
    losses = step(batch)
    assert abs(float(losses["d_class"]) - torch.log(torch.tensor(10.0))) < 0.1


def test_without_the_auxiliary_loss_the_classifier_head_is_not_trained():
    _, discriminator, step = step_parts(auxiliary=0.0)
    before = [p.detach().clone() for p in discriminator.classifier.parameters()]
    step((torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8)))
    after = discriminator.classifier.parameters()
    assert all(torch.equal(a, b) for a, b in zip(before, after))


def test_a_mismatched_label_is_always_another_digit_drawn_uniformly():
    torch.manual_seed(0)
    labels = torch.arange(10).repeat(9000)
    wrong = mismatched_labels(labels)
    assert not (wrong == labels).any()
    for digit in (0, 4, 9):
        others = torch.bincount(wrong[labels == digit], minlength=10).float()
        assert others[digit] == 0
        shares = others[others > 0] / 9000
        assert len(shares) == 9 and (shares - 1 / 9).abs().max() < 0.02


def test_the_mismatched_pairs_make_half_of_ds_fake_side():
    # With a D blind to labels (the projection at zero) a real digit under a wrong label
    # scores as it does under its own: D's fake side is then half fakes, half reals.
    settings = CGANSettings(steps=10, record_every=5)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = settings.build()
    G, D = model.generator, model.discriminator
    real, labels = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8)

    def d_loss(mismatch):
        opt = torch.optim.SGD(model.parameters(), lr=0.0)
        noise = lambda n: torch.zeros(n, settings.noise_dim)  # noqa: E731
        step = make_cgan_step(G, D, opt, opt, noise, 0.0, mismatch=mismatch)
        torch.manual_seed(1)
        return step((real, labels))

    plain, matched = d_loss(False), d_loss(True)
    with torch.no_grad():
        real_scores, _ = D(real, labels)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    real_part = bce(real_scores, torch.ones_like(real_scores))
    fake_part = plain["d"] - real_part
    reals_as_fakes = bce(real_scores, torch.zeros_like(real_scores))
    expected = real_part + (fake_part + reals_as_fakes) / 2
    assert torch.isclose(matched["d"], expected, atol=1e-5)


def test_fixed_and_balanced_labels():
    assert fixed_labels(2).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7,
                                        8, 8, 9, 9]  # fmt: skip
    assert torch.bincount(every_digit(25)).tolist() == [3] * 5 + [2] * 5


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"steps": None, "epochs": 2}, "budget is in steps"),
        ({"auxiliary": -1.0}, "auxiliary"),
        ({"noise_dim": 0}, "noise_dim"),
        ({"record_every": 0}, "record_every"),
        ({"lr_d": 0.0}, "lr_d"),
    ],
)
def test_bad_settings_name_the_parameter(changes, message):
    with pytest.raises(ValueError, match=message):
        CGANSettings(**changes)


def test_the_book_settings_follow_the_budget(monkeypatch):
    monkeypatch.setenv("GANBOOK_BUDGET", "quick")
    cfg = budget("cgan")
    settings = book_cgan()
    assert (settings.steps, settings.limit) == (cfg.steps, cfg.limit)
    assert settings.per_digit == cfg.per_digit


def test_a_run_trains_once_records_a_row_per_digit_and_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    digits = torch.rand(256, 1, 28, 28) * 2 - 1
    labels = torch.arange(256) % 10
    monkeypatch.setattr(cgan, "_mnist_with_labels", lambda limit, d: (digits, labels))
    settings = CGANSettings(batch_size=16, steps=6, record_every=3, per_digit=2)
    first = trained(settings, device="cpu", progress=False)
    history = first.history
    assert not first.from_cache and history.steps == 6 and history.stopped is None
    samples = history.per_epoch["samples"]
    assert len(samples) == 2 and samples[0].dtype == torch.uint8
    assert samples[0].shape == (20, 1, 28, 28)
    again = trained(settings, device="cpu", progress=False)
    assert again.from_cache and again.history.losses["g"] == history.losses["g"]
    z = torch.rand(4, settings.noise_dim) * 2 - 1
    ys = torch.tensor([1, 2, 3, 4])
    assert torch.equal(
        conditional_sample(first.model.generator, z, ys),
        conditional_sample(again.model.generator, z, ys),
    )
    # the last record is the trained G on the fixed noise, a row per digit, as bytes
    fixed = uniform_noise(
        20, settings.noise_dim, generator=torch.Generator().manual_seed(1)
    )
    drawn = conditional_sample(first.model.generator, fixed, fixed_labels(2))
    assert (from_bytes(samples[-1]) - drawn).abs().max() <= 1 / 127.5


def test_a_diverging_run_stops_and_keeps_its_history(tmp_path, monkeypatch, capsys):
    digits = torch.rand(256, 1, 28, 28) * 2 - 1
    labels = torch.arange(256) % 10
    monkeypatch.setattr(cgan, "_mnist_with_labels", lambda limit, d: (digits, labels))
    settings = CGANSettings(batch_size=16, steps=200, record_every=100, lr_d=1.0)
    model = settings.build()
    with torch.no_grad():  # a discriminator whose scores are infinite at once
        model.discriminator.score.weight.fill_(float("inf"))
    history = settings.fit(model, device=torch.device("cpu"), progress=False)
    assert history.stopped is not None and "not finite" in history.stopped
    assert history.steps < 200
    assert "stopped" in capsys.readouterr().out
