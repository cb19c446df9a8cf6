"""Speaker embeddings for SpeechT5 without speechbrain: supplied x-vectors, or derived from mel statistics.

SpeechT5 is conditioned on a speaker vector (in the reference recipe a 512-d x-vector from
speechbrain's ECAPA model, which needs a Hub download). Offline we derive one per speaker, in a
fixed, documented way: the mean and standard deviation over time of the speaker's log-mel frames
(the model's own feature extractor), projected to ``speaker_embedding_dim`` by a fixed Gaussian
matrix (seed 0, independent of the job) and L2-normalised like an x-vector. The same speaker always
gets the same vector, different voices get different vectors, and fine-tuning learns to use them.
A row may instead carry its own ``speaker_embedding`` (a list of floats, e.g. a real x-vector).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch

PROJECTION_SEED = 0


def speaker_of(row: dict[str, Any]) -> str:
    """The row's speaker id ("default" when the dataset names none)."""
    return str(row.get("speaker") or "default")


def mel_statistics_embedding(mels: list[torch.Tensor], dim: int) -> torch.Tensor:
    """Fixed projection of [mean, std] over the frames of ``mels`` ((frames, bins) each) to a unit vector."""
    frames = torch.cat(mels)
    stats = torch.cat([frames.mean(0), frames.std(0, unbiased=False)])
    generator = torch.Generator().manual_seed(PROJECTION_SEED)
    projection = torch.randn(stats.numel(), dim, generator=generator) / stats.numel() ** 0.5
    return torch.nn.functional.normalize(stats @ projection, dim=0)


def speaker_embeddings(
    rows: list[dict[str, Any]], mels: list[torch.Tensor], dim: int
) -> dict[str, torch.Tensor]:
    """One embedding per speaker: the rows' own ``speaker_embedding`` if given, else from mel statistics."""
    given: dict[str, torch.Tensor] = {}
    by_speaker: dict[str, list[torch.Tensor]] = defaultdict(list)
    for row, mel in zip(rows, mels, strict=True):
        if row.get("speaker_embedding") is not None:
            vector = torch.tensor(row["speaker_embedding"], dtype=torch.float32)
            if vector.numel() != dim:
                raise ValueError(
                    f"speaker_embedding of speaker {speaker_of(row)!r} has {vector.numel()} values; "
                    f"this model expects {dim}"
                )
            given[speaker_of(row)] = vector
        by_speaker[speaker_of(row)].append(mel)
    derived = {s: mel_statistics_embedding(m, dim) for s, m in by_speaker.items() if s not in given}
    return {**derived, **given}
