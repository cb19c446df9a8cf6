"""Stems to one song: resample to a common rate (soxr) and mix with headroom (numpy)."""

from __future__ import annotations

import numpy as np

MUSIC_GAIN = 0.5  # the backing track sits 6 dB under the voice, so the words stay intelligible
PEAK = 10 ** (-1 / 20)  # normalise the mix to -1 dBFS: loud, with headroom against inter-sample clipping


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``wave`` (mono float) at ``target`` Hz, via soxr's high-quality resampler."""
    import soxr

    wave = np.asarray(wave, dtype=np.float32)
    return wave if rate == target else np.asarray(soxr.resample(wave, rate, target), dtype=np.float32)


def _peak_normalised(wave: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(wave))) if wave.size else 0.0
    return wave / peak if peak > 0 else wave


def mix(music: np.ndarray, vocals: np.ndarray) -> np.ndarray:
    """Both stems peak-normalised, the music under the voice, summed and normalised to -1 dBFS."""
    length = max(len(music), len(vocals))
    out = np.zeros(length, dtype=np.float32)
    out[: len(music)] += MUSIC_GAIN * _peak_normalised(music)
    out[: len(vocals)] += _peak_normalised(vocals)
    return (PEAK * _peak_normalised(out)).astype(np.float32)
