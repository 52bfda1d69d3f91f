"""Measuring what a generator makes: an MNIST classifier and the numbers it gives.

A generator has no test loss. We judge its samples with a separately trained MNIST
classifier, three ways:

* the **Fréchet distance** between Gaussians fitted to the classifier's features of
  generated samples and of real test digits (the idea of FID, Heusel et al. 2017,
  with our classifier in place of Inception);
* the **classifier score** ``exp(E_x KL(p(y|x) || p(y)))`` (the idea of the Inception
  score, Salimans et al. 2016): 10 at most, reached when every sample is a
  confident digit and the ten classes are equally common;
* the **class histogram** of the samples, whose empty bins expose mode collapse.

For the two-dimensional toy problem (a ring of Gaussians) modes are counted directly.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .checkpoints import cached_run
from .config import get_device, seed_everything
from .data import BatchIterator, mnist
from .training import History, fit

N_CLASSES = 10

# ----------------------------------------------------------------------------- the classifier


class MNISTClassifier(nn.Module):
    """A small CNN for MNIST digits in [-1, 1]: two conv blocks, a 128-unit feature layer, 10 logits.

    ``features(x)`` is the 128-number feature vector the Fréchet distance is computed on.
    """

    feature_dim = 128

    def __init__(self, dropout: float = 0.3) -> None:
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout={dropout} is out of range; allowed: 0 <= dropout < 1")
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 14 x 14
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 64 x 7 x 7
            nn.Flatten(), nn.Linear(64 * 7 * 7, self.feature_dim), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_dim, N_CLASSES))

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


class TrainedClassifier(NamedTuple):
    model: MNISTClassifier
    test_accuracy: float
    from_cache: bool
    settings: dict


@torch.no_grad()
def _accuracy(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    """The fraction of ``images`` that ``model`` (eval mode) labels correctly."""
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"images and labels must be non-empty and of equal length; got {len(images)}, {len(labels)}")
    was_training = model.training
    model.eval()
    correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in
                  BatchIterator(images, labels, batch_size=batch_size, shuffle=False))
    model.train(was_training)
    return correct / len(images)


def trained_classifier(
    *,
    epochs: int = 3,
    batch_size: int = 128,
    lr: float = 3e-3,
    limit: int | None = None,
    test_limit: int | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> TrainedClassifier:
    """Train the MNIST classifier (Adam, learning rate decayed to zero), or load it from the cache.

    ``limit`` trains on the first ``limit`` training digits (quick budgets); the test
    accuracy is measured on the first ``test_limit`` test digits (all by default).
    """
    if epochs < 1:
        raise ValueError(f"epochs={epochs} must be at least 1")
    if lr <= 0:
        raise ValueError(f"lr={lr} must be positive")
    device = get_device() if device is None else torch.device(device)
    settings = {"model": "cnn32-64-128", "epochs": epochs, "batch_size": batch_size, "lr": lr, "limit": limit, "seed": seed}
    seed_everything(seed)
    model = MNISTClassifier().to(device)

    def train(model: MNISTClassifier) -> History:
        images, labels = mnist(train=True, scale="tanh", device=device, limit=limit)
        batches = BatchIterator(images, labels, batch_size=batch_size, shuffle=True, seed=seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(batches))

        def step(batch: tuple[Tensor, Tensor]) -> dict[str, Tensor]:
            x, y = batch
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            return {"cross-entropy": loss.detach()}

        model.train()
        return fit(step, batches, epochs, models=[model], desc="MNIST classifier", progress=progress)

    _, from_cache = cached_run("mnist_classifier", settings, model, train)  # a stopped run is not cached
    model.eval()
    test_images, test_labels = mnist(train=False, scale="tanh", device=device, limit=test_limit)
    return TrainedClassifier(model, _accuracy(model, test_images, test_labels), from_cache, settings)


@torch.no_grad()
def classify(classifier: MNISTClassifier, images: Tensor, batch_size: int = 1000) -> tuple[Tensor, Tensor]:
    """The classifier's features ``(N, 128)`` and class probabilities ``(N, 10)`` of ``images``, on the CPU.

    ``images`` are ``(N, 1, 28, 28)`` in [-1, 1], on any device.
    """
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images must have shape (N, 1, 28, 28); got {tuple(images.shape)}")
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    features, probs = [], []
    for start in range(0, len(images), batch_size):
        f = classifier.features(images[start : start + batch_size].to(device))
        features.append(f.cpu())
        probs.append(F.softmax(classifier.head(f), dim=1).cpu())
    classifier.train(was_training)
    return torch.cat(features), torch.cat(probs)


# ----------------------------------------------------------------------------- the three measures


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a: Tensor, features_b: Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature vectors.

    ``‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2})``: the squared
    Wasserstein-2 distance between ``N(μ_a, Σ_a)`` and ``N(μ_b, Σ_b)``; 0 for equal
    statistics. Computed in float64 with symmetric eigendecompositions.
    """
    if features_a.dim() != 2 or features_b.dim() != 2 or features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"features must be two (N, d) matrices with the same d; got "
                         f"{tuple(features_a.shape)} and {tuple(features_b.shape)}")
    if min(len(features_a), len(features_b)) < 2:
        raise ValueError("features: need at least 2 vectors in each set to estimate a covariance")
    a = features_a.detach().double().cpu().numpy()
    b = features_b.detach().double().cpu().numpy()
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    distance = ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
    return float(max(distance, 0.0))


