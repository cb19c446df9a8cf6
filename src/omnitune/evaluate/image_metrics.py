"""Image generation metrics: FID and KID (torchmetrics) with a pluggable feature extractor.

torchmetrics' default extractor is InceptionV3, whose weights torch-fidelity downloads; offline, pass
any vision backbone instead (``VisionFeatures.from_pretrained(DIR)``: a transformers ViT/CLIP/DINO
directory). Scores are comparable only between runs that used the same extractor, which the result names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import torch

from omnitune.evaluate.frechet import ExtractorScores, frechet_distance, kernel_distance, mean_cosine

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
EDGE_THRESHOLD = 0.1  # on gradients of [0, 1] luminance scaled so a full black-white step is 1


class VisionFeatures(torch.nn.Module):
    """Pooled features of a transformers vision model, from images in [0, 1] (N, 3, H, W)."""

    def __init__(self, model: Any, size: int, mean: list[float], std: list[float], name: str = "") -> None:
        super().__init__()
        self.model, self.size, self.name = model.eval(), size, name or type(model).__name__
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))
        self.num_features = int(getattr(model.config, "hidden_size", 0) or model.config.projection_dim)

    @classmethod
    def from_pretrained(cls, path: str) -> VisionFeatures:
        """Load a vision backbone and its preprocessing constants from a directory or Hub id."""
        from transformers import AutoImageProcessor, AutoModel

        processor = AutoImageProcessor.from_pretrained(path)
        size = processor.size.get("height") or processor.size.get("shortest_edge") or 224
        model = AutoModel.from_pretrained(path)
        model = getattr(model, "vision_model", model)  # a CLIP/SigLIP directory: its vision tower
        return cls(model, int(size), list(processor.image_mean), list(processor.image_std), name=path)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features (N, D): resized, normalised, pooled."""
        x = images.float()
        if x.max() > 1.5:  # uint8 range
            x = x / 255.0
        x = torch.nn.functional.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True)
        with torch.no_grad():
            mean, std = cast(torch.Tensor, self.mean), cast(torch.Tensor, self.std)
            out = self.model(pixel_values=(x - mean) / std)
        pooled = getattr(out, "pooler_output", None)
        return (pooled if pooled is not None else out.last_hidden_state.mean(1)).float()


def load_images(source: Path | list[Path], size: int = 64) -> torch.Tensor:
    """Images (a folder's, or the files listed) as a float tensor in [0, 1], (N, 3, size, size)."""
    import numpy as np
    from PIL import Image

    if isinstance(source, list):
        paths = source
    else:
        paths = sorted(p for p in Path(source).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise FileNotFoundError(f"{source}: no images ({', '.join(IMAGE_SUFFIXES)})")
    arrays = [
        np.asarray(Image.open(p).convert("RGB").resize((size, size)), dtype=np.float32) / 255 for p in paths
    ]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)


def extractor_name(feature: torch.nn.Module | int) -> str:
    """How a report names a feature extractor: its directory/id, or torchmetrics' InceptionV3 layer."""
    if isinstance(feature, int):
        return f"inception-v3-compat:{feature}"
    return str(getattr(feature, "name", "") or type(feature).__name__)


def image_features(images: torch.Tensor, feature: torch.nn.Module, batch_size: int = 16) -> torch.Tensor:
    """Features (N, D) of images in [0, 1], in batches."""
    with torch.no_grad():
        return torch.cat([feature(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def fid_kid(
    real: torch.Tensor, generated: torch.Tensor, feature: torch.nn.Module | int = 2048, kid_subset: int = 50
) -> ExtractorScores:
    """FID and KID (mean) between two image sets in [0, 1]; lower is better."""
    if min(len(real), len(generated)) < 2:
        raise ValueError("FID/KID need at least 2 images in each set")
    if isinstance(feature, int):
        return ExtractorScores(
            _inception_fid_kid(real, generated, feature, kid_subset), extractor_name(feature)
        )
    real_f, generated_f = image_features(real, feature), image_features(generated, feature)
    values = {
        "fid": frechet_distance(real_f, generated_f),
        "kid": kernel_distance(real_f, generated_f, kid_subset),
    }
    return ExtractorScores(values, extractor_name(feature))


def _inception_fid_kid(
    real: torch.Tensor, generated: torch.Tensor, feature: int, kid_subset: int
) -> dict[str, float]:
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    subset = min(kid_subset, len(real), len(generated))
    try:
        fid = FrechetInceptionDistance(feature=feature, normalize=True)
        kid = KernelInceptionDistance(feature=feature, normalize=True, subset_size=subset)
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"{exc}; or pass a feature extractor (VisionFeatures.from_pretrained(DIR))"
        ) from None
    for metric in (fid, kid):
        metric.update(real, real=True)
        metric.update(generated, real=False)
    kid_mean, _ = kid.compute()
    return {"fid": float(fid.compute()), "kid": float(kid_mean)}


def subject_similarity(
    generated: torch.Tensor, instances: torch.Tensor, feature: torch.nn.Module
) -> ExtractorScores:
    """DreamBooth subject fidelity: mean cosine between generated and instance image features (1 = same)."""
    if not len(generated) or not len(instances):
        raise ValueError("subject similarity needs generated images and at least one instance image")
    value = mean_cosine(image_features(generated, feature), image_features(instances, feature))
    return ExtractorScores({"subject_similarity": value}, extractor_name(feature))


def edge_map(images: torch.Tensor, threshold: float = EDGE_THRESHOLD) -> torch.Tensor:
    """Binary edges (N, H, W) of [0, 1] images: Sobel gradient magnitude of luminance over ``threshold``."""
    gray = (images.float() * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 4
    kernels = torch.stack([sobel, sobel.T])[:, None]
    gradients = torch.nn.functional.conv2d(
        torch.nn.functional.pad(gray, (1, 1, 1, 1), mode="replicate"), kernels
    )
    return gradients.norm(dim=1) > threshold


def edge_f1(conditions: torch.Tensor, generated: torch.Tensor, tolerance: int = 1) -> ExtractorScores:
    """ControlNet fidelity: F1 of the Sobel edges of each generated image against its conditioning image's,
    an edge counting as matched within ``tolerance`` pixels (1 = every edge kept, nothing added)."""
    if conditions.shape != generated.shape or not len(generated):
        raise ValueError(f"edge F1 needs paired images of one size (got {tuple(conditions.shape)} and "
                         f"{tuple(generated.shape)})")  # fmt: skip
    want, got = edge_map(conditions), edge_map(generated)
    scores = []
    for a, b in zip(want, got, strict=True):
        if not a.any() and not b.any():
            scores.append(1.0)  # both flat: nothing to follow and nothing added
            continue
        precision = float((b & _dilate(a, tolerance)).sum()) / max(int(b.sum()), 1)
        recall = float((a & _dilate(b, tolerance)).sum()) / max(int(a.sum()), 1)
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return ExtractorScores({"edge_f1": sum(scores) / len(scores)}, f"sobel>{EDGE_THRESHOLD}")


def _dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    window = 2 * radius + 1
    return (
        torch.nn.functional.max_pool2d(mask[None, None].float(), window, stride=1, padding=radius)[0, 0] > 0
    )
