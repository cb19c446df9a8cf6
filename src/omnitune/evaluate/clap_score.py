"""CLAP score of audio clips against their text descriptions, over a transformers ``ClapModel`` directory.

The CLIP score's definition carried over to audio: ``100 * max(cos(audio_embedding, text_embedding), 0)``
averaged over the pairs (higher is better). Scores are comparable only under the same CLAP model, which
the result names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from omnitune.evaluate.clip_score import clip_score_from_embeddings, projected
from omnitune.evaluate.frechet import ExtractorScores


class ClapScorer:
    """A CLAP model and its processor, embedding clips and descriptions into one space."""

    def __init__(self, model: Any, processor: Any, name: str) -> None:
        self.model, self.processor, self.name = model.eval(), processor, name

    @classmethod
    def from_pretrained(cls, path: str) -> ClapScorer:
        """Load ``ClapModel`` + ``ClapProcessor`` from a directory (or a cached Hub id)."""
        from transformers import ClapModel, ClapProcessor

        try:
            return cls(ClapModel.from_pretrained(path), ClapProcessor.from_pretrained(path), path)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"--clap {path}: not a CLAP directory ({exc}); give a folder saved with "
                "ClapModel.save_pretrained + ClapProcessor.save_pretrained, e.g. laion/clap-htsat-unfused"
            ) from None

    def score(self, waves: Sequence[np.ndarray], sampling_rate: int, texts: list[str]) -> ExtractorScores:
        """CLAP score of each clip (at ``sampling_rate``) against its own description, averaged."""
        from omnitune.data.audio_signal import resample

        if len(waves) != len(texts) or not texts:
            raise ValueError(
                f"CLAP score needs one text per clip (got {len(waves)} clips, {len(texts)} texts)"
            )
        rate = int(self.processor.feature_extractor.sampling_rate)
        audio = [resample(np.asarray(w, dtype=np.float32), sampling_rate, rate) for w in waves]
        with torch.no_grad():
            clips = self.processor(audio=audio, sampling_rate=rate, return_tensors="pt")
            audio_embeddings = projected(self.model.get_audio_features(**clips))
            words = self.processor(text=texts, return_tensors="pt", padding=True, truncation=True)
            text_embeddings = projected(self.model.get_text_features(**words))
        value = clip_score_from_embeddings(audio_embeddings, text_embeddings)
        return ExtractorScores({"clap_score": value}, self.name)
