"""Audio datasets: `inspect_audio` says what is there and what is wrong; `prepare_audio` converts it.

Accepted layouts: WAV/FLAC/MP3/OGG/Opus files with same-name `.txt` transcripts (`audiofolder-transcripts`),
`.srt`/`.vtt` timed transcripts (`audiofolder-subtitles`), `metadata.csv` (header with file_name/text, or
LJSpeech `id|text`) or `metadata.jsonl` with optional speaker, label and start/end per row
(`audio-metadata[-timed]`), one sub-folder per class (`audiofolder-classes`), or bare files.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import median
from typing import Any

from omnitune.data.audio_assess import AudioAssessment, AudioLimits, assess_audio
from omnitune.data.audio_prepare import prepare_audio
from omnitune.data.audio_signal import load_audio
from omnitune.data.audio_sources import AUDIO_EXTENSIONS, AudioItem
from omnitune.data.report import InspectionReport, Problem
from omnitune.types import DataFamily, Modality

__all__ = ["assess_audio", "inspect_audio", "load_audio", "prepare_audio"]


def inspect_audio(
    path: Path,
    *,
    sample_rate: int = 16000,
    channels: int = 1,
    min_s: float = 0.5,
    max_s: float = 30.0,
    segment_s: float | None = None,
    preview: int = 5,
) -> InspectionReport:
    """Detect the audio layout, validate every file and report durations, rates, channels and problems."""
    path = Path(path)
    report = InspectionReport(path=str(path), modality=Modality.AUDIO)
    if not path.exists():
        report.problems.append(
            Problem(file=str(path), message="no such file or directory", hint="check the path")
        )
        return report
    result = assess_audio(path, AudioLimits(sample_rate, channels, min_s, max_s, segment_s))
    report.problems = result.problems
    report.files = len(result.layout.items)
    report.records = result.candidates
    if not result.layout.items:
        report.problems.append(
            Problem(
                file=str(path),
                message="no audio files found",
                hint=f"supported extensions: {', '.join(sorted(AUDIO_EXTENSIONS))}",
            )
        )
        return report
    report.format, report.family = result.layout.format, DataFamily.AUDIO
    report.confidence = 0.95 if result.layout.format != "audiofolder" else 0.8
    report.evidence = result.layout.evidence
    report.stats = audio_stats(result)
    report.preview = [_preview(i, result) for i in result.good[:preview]]
    return report


def _preview(item: AudioItem, result: AudioAssessment) -> dict[str, Any]:
    check = result.checks[item.rel]
    record: dict[str, Any] = {
        "audio": item.rel,
        "text": item.text or "",
        "sampling_rate": check.rate,
        "duration_s": round(check.duration, 3),
    }
    if item.spans:
        record["spans"] = [{"start": s.start, "end": s.end, "text": s.text} for s in item.spans[:3]]
    for key in ("speaker", "label"):
        if getattr(item, key):
            record[key] = getattr(item, key)
    return record


def audio_stats(result: AudioAssessment) -> dict[str, Any]:
    """Durations, sample rates, channel counts, formats, transcripts, speakers and labels."""
    checks = [result.checks[i.rel] for i in result.good]
    if not checks:
        return {"files": 0}
    durations = [c.duration for c in checks]
    stats: dict[str, Any] = {
        "files": len(checks),
        "hours": round(sum(durations) / 3600, 4),
        "duration_s": {
            "min": round(min(durations), 3),
            "median": round(median(durations), 3),
            "max": round(max(durations), 3),
        },
        "sample_rates": dict(Counter(c.rate for c in checks)),
        "channels": dict(Counter(c.channels for c in checks)),
        "formats": dict(Counter(c.format for c in checks)),
        "transcribed": sum(bool(i.text) or bool(i.spans) for i in result.good),
        "timed_spans": sum(len(i.spans) for i in result.good),
        "clipped_files": sum(c.clipped > 0.001 for c in checks),
    }
    for key in ("speaker", "label"):
        counts = Counter(getattr(i, key) for i in result.good if getattr(i, key))
        if counts:
            stats[f"{key}s"] = dict(counts)
    return stats
