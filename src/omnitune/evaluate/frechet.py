"""Distances between two sets of precomputed embeddings: Fréchet (FID's math) and kernel (KID's).

Both run torchmetrics' own FID/KID code over embeddings already computed by a feature extractor, so
FID (images), FAD (audio) and frame FID (video) share one implementation whatever the extractor.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch


@dataclass
class ExtractorScores:
    """Scores and the feature extractor they were measured with (comparable only with the same one)."""

    values: dict[str, float]
    extractor: str


class _Embeddings(torch.nn.Module):
    """The identity, as a torchmetrics "feature extractor" over embeddings computed beforehand."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """The embeddings unchanged, in float64 as torchmetrics accumulates them."""
        return embeddings.double()


def _check(real: torch.Tensor, generated: torch.Tensor, what: str) -> None:
    if min(len(real), len(generated)) < 2:
        raise ValueError(f"{what} need at least 2 items in each set (got {len(real)} and {len(generated)})")
    if real.shape[1:] != generated.shape[1:]:
        raise ValueError(f"{what}: embeddings differ in size ({real.shape[1:]} vs {generated.shape[1:]})")


def frechet_distance(real: torch.Tensor, generated: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two embedding sets (N, D); 0 for equal statistics."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    _check(real, generated, "Fréchet distance")
    metric = FrechetInceptionDistance(feature=_Embeddings(real.shape[1]), normalize=True)
    metric.update(real, real=True)
    metric.update(generated, real=False)
    return max(float(metric.compute()), 0.0)  # tiny negative values are sqrtm round-off


def kernel_distance(real: torch.Tensor, generated: torch.Tensor, subset_size: int = 50) -> float:
    """Kernel (KID) distance: mean polynomial-kernel MMD over random subsets; 0 for equal distributions."""
    from torchmetrics.image.kid import KernelInceptionDistance

    _check(real, generated, "kernel distance")
    subset = min(subset_size, len(real), len(generated))
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features")  # a few hundred rows
        torch.manual_seed(0)  # the subsets are drawn at random; fixed so reruns agree
        metric = KernelInceptionDistance(feature=_Embeddings(real.shape[1]), subset_size=subset)
        metric.update(real, real=True)
        metric.update(generated, real=False)
        mean, _ = metric.compute()
    return float(mean)


def mean_cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean cosine similarity between every row of ``a`` and every row of ``b``."""
    a_n = torch.nn.functional.normalize(a.double(), dim=-1)
    b_n = torch.nn.functional.normalize(b.double(), dim=-1)
    return float((a_n @ b_n.T).mean())
