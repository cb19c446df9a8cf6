"""Signal operations on float32 (frames, channels) arrays: read, channels, resample, normalise, trim."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SILENCE_PEAK = 10 ** (-60 / 20)  # quieter than -60 dBFS everywhere counts as silent
CLIP_LEVEL = 0.999
PEAK_TARGET = 10 ** (-1 / 20)  # -1 dBFS leaves headroom for codecs
LOUDNESS_TARGET = -23.0  # LUFS, EBU R128


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Decode a WAV/FLAC/MP3/OGG file to float32 (frames, channels) and its sample rate."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data, int(rate)


def set_channels(data: np.ndarray, channels: int) -> np.ndarray:
    """Downmix by averaging, or duplicate mono, to reach ``channels`` (1 or 2)."""
    if data.shape[1] == channels:
        return data
    mono = data.mean(axis=1, keepdims=True)
    return mono if channels == 1 else np.repeat(mono, channels, axis=1)


def resample(data: np.ndarray, rate: int, target: int) -> np.ndarray:
    """High-quality resampling with soxr (no-op when the rate already matches)."""
    if rate == target or len(data) == 0:
        return data
    return soxr.resample(data, rate, target, quality="HQ").astype(np.float32)


def peak_normalise(data: np.ndarray, target: float = PEAK_TARGET) -> np.ndarray:
    """Scale so the loudest sample sits at ``target`` (default -1 dBFS)."""
    peak = float(np.abs(data).max()) if data.size else 0.0
    return data if peak <= 0 else (data * (target / peak)).astype(np.float32)


def loudness_normalise(
    data: np.ndarray, rate: int, target_lufs: float = LOUDNESS_TARGET
) -> tuple[np.ndarray, str]:
    """ITU-R BS.1770 loudness to ``target_lufs`` (pyloudnorm); peak fallback for clips under 0.4 s."""
    import pyloudnorm

    if len(data) < int(0.4 * rate) + 1:
        return peak_normalise(data), "peak (too short for loudness)"
    loudness = pyloudnorm.Meter(rate).integrated_loudness(data)
    if not np.isfinite(loudness):
        return peak_normalise(data), "peak (no measurable loudness)"
    scaled = data * (10 ** ((target_lufs - loudness) / 20))
    if np.abs(scaled).max() > PEAK_TARGET:  # never clip to reach the loudness target
        return peak_normalise(scaled), "loudness (peak-limited)"
    return scaled.astype(np.float32), "loudness"


def trim_silence(
    data: np.ndarray, top_db: float = 40.0, frame: int = 2048, hop: int = 512
) -> tuple[np.ndarray, int]:
    """Cut leading/trailing audio quieter than ``top_db`` below the loudest frame; (trimmed, start frame).

    Same rule as librosa.effects.trim, computed from a running sum of squares: librosa's numba JIT
    costs ~10 s per process, more than the whole preprocessing of a small dataset.
    """
    if len(data) == 0:
        return data, 0
    # Frames centred on multiples of ``hop`` over zero padding, as librosa does.
    padded = np.pad(data.mean(axis=1).astype(np.float64), frame // 2)
    energy = np.concatenate([[0.0], np.cumsum(np.square(padded))])
    starts = np.arange(0, len(data) + 1, hop)
    power = (energy[np.minimum(starts + frame, len(padded))] - energy[starts]) / frame
    loudest = power.max()
    if loudest <= 0:
        return data[:0], 0
    loud = np.flatnonzero(10 * np.log10(np.maximum(power, 1e-20) / loudest) > -top_db)
    start, end = int(loud[0] * hop), int(min(len(data), (loud[-1] + 1) * hop))
    return data[start:end], start


@dataclass(frozen=True)
class Levels:
    """Loudness facts used by validation."""

    peak: float
    clipped_fraction: float
    rms_db: float


def measure(data: np.ndarray) -> Levels:
    """Peak, fraction of samples at full scale, and RMS level in dBFS."""
    if data.size == 0:
        return Levels(0.0, 0.0, -np.inf)
    magnitude = np.abs(data)
    rms = float(np.sqrt(np.mean(np.square(data, dtype=np.float64))))
    return Levels(
        float(magnitude.max()),
        float((magnitude >= CLIP_LEVEL).mean()),
        20 * np.log10(rms) if rms > 0 else -np.inf,
    )


def windows(frames: int, rate: int, segment_s: float, min_s: float) -> list[tuple[int, int]]:
    """Consecutive [start, end) frame windows of ``segment_s``; a tail shorter than ``min_s`` is dropped."""
    size = max(1, round(segment_s * rate))
    spans = [(start, min(start + size, frames)) for start in range(0, frames, size)]
    return [(s, e) for s, e in spans if (e - s) / rate >= min_s]


def write_wav(path: Path, data: np.ndarray, rate: int) -> None:
    """16-bit PCM WAV, clipped to [-1, 1] first so nothing wraps around."""
    sf.write(str(path), np.clip(data, -1.0, 1.0), rate, subtype="PCM_16")


def load_audio(path: Path, sample_rate: int = 16000, mono: bool = True) -> np.ndarray:
    """Decode and resample one file: float32 (samples,) when mono, else (samples, channels)."""
    data, rate = read_audio(Path(path))
    data = resample(set_channels(data, 1) if mono else data, rate, sample_rate)
    return data[:, 0] if mono else data
