"""Video generation metrics: frame-level quality (the image metrics over sampled frames) and temporal
consistency (mean cosine similarity of consecutive frames' features; 1.0 = a static clip)."""

from __future__ import annotations

import torch

from omnitune.evaluate.frechet import ExtractorScores
from omnitune.evaluate.image_metrics import extractor_name, fid_kid, image_features


def frames_tensor(frames: torch.Tensor | object) -> torch.Tensor:
    """Frames (T, H, W, 3) uint8 or (T, 3, H, W) float as a float tensor in [0, 1], (T, 3, H, W)."""
    x = torch.as_tensor(frames)
    if x.dim() != 4:
        raise ValueError(f"expected frames shaped (T, H, W, 3) or (T, 3, H, W), got {tuple(x.shape)}")
    if x.shape[-1] == 3 and x.shape[1] != 3:
        x = x.permute(0, 3, 1, 2)
    x = x.float()
    return x / 255.0 if x.max() > 1.5 else x


def temporal_consistency(clips: list[torch.Tensor], feature: torch.nn.Module) -> ExtractorScores:
    """Mean cosine similarity of consecutive frames' features over the clips (1.0 = static)."""
    sims = []
    for clip in clips:
        if len(clip) < 2:
            raise ValueError("temporal consistency needs clips of at least 2 frames")
        feats = torch.nn.functional.normalize(image_features(clip, feature).double(), dim=-1)
        sims.append((feats[1:] * feats[:-1]).sum(-1))
    value = float(torch.cat(sims).mean())
    return ExtractorScores({"temporal_consistency": value}, extractor_name(feature))


def sample_frames(clips: list[torch.Tensor], per_clip: int = 4) -> torch.Tensor:
    """``per_clip`` evenly spaced frames of every clip, stacked (N, 3, H, W)."""
    picked = []
    for clip in clips:
        index = torch.linspace(0, len(clip) - 1, min(per_clip, len(clip))).round().long()
        picked.append(clip[index])
    return torch.cat(picked)


def frame_fid_kid(
    reference: list[torch.Tensor], generated: list[torch.Tensor], feature: torch.nn.Module, per_clip: int = 4
) -> ExtractorScores:
    """Frame-level FID/KID: the image metrics between sampled reference and generated frames."""
    scores = fid_kid(sample_frames(reference, per_clip), sample_frames(generated, per_clip), feature)
    values = {f"frame_{k}": v for k, v in scores.values.items()}
    return ExtractorScores(values, scores.extractor)