def classifier_score(probs: Tensor) -> float:
    """``exp(E_x KL(p(y|x) ‖ p(y)))`` for class probabilities ``(N, 10)``: between 1 and 10.

    High when each sample is confidently one class (``p(y|x)`` peaked) *and* the classes
    are evenly used (``p(y)``, the mean of ``p(y|x)``, flat).
    """
    if probs.dim() != 2 or len(probs) == 0:
        raise ValueError(f"probs must be a non-empty (N, classes) matrix; got {tuple(probs.shape)}")
    p = probs.double().clamp_min(1e-12)
    marginal = p.mean(0, keepdim=True)
    kl = (p * (p.log() - marginal.log())).sum(1)
    return float(kl.mean().exp())


def class_histogram(probs: Tensor) -> Tensor:
    """How many samples the classifier puts in each class (argmax of ``probs``): ``(10,)`` counts."""
    if probs.dim() != 2 or probs.shape[1] != N_CLASSES:
        raise ValueError(f"probs must have shape (N, {N_CLASSES}); got {tuple(probs.shape)}")
    return torch.bincount(probs.argmax(1), minlength=N_CLASSES)


def classes_covered(histogram: Tensor, min_share: float = 0.01) -> int:
    """The number of classes holding at least ``min_share`` of the samples (1% by default)."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share={min_share} is out of range; allowed: 0 < min_share <= 1")
    total = int(histogram.sum())
    if total == 0:
        raise ValueError("histogram is empty: no samples were counted")
    return int((histogram >= min_share * total).sum())


class Measures(NamedTuple):
    frechet: float  # Fréchet distance to real test digits (lower is better, floor: real vs real)
    score: float  # classifier score (higher is better, 10 at most)
    histogram: Tensor  # samples per class
    covered: int  # classes with at least 1% of the samples


def measure(classifier: MNISTClassifier, images: Tensor, reference_features: Tensor) -> Measures:
    """The three measures of ``images`` (in [-1, 1]) against the features of real test digits."""
    features, probs = classify(classifier, images)
    histogram = class_histogram(probs)
    return Measures(frechet_distance(features, reference_features), classifier_score(probs),
                    histogram, classes_covered(histogram))


# ----------------------------------------------------------------------------- the ring of Gaussians


def ring_centres(modes: int = 8, radius: float = 2.0) -> Tensor:
    """The ``(modes, 2)`` centres, evenly spaced on a circle of ``radius``."""
    if modes < 1 or radius <= 0:
        raise ValueError(f"modes={modes}, radius={radius}: need modes >= 1 and radius > 0")
    angles = torch.arange(modes) * (2 * math.pi / modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                      seed: int = 0) -> Tensor:
    """``n`` points of an equal mixture of ``modes`` Gaussians (std ``std``) on a ring of ``radius``."""
    if n < 1 or std <= 0:
        raise ValueError(f"n={n}, std={std}: need n >= 1 and std > 0")
    generator = torch.Generator().manual_seed(seed)
    which = torch.randint(modes, (n,), generator=generator)
    return ring_centres(modes, radius)[which] + std * torch.randn(n, 2, generator=generator)


class ModeCount(NamedTuple):
    covered: int  # modes that received at least min_share of the samples
    high_quality: float  # fraction of samples within 3 std of some centre
    per_mode: Tensor  # high-quality samples at each mode


def count_modes(points: Tensor, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                min_share: float = 0.01) -> ModeCount:
    """Count the ring's modes that ``points`` cover.

    A point is *high quality* if it lies within 3 standard deviations of a centre; a mode
    is *covered* if at least ``min_share`` of all points are high-quality points at it.
    """
    if points.dim() != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"points must be a non-empty (N, 2) matrix; got {tuple(points.shape)}")
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share={min_share} is out of range; allowed: 0 < min_share <= 1")
    distances = torch.cdist(points.detach().float().cpu(), ring_centres(modes, radius))
    nearest, index = distances.min(dim=1)
    good = nearest <= 3 * std
    per_mode = torch.bincount(index[good], minlength=modes)
    covered = int((per_mode >= min_share * len(points)).sum())
    return ModeCount(covered, float(good.float().mean()), per_mode)
