"""Measuring what a generator makes: an MNIST classifier and the numbers it gives.

A generator has no test loss. We judge its samples with a separately trained MNIST
classifier (the *judge*, :class:`ClassifierSettings`), three ways:

* the **Fréchet distance** between Gaussians fitted to the classifier's features of
  generated samples and of real test digits (the idea of FID, Heusel et al. 2017,
  with our classifier in place of Inception);
* the **classifier score** ``exp(E_x KL(p(y|x) || p(y)))`` (the idea of the Inception
  score, Salimans et al. 2016): 10 at most, reached when every sample is a
  confident digit and the ten classes are equally common;
* the **class histogram** of the samples, whose empty bins expose mode collapse.

For the two-dimensional toy problem (the ring of Gaussians of :mod:`helpers.gan`) modes
are counted directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import budget, check_range
from .data import BatchIterator, check_training_subset, mnist, ring_centres
from .nets import device_of, evaluating
from .training import History, fit

N_CLASSES = 10

# ------------------------------------------------------------------------- the judge


class MNISTClassifier(nn.Module):
    """A small CNN for MNIST digits in [-1, 1]: two conv blocks, a 128-unit feature
    layer, 10 logits.

    ``features(x)`` is the 128-number feature vector the Fréchet distance is computed
    on.
    """

    feature_dim = 128

    def __init__(self, dropout: float = 0.3) -> None:
        super().__init__()
        check_range("dropout", dropout, 0, 1, high_open=True)
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 32 x 14 x 14
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 64 x 7 x 7
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, self.feature_dim),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(self.feature_dim, N_CLASSES)
        )

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


@dataclass(frozen=True)
class ClassifierSettings:
    """The MNIST classifier that judges every generator (chapters 7 and 8): Adam with a
    one-cycle learning rate (up to ``lr``, then down to almost zero), cross-entropy, on
    the first ``limit`` training digits (all by default)."""

    name: ClassVar[str] = "mnist_classifier"
    epochs: int = 3
    batch_size: int = 128
    lr: float = 3e-3
    limit: int | None = None
    dropout: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("epochs", self.epochs, 1, 1000)
        check_range("lr", self.lr, 0, low_open=True)
        check_training_subset(self.limit, self.batch_size)
        check_range("dropout", self.dropout, 0, 1, high_open=True)

    def build(self) -> MNISTClassifier:
        return MNISTClassifier(self.dropout)

    def fit(
        self,
        model: MNISTClassifier,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None = None,
    ) -> History:
        images, labels = mnist(
            train=True, scale="tanh", device=device, limit=self.limit
        )
        batches = BatchIterator(
            images, labels, batch_size=self.batch_size, shuffle=True, seed=self.seed
        )
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.lr, total_steps=self.epochs * len(batches)
        )

        def step(batch: tuple[Tensor, Tensor]) -> dict[str, Tensor]:
            x, y = batch
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            return {"cross-entropy": loss.detach()}

        model.train()
        return fit(
            step,
            batches,
            self.epochs,
            models=[model],
            max_seconds=max_seconds,
            desc="MNIST classifier",
            progress=progress,
        )


def judge_settings() -> ClassifierSettings:
    """The book's judge under the active budget (``budget("models").judge``): chapters 7
    and 8 and the benchmarks measure every generator with it."""
    shared = budget("models").judge
    return ClassifierSettings(epochs=shared["epochs"], limit=shared["limit"])


@torch.no_grad()
def test_accuracy(
    model: nn.Module, test_limit: int | None = None, batch_size: int = 1000
) -> float:
    """The fraction of the first ``test_limit`` MNIST test digits (all by default) that
    ``model`` labels correctly, in eval mode."""
    images, labels = mnist(
        train=False, scale="tanh", device=device_of(model), limit=test_limit
    )
    batches = BatchIterator(images, labels, batch_size=batch_size, shuffle=False)
    with evaluating(model):
        correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in batches)
    return correct / len(images)


@torch.no_grad()
def classify(
    classifier: MNISTClassifier, images: Tensor, batch_size: int = 1000
) -> tuple[Tensor, Tensor]:
    """The classifier's features ``(N, 128)`` and class probabilities ``(N, 10)`` of
    ``images``, on the CPU.

    ``images`` are ``(N, 1, 28, 28)`` in [-1, 1], on any device.
    """
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(
            f"images must have shape (N, 1, 28, 28); got {tuple(images.shape)}"
        )
    device = device_of(classifier)
    features, probs = [], []
    with evaluating(classifier):
        for part in images.split(batch_size):
            f = classifier.features(part.to(device))
            features.append(f.cpu())
            probs.append(F.softmax(classifier.head(f), dim=1).cpu())
    return torch.cat(features), torch.cat(probs)


# ---------------------------------------------------------------------- the measures


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a: Tensor, features_b: Tensor) -> float:
    """The squared Fréchet distance between Gaussians fitted to two sets of feature
    vectors (squared, as FID reports it).

    ``‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2})``: the squared
    Wasserstein-2 distance between ``N(μ_a, Σ_a)`` and ``N(μ_b, Σ_b)``; 0 for equal
    statistics. Computed in float64 with symmetric eigendecompositions.
    """
    if (
        features_a.dim() != 2
        or features_b.dim() != 2
        or features_a.shape[1] != features_b.shape[1]
    ):
        raise ValueError(
            "features must be two (N, d) matrices with the same d; got "
            f"{tuple(features_a.shape)} and {tuple(features_b.shape)}"
        )
    if min(len(features_a), len(features_b)) < 2:
        raise ValueError(
            "features: need at least 2 vectors in each set to estimate a covariance"
        )
    a = features_a.detach().double().cpu().numpy()
    b = features_b.detach().double().cpu().numpy()
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    distance = (
        ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
    )
    return float(max(distance, 0.0))


def classifier_score(probs: Tensor) -> float:
    """``exp(E_x KL(p(y|x) ‖ p(y)))`` for class probabilities ``(N, 10)``: between 1
    and 10.

    High when each sample is confidently one class (``p(y|x)`` peaked) *and* the classes
    are evenly used (``p(y)``, the mean of ``p(y|x)``, flat).
    """
    if probs.dim() != 2 or len(probs) == 0:
        raise ValueError(
            f"probs must be a non-empty (N, classes) matrix; got {tuple(probs.shape)}"
        )
    p = probs.double().clamp_min(1e-12)
    marginal = p.mean(0, keepdim=True)
    kl = (p * (p.log() - marginal.log())).sum(1)
    return float(kl.mean().exp())


def class_histogram(probs: Tensor) -> Tensor:
    """How many samples the classifier puts in each class (argmax of ``probs``):
    ``(10,)`` counts."""
    if probs.dim() != 2 or probs.shape[1] != N_CLASSES:
        raise ValueError(
            f"probs must have shape (N, {N_CLASSES}); got {tuple(probs.shape)}"
        )
    return torch.bincount(probs.argmax(1), minlength=N_CLASSES)


def classes_covered(histogram: Tensor, min_share: float = 0.01) -> int:
    """The number of classes holding at least ``min_share`` of the samples (1% by
    default)."""
    check_range("min_share", min_share, 0, 1, low_open=True)
    total = int(histogram.sum())
    if total == 0:
        raise ValueError("histogram is empty: no samples were counted")
    return int((histogram >= min_share * total).sum())


class Measures(NamedTuple):
    frechet: float  # Fréchet distance to real test digits (lower is better)
    score: float  # classifier score (higher is better, 10 at most)
    histogram: Tensor  # samples per class
    covered: int  # classes with at least 1% of the samples


def measure(
    classifier: MNISTClassifier, images: Tensor, reference_features: Tensor
) -> Measures:
    """The three measures of ``images`` (in [-1, 1]) against the features of real test
    digits."""
    features, probs = classify(classifier, images)
    histogram = class_histogram(probs)
    return Measures(
        frechet_distance(features, reference_features),
        classifier_score(probs),
        histogram,
        classes_covered(histogram),
    )


# -------------------------------------------------------------------------- the ring


class ModeCount(NamedTuple):
    covered: int  # modes that received at least min_share of the samples
    high_quality: float  # fraction of samples within 3 std of some centre
    per_mode: Tensor  # high-quality samples at each mode


def count_modes(
    points: Tensor,
    modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    min_share: float = 0.01,
) -> ModeCount:
    """Count the modes of the ring of Gaussians (:func:`helpers.data.ring_of_gaussians`)
    that ``points`` cover.

    A point is *high quality* if it lies within 3 standard deviations of a centre; a
    mode is *covered* if at least ``min_share`` of all points are high-quality points
    at it.
    """
    if points.dim() != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(
            f"points must be a non-empty (N, 2) matrix; got {tuple(points.shape)}"
        )
    check_range("min_share", min_share, 0, 1, low_open=True)
    distances = torch.cdist(points.detach().float().cpu(), ring_centres(modes, radius))
    nearest, index = distances.min(dim=1)
    good = nearest <= 3 * std
    per_mode = torch.bincount(index[good], minlength=modes)
    covered = int((per_mode >= min_share * len(points)).sum())
    return ModeCount(covered, float(good.float().mean()), per_mode)
