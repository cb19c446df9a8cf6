"""Timed transcripts from `.srt` / `.vtt` sidecars: each cue becomes one aligned span."""

from __future__ import annotations

import re
from pathlib import Path

from omnitune.data.media_metadata import MetadataRow
from omnitune.data.report import Problem

SUBTITLE_EXTENSIONS = (".srt", ".vtt")
_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})$")
_TAGS = re.compile(r"<[^>]+>|\{[^}]+\}")


def _seconds(stamp: str) -> float | None:
    match = _TIME.match(stamp.strip().split(" ")[0])
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def parse_subtitles(
    text: str, file: str
) -> tuple[list[tuple[float, float, str, MetadataRow]], list[Problem]]:
    """(start, end, text, where) for every cue, and a located problem for each unreadable timing line."""
    cues: list[tuple[float, float, str, MetadataRow]] = []
    problems: list[Problem] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "-->" not in line:
            continue
        left, right = line.split("-->", 1)
        start, end = _seconds(left), _seconds(right)
        if start is None or end is None:
            problems.append(
                Problem(
                    file=file,
                    line=number,
                    field="start",
                    message=f"unreadable cue timing {line!r}",
                    hint="write times as 00:00:01,250 --> 00:00:03,000",
                )
            )
            continue
        words = []
        for following in lines[number:]:
            if not following.strip():
                break
            words.append(_TAGS.sub("", following).strip())
        cues.append((start, end, " ".join(w for w in words if w), MetadataRow({}, line=number)))
    return cues, problems


def subtitle_sidecar(audio: Path) -> Path | None:
    """`name.srt` or `name.vtt` beside an audio file, if present."""
    return next(
        (audio.with_suffix(ext) for ext in SUBTITLE_EXTENSIONS if audio.with_suffix(ext).is_file()), None
    )
