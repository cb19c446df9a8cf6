"""Fréchet Audio Distance (FAD) with a pluggable transformers audio encoder.

The encoder is any directory transformers loads with ``AutoFeatureExtractor`` + ``AutoModel``: a
wav2vec2/HuBERT/AST/Whisper encoder (mean-pooled last hidden states), a CLAP model (its audio
embedding) or an x-vector model (``...ForXVector``: its speaker embedding). FAD is the Fréchet
distance between the two embedding distributions (``frechet.py``, the math FID uses). Scores are
comparable only under the same encoder, which the result names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from omnitune.evaluate.clip_score import projected
from omnitune.evaluate.frechet import ExtractorScores, frechet_distance

AUDIO_ENCODER_ENV = "OMNITUNE_AUDIO_ENCODER"
FAD_HINT = (
    "no audio encoder: pass --audio-encoder DIR (wav2vec2, HuBERT, AST or CLAP) or set OMNITUNE_AUDIO_ENCODER"
)


def audio_encoder_path(given: str | None) -> str | None:
    """The audio encoder to embed with: ``--audio-encoder``, else OMNITUNE_AUDIO_ENCODER, else None."""
    return given or os.environ.get(AUDIO_ENCODER_ENV) or None


class AudioFeatures:
    """Embeddings (N, D) of mono waveforms from a transformers audio encoder."""

    def __init__(self, model: Any, feature_extractor: Any, name: str) -> None:
        self.model, self.feature_extractor, self.name = model.eval(), feature_extractor, name

    @classmethod
    def from_pretrained(cls, path: str) -> AudioFeatures:
        """Load an audio encoder and its feature extractor from a directory (or a cached Hub id)."""
        from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoModelForAudioXVector

        try:
            architectures = AutoConfig.from_pretrained(path).architectures or []
            # an x-vector checkpoint (WavLM/UniSpeechSat ...ForXVector): its speaker embedding head
            auto = (
                AutoModelForAudioXVector
                if any(a.endswith("ForXVector") for a in architectures)
                else AutoModel
            )
            return cls(auto.from_pretrained(path), AutoFeatureExtractor.from_pretrained(path), path)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"--audio-encoder {path}: not a transformers audio encoder ({exc}); give a directory with "
                "a feature extractor and weights, e.g. a wav2vec2, AST or CLAP checkpoint"
            ) from None

    @property
    def sampling_rate(self) -> int:
        """The rate the encoder expects; clips are resampled to it."""
        return int(self.feature_extractor.sampling_rate)

    def embed(self, waves: Sequence[np.ndarray], sampling_rate: int) -> torch.Tensor:
        """One pooled embedding per clip (clips of any length, resampled to the encoder's rate)."""
        from omnitune.data.audio_signal import resample

        rows = []
        for wave in waves:
            mono = resample(np.asarray(wave, dtype=np.float32), sampling_rate, self.sampling_rate)
            inputs = self.feature_extractor(mono, sampling_rate=self.sampling_rate, return_tensors="pt")
            with torch.no_grad():
                rows.append(self._encode(dict(inputs)).float()[0])
        return torch.stack(rows)

    def _encode(self, inputs: dict[str, Any]) -> torch.Tensor:
        if hasattr(self.model, "get_audio_features"):  # CLAP: the projected audio embedding
            return projected(self.model.get_audio_features(**inputs))
        encoder = self.model.get_encoder() if self.model.config.is_encoder_decoder else self.model
        out = encoder(**inputs)
        xvector = getattr(out, "embeddings", None)
        return xvector if xvector is not None else out.last_hidden_state.mean(1)


def frechet_audio_distance(
    reference: Sequence[np.ndarray],
    generated: Sequence[np.ndarray],
    sampling_rate: int,
    encoder: AudioFeatures,
) -> ExtractorScores:
    """FAD between reference and generated clips at ``sampling_rate`` (lower is better; 0 = same)."""
    if min(len(reference), len(generated)) < 2:
        raise ValueError(
            f"FAD needs at least 2 clips in each set (got {len(reference)} and {len(generated)})"
        )
    value = frechet_distance(encoder.embed(reference, sampling_rate), encoder.embed(generated, sampling_rate))
    return ExtractorScores({"fad": value}, encoder.name)
