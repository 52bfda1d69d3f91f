"""The judge and the measures of generated samples: the classifier's settings, Fréchet
distance, score, histogram, and the ring of Gaussians with its mode count and GAN."""

import dataclasses

import pytest
import torch
from torch import nn

from helpers import metrics  # test_accuracy via its module: pytest would collect it
from helpers.cache import trained
from helpers.config import BUDGETS
from helpers.data import mnist, ring_centres, ring_of_gaussians
from helpers.gan import RingGANSettings, sample
from helpers.metrics import (
    ClassifierSettings,
    Measures,
    MNISTClassifier,
    class_histogram,
    classes_covered,
    classifier_score,
    classify,
    count_modes,
    frechet_distance,
    judge_settings,
    measure,
)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_noise():
    torch.manual_seed(0)
    features = torch.randn(500, 16) @ torch.randn(16, 16)
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    distances = [
        frechet_distance(features, features + s * torch.randn_like(features))
        for s in (0.1, 0.5, 1.0, 2.0)
    ]
    assert all(a < b for a, b in zip(distances, distances[1:]))


def test_frechet_distance_matches_the_closed_form_for_shifted_and_scaled_sets():
    torch.manual_seed(1)
    a = torch.randn(4000, 3, dtype=torch.float64)
    a = (a - a.mean(0)) / a.std(0)  # sample mean 0, sample variances 1 (covariance ~ I)
    # Same covariance, means 5 apart: the distance is squared, 25 (FID's convention).
    shifted = a + torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64)
    assert frechet_distance(a, shifted) == pytest.approx(25.0, rel=1e-9)
    # N(0, Σ) against N(0, 4Σ): tr(Σ + 4Σ - 2·2Σ) = tr Σ
    cov_trace = torch.cov(a.T).trace().item()
    assert frechet_distance(a, 2 * a) == pytest.approx(cov_trace, rel=1e-6)


def test_frechet_distance_rejects_mismatched_features():
    with pytest.raises(ValueError, match="same d"):
        frechet_distance(torch.zeros(10, 3), torch.zeros(10, 4))
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(torch.zeros(1, 3), torch.zeros(10, 3))


