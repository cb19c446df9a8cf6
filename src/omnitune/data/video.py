"""Video datasets: `inspect_videos` says what is there and what is wrong; `prepare_videos` converts it.

Clips are MP4/MOV/MKV/WebM/AVI files (PyAV) or folders of numbered frames (fps from metadata, default 8).
Captions: `clip.txt` beside a clip, `caption.txt` inside a frame folder, or `metadata.jsonl`/`.csv` with
file_name, text, optional label and fps; one sub-folder per class gives labels.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import median
from typing import Any

from omnitune.data.report import InspectionReport, Problem
from omnitune.data.video_assess import VideoAssessment, assess_videos
from omnitune.data.video_io import VideoCheck, read_video_frames
from omnitune.data.video_prepare import prepare_videos
from omnitune.data.video_sources import VIDEO_EXTENSIONS, VideoItem
from omnitune.types import DataFamily, Modality

__all__ = ["assess_videos", "inspect_videos", "prepare_videos", "read_video_frames"]


def inspect_videos(path: Path, *, fps: float = 8, num_frames: int = 16, preview: int = 5) -> InspectionReport:
    """Detect clips, validate them and report duration, fps, resolution, codecs, audio and problems."""
    path = Path(path)
    report = InspectionReport(path=str(path), modality=Modality.VIDEO)
    if not path.exists():
        report.problems.append(
            Problem(file=str(path), message="no such file or directory", hint="check the path")
        )
        return report
    result = assess_videos(path, fps=fps, num_frames=num_frames)
    report.problems, report.files, report.records = (
        result.problems,
        len(result.layout.items),
        result.candidates,
    )
    if not result.layout.items:
        hint = f"supported: {', '.join(sorted(VIDEO_EXTENSIONS))} files or folders of PNG/JPEG frames"
        report.problems.append(Problem(file=str(path), message="no video clips found", hint=hint))
        return report
    report.format, report.family = result.layout.format, DataFamily.VIDEO
    report.confidence = 0.95 if result.layout.format != "videofolder" else 0.8
    report.evidence = result.layout.evidence
    report.stats = video_stats(result)
    report.preview = [_preview(i, result.checks[i.rel]) for i in result.good[:preview]]
    return report


def _preview(item: VideoItem, check: VideoCheck) -> dict[str, Any]:
    record: dict[str, Any] = {
        "video": item.rel,
        "text": item.caption or "",
        "fps": round(check.fps, 3),
        "num_frames": check.frames,
    }
    if item.label:
        record["label"] = item.label
    return record


def video_stats(result: VideoAssessment) -> dict[str, Any]:
    """Durations, frame rates, resolutions, codecs, audio tracks, VFR clips, captions and labels."""
    checks = [result.checks[i.rel] for i in result.good]
    if not checks:
        return {"clips": 0}
    durations = [c.duration for c in checks]
    stats: dict[str, Any] = {
        "clips": len(checks),
        "duration_s": {
            "min": round(min(durations), 3),
            "median": round(median(durations), 3),
            "max": round(max(durations), 3),
        },
        "fps": dict(Counter(round(c.fps, 2) for c in checks)),
        "resolutions": dict(Counter(f"{c.width}x{c.height}" for c in checks).most_common(10)),
        "codecs": dict(Counter(c.codec for c in checks)),
        "with_audio": sum(c.has_audio for c in checks),
        "variable_frame_rate": sum(c.vfr for c in checks),
        "frame_folders": sum(i.is_frame_folder for i in result.good),
        "captioned": sum(bool(i.caption) for i in result.good),
    }
    labels = Counter(i.label for i in result.good if i.label)
    if labels:
        stats["labels"] = dict(labels)
    return stats
