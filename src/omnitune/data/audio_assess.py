"""Per-file audio validation: unreadable, empty, silent, clipped, too short/long, channels, rate, spans."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from omnitune.data.audio_signal import CLIP_LEVEL, SILENCE_PEAK
from omnitune.data.audio_sources import AudioItem, AudioLayout, discover_audio
from omnitune.data.media_metadata import MediaAssessment
from omnitune.data.report import Problem

CLIPPED_FRACTION = 0.001  # more than 0.1% of samples at full scale is audible distortion


@dataclass
class AudioCheck:
    """Facts about one file read in blocks (so long files do not fill memory)."""

    duration: float = 0.0
    rate: int = 0
    channels: int = 0
    format: str = ""
    peak: float = 0.0
    clipped: float = 0.0
    error: tuple[str, str] | None = None


@dataclass
class AudioLimits:
    """What the target training setup accepts."""

    sample_rate: int = 16000
    channels: int = 1
    min_s: float = 0.5
    max_s: float = 30.0
    segment_s: float | None = None


@dataclass
class AudioAssessment(MediaAssessment[AudioLayout, AudioCheck, AudioItem]):
    """Discovery plus per-file checks: usable items and every located problem."""


def probe_audio(path: Path) -> AudioCheck:
    """Read header and samples block by block: duration, rate, channels, peak and clipping."""
    check = AudioCheck()
    try:
        info = sf.info(str(path))
        check.rate, check.channels, check.format = int(info.samplerate), int(info.channels), info.format
        frames, clipped, peak = 0, 0, 0.0
        for block in sf.blocks(str(path), blocksize=1 << 16, dtype="float32", always_2d=True):
            magnitude = np.abs(block)
            frames += len(block)
            peak = max(peak, float(magnitude.max(initial=0.0)))
            clipped += int((magnitude >= CLIP_LEVEL).sum())
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        check.error = (
            f"unreadable audio ({str(exc).strip() or type(exc).__name__})",
            "re-export it as WAV or FLAC (e.g. ffmpeg -i in.x out.flac)",
        )
        return check
    check.duration = frames / check.rate if check.rate else 0.0
    check.peak = peak
    check.clipped = clipped / max(1, frames * check.channels)
    if frames == 0:
        check.error = ("contains no audio samples", "re-export or remove the file")
    return check


def assess_audio(path: Path, limits: AudioLimits | None = None) -> AudioAssessment:
    """Discover the layout at ``path`` and validate every file against ``limits``."""
    limits = limits or AudioLimits()
    layout = discover_audio(Path(path))
    result = AudioAssessment(layout, problems=list(layout.problems))
    for item in layout.items:
        check = probe_audio(item.path)
        result.checks[item.rel] = check
        problems = file_problems(item, check, limits)
        result.problems += problems
        if not any(p.severity == "error" and p.field == "audio" for p in problems):
            result.good.append(item)
    _transcript_problems(result)
    return result


def file_problems(item: AudioItem, check: AudioCheck, limits: AudioLimits) -> list[Problem]:
    """Every problem with one file; errors on field 'audio' make the file unusable."""
    found: list[Problem] = []

    def add(message: str, hint: str, severity: str = "error", field: str = "audio") -> None:
        found.append(
            Problem(
                file=item.rel,
                field=field,
                message=message,
                hint=hint,
                severity="error" if severity == "error" else "warning",
            )
        )

    if check.error:
        add(*check.error)
        return found
    if check.peak < SILENCE_PEAK:
        add(f"silent (peak {20 * np.log10(max(check.peak, 1e-6)):.0f} dBFS)", "remove it or re-record")
    if check.clipped > CLIPPED_FRACTION:
        add(
            f"clipped: {check.clipped:.1%} of samples at full scale",
            "re-record or export at a lower gain",
            "warning",
        )
    if check.duration < limits.min_s and not item.spans:
        add(f"too short ({check.duration:.2f}s < {limits.min_s}s)", "remove it or lower min_s")
    elif check.duration > limits.max_s and not item.spans:
        action = "cut into segment_s chunks" if limits.segment_s else "dropped unless segment_s is set"
        add(
            f"long ({check.duration:.1f}s > max_s {limits.max_s}s); it will be {action}",
            "split it into shorter clips, or give timed transcripts (start/end)",
            "warning",
        )
    if check.channels != limits.channels:
        what = "downmixed to mono" if limits.channels == 1 else f"converted to {limits.channels} channels"
        add(
            f"{check.channels} channels; will be {what}",
            f"record with {limits.channels} channel(s)",
            "warning",
        )
    if check.rate < limits.sample_rate:
        add(
            f"{check.rate} Hz is below the target {limits.sample_rate} Hz; upsampling adds no detail",
            "use a higher-rate original if you have one",
            "warning",
        )
    found += _span_problems(item, check)
    return found


def _span_problems(item: AudioItem, check: AudioCheck) -> list[Problem]:
    found = []
    for span in item.spans:
        if not (0 <= span.start < span.end <= check.duration + 0.05):
            where = span.where
            found.append(
                Problem(
                    file=span.source or item.rel,
                    field="start",
                    line=where.line if where else None,
                    row=where.row if where else None,
                    message=f"span {span.start}-{span.end}s: empty or past the end ({check.duration:.2f}s)",
                    hint="fix the start/end times",
                )
            )
    return found


def _transcript_problems(result: AudioAssessment) -> None:
    items = result.layout.items
    if result.layout.format == "audiofolder-classes" or not items:
        return
    has_text = [i for i in items if (i.text and i.text.strip()) or any(s.text for s in i.spans)]
    if not has_text:
        result.problems.append(
            Problem(
                file=".",
                field="text",
                severity="warning",
                message="no transcripts or descriptions found",
                hint="add same-name .txt files or a metadata.csv/jsonl (file_name, text)",
            )
        )
        return
    for item in result.good:
        if item not in has_text:
            result.problems.append(
                Problem(
                    file=item.rel,
                    field="text",
                    severity="warning",
                    message="missing or empty transcript",
                    hint=f"write {Path(item.rel).with_suffix('.txt').as_posix()} or add a metadata row",
                )
            )
