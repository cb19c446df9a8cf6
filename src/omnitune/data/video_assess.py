"""Per-clip video validation: unreadable, zero frames, variable frame rate, too short, captions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omnitune.data.media_metadata import MediaAssessment
from omnitune.data.report import Problem
from omnitune.data.video_io import VideoCheck, probe_video
from omnitune.data.video_sources import VideoItem, VideoLayout, discover_videos


@dataclass
class VideoAssessment(MediaAssessment[VideoLayout, VideoCheck, VideoItem]):
    """Discovery plus per-clip checks: usable clips and every located problem."""


def assess_videos(path: Path, *, fps: float = 8, num_frames: int = 16) -> VideoAssessment:
    """Discover clips at ``path`` and validate each one for sampling ``num_frames`` at ``fps``."""
    layout = discover_videos(Path(path))
    result = VideoAssessment(layout, problems=list(layout.problems))
    for item in layout.items:
        check = probe_video(item.path, item.fps)
        result.checks[item.rel] = check
        if _clip_problems(result, item, check, num_frames / fps):
            result.good.append(item)
    _caption_problems(result)
    return result


def _clip_problems(result: VideoAssessment, item: VideoItem, check: VideoCheck, needed_s: float) -> bool:
    def add(field: str, message: str, hint: str, severity: str = "warning") -> None:
        level = "error" if severity == "error" else "warning"
        result.problems.append(
            Problem(file=item.rel, field=field, message=message, hint=hint, severity=level)
        )

    if check.error:
        add("video", check.error[0], check.error[1], "error")
        return False
    if check.vfr:
        add(
            "fps",
            "variable frame rate",
            "frames are sampled by timestamp; re-encode at a constant rate if motion looks uneven",
        )
    if check.duration + 1e-6 < needed_s:
        add(
            "video",
            f"only {check.duration:.2f}s long; {needed_s:.2f}s are needed for the requested frames",
            "use a longer clip, or fewer frames / a lower fps",
        )
    return True


def _caption_problems(result: VideoAssessment) -> None:
    if result.layout.format == "videofolder-classes" or not result.good:
        return
    captioned = [i for i in result.good if i.caption]
    if not captioned:
        result.problems.append(
            Problem(
                file=".",
                field="text",
                severity="warning",
                message="no clip has a caption",
                hint="add clip.txt beside each clip or a metadata.jsonl (file_name, text)",
            )
        )
        return
    for item in result.good:
        if not item.caption:
            result.problems.append(
                Problem(
                    file=item.rel,
                    field="text",
                    severity="warning",
                    message="missing or empty caption",
                    hint="add a caption file or row",
                )
            )