def test_classifier_score_bounds():
    n = 1000
    confident_even = torch.eye(10).repeat(n // 10, 1)
    assert classifier_score(confident_even) == pytest.approx(10.0, rel=1e-6)
    one_class = torch.zeros(n, 10)
    one_class[:, 3] = 1
    assert classifier_score(one_class) == pytest.approx(1.0, abs=1e-6)
    unsure = torch.full((n, 10), 0.1)
    assert classifier_score(unsure) == pytest.approx(1.0, abs=1e-6)
    two_classes = torch.eye(10)[torch.arange(n) % 2]
    assert classifier_score(two_classes) == pytest.approx(2.0, rel=1e-6)
    with pytest.raises(ValueError, match="non-empty"):
        classifier_score(torch.zeros(0, 10))


def test_class_histogram_and_coverage():
    labels = torch.tensor([0] * 50 + [1] * 49 + [7])
    probs = torch.eye(10)[labels]
    histogram = class_histogram(probs)
    assert histogram.tolist() == [50, 49, 0, 0, 0, 0, 0, 1, 0, 0]
    assert classes_covered(histogram) == 3  # 1 of 100 is exactly 1%
    assert classes_covered(histogram, min_share=0.02) == 2
    with pytest.raises(ValueError, match="min_share"):
        classes_covered(histogram, min_share=0)
    with pytest.raises(ValueError, match=r"\(N, 10\)"):
        class_histogram(torch.zeros(5, 3))


class OneDigit(nn.Module):
    """A 'generator' that ignores its noise and always draws the same image."""

    def __init__(self, image: torch.Tensor) -> None:
        super().__init__()
        self.image = nn.Parameter(image.clone(), requires_grad=False)

    def forward(self, z):
        return self.image.expand(len(z), *self.image.shape)


SMALL_JUDGE = ClassifierSettings(epochs=2, limit=3000)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANBOOK_CACHE", str(tmp_path_factory.mktemp("cache")))
        first = trained(SMALL_JUDGE, device="cpu", progress=False)
        again = trained(SMALL_JUDGE, device="cpu", progress=False)
        assert again.from_cache and not first.from_cache
        assert not again.model.training  # trained() hands models back in eval mode
        for a, b in zip(first.model.parameters(), again.model.parameters()):
            assert torch.equal(a, b)
        yield first.model


def test_classifier_learns_and_real_test_digits_score_near_ten(classifier):
    accuracy = metrics.test_accuracy(classifier, test_limit=2000)
    assert accuracy > 0.85  # 3,000 digits, two epochs
    images, labels = mnist(train=False, device="cpu", limit=2000)
    features, probs = classify(classifier, images)
    assert (probs.argmax(1) == labels).float().mean().item() == pytest.approx(accuracy)
    assert features.shape == (2000, MNISTClassifier.feature_dim)
    assert probs.shape == (2000, 10)
    assert torch.allclose(probs.sum(1), torch.ones(2000), atol=1e-5)
    score = classifier_score(probs)
    assert 6 < score <= 10, score  # 48 steps: not yet confident (the book's: near 10)
    assert classes_covered(class_histogram(probs)) == 10


def test_test_accuracy_counts_the_first_digits_and_keeps_the_mode(classifier):
    classifier.train()
    try:
        few = metrics.test_accuracy(classifier, test_limit=10)
        assert classifier.training  # evaluated in eval mode, then given back as it was
    finally:
        classifier.eval()
    assert few in {k / 10 for k in range(11)}


def test_a_generator_that_draws_one_digit_covers_one_class(classifier):
    images, _ = mnist(train=False, device="cpu", limit=2000)
    reference, _ = classify(classifier, images)
    fake = sample(OneDigit(images[0]), torch.zeros(300, 5), batch_size=128)
    assert fake.shape == (300, 1, 28, 28)
    result = measure(classifier, fake, reference)
    assert isinstance(result, Measures)
    assert result.covered == 1 and int(result.histogram.max()) == 300
    assert result.score == pytest.approx(1.0, abs=1e-4)
    real_images = mnist(train=True, device="cpu", limit=2000)[0]
    real = measure(classifier, real_images, reference)
    assert real.frechet < result.frechet and real.score > result.score
    assert real.covered == 10


def test_classify_rejects_wrong_shapes(classifier):
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        classify(classifier, torch.zeros(4, 784))


def test_classifier_settings_build_and_check_their_fields():
    model = ClassifierSettings(dropout=0.1).build()
    assert isinstance(model, MNISTClassifier) and model.head[0].p == 0.1
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert ClassifierSettings.name == "mnist_classifier"
    for field, value in [
        ("epochs", 0),
        ("lr", 0),
        ("limit", 0),
        ("batch_size", 0),
        ("dropout", 1.0),
    ]:
        with pytest.raises(ValueError, match=f"{field}={value}"):
            ClassifierSettings(**{field: value})
    with pytest.raises(ValueError, match="batch_size=128 is out of range"):
        ClassifierSettings(limit=100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        SMALL_JUDGE.epochs = 5


def test_judge_settings_follow_the_shared_budget(monkeypatch):
    for name in ("quick", "full"):
        monkeypatch.setenv("GANBOOK_BUDGET", name)
        entry = BUDGETS["models"][name]["judge"]
        settings = judge_settings()
        assert (settings.epochs, settings.limit) == (entry["epochs"], entry["limit"])
        assert settings == ClassifierSettings(
            epochs=entry["epochs"], limit=entry["limit"]
        )


# -------------------------------------------------------------------------- the ring


def test_ring_of_gaussians_is_seeded_and_on_the_ring():
    points = ring_of_gaussians(4000, seed=3)
    assert points.shape == (4000, 2)
    assert torch.equal(points, ring_of_gaussians(4000, seed=3))
    radii = points.norm(dim=1)
    assert (radii - 2.0).abs().max() < 0.2
    centres = ring_centres(8, 2.0)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    assert torch.allclose(centres[2], torch.tensor([0.0, 2.0]), atol=1e-6)
    with pytest.raises(ValueError, match="std"):
        ring_of_gaussians(10, std=0)


def test_count_modes():
    real = ring_of_gaussians(8000, seed=0)
    result = count_modes(real)
    assert result.covered == 8 and result.high_quality > 0.98
    assert int(result.per_mode.sum()) == pytest.approx(
        8000 * result.high_quality, abs=1
    )
    one_mode = ring_centres()[5] + 0.02 * torch.randn(1000, 2)
    collapsed = count_modes(one_mode)
    assert collapsed.covered == 1 and collapsed.per_mode.argmax() == 5
    far = count_modes(torch.zeros(100, 2))
    assert far.covered == 0 and far.high_quality == 0.0
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        count_modes(torch.zeros(10, 3))


def test_ring_gan_settings_check_their_fields():
    for field, value in [("loss", "hinge"), ("lr", 0), ("epochs", 0)]:
        with pytest.raises(ValueError, match=f"{field}={value!r}|{field}={value}"):
            RingGANSettings(**{field: value})
    with pytest.raises(ValueError, match="betas"):
        RingGANSettings(betas=(0.5, 1.0))
    with pytest.raises(ValueError, match="batch_size=512 is out of range"):
        RingGANSettings(points=256, batch_size=512)


def test_ring_gan_trains_through_trained_records_every_epoch_and_repeats(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    settings = RingGANSettings(
        loss="least_squares", epochs=2, points=512, n_fixed=100, seed=3
    )
    model = settings.build()
    assert [type(m).__name__ for m in model.generator] == [
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]
    first = trained(settings, device="cpu", progress=False)
    assert not first.from_cache and first.history.steps == 4
    samples = first.history.per_epoch["samples"]
    assert len(samples) == 2 and samples[-1].shape == (100, 2)
    assert count_modes(samples[-1]).covered >= 0
    again = trained(settings, device="cpu", progress=False)
    assert again.from_cache and torch.equal(
        again.history.per_epoch["samples"][-1], samples[-1]
    )
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path / "other"))
    repeat = trained(settings, device="cpu", progress=False)  # a fresh run, same seed
    assert not repeat.from_cache
    assert torch.equal(repeat.history.per_epoch["samples"][-1], samples[-1])
