"""Find the audio files of a dataset and their transcripts (sidecar, metadata table, timed rows), labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from omnitune.data.audio_subtitles import parse_subtitles, subtitle_sidecar
from omnitune.data.media_metadata import (
    FILE_COLUMNS,
    TEXT_COLUMNS,
    MediaLayout,
    MetadataRow,
    MetadataTable,
    file_column,
    fill_layout,
    label_by_folder,
    text_value,
)
from omnitune.data.media_output import read_sidecar, relative
from omnitune.data.report import Problem

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus"})
UNSUPPORTED_AUDIO = frozenset({".m4a", ".aac", ".wma", ".aiff", ".aif", ".amr", ".mka"})


@dataclass
class Span:
    """A timed transcript: ``text`` is spoken between ``start`` and ``end`` seconds."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    where: MetadataRow | None = None
    source: str | None = None  # the file the timing came from, when not the metadata table


@dataclass
class AudioItem:
    """One audio file and what belongs to it."""

    path: Path
    rel: str
    text: str | None = None
    speaker: str | None = None
    label: str | None = None
    spans: list[Span] = field(default_factory=list)


@dataclass
class AudioLayout(MediaLayout[AudioItem]):
    """What discovery found: format, evidence, items and located problems."""

    format: str = "audiofolder"


def _visible(path: Path, root: Path) -> bool:
    return path.is_file() and not any(p.startswith(".") for p in path.relative_to(root).parts)


def list_audio(root: Path) -> list[Path]:
    """Supported audio files under ``root`` (sorted, hidden folders skipped)."""
    return [p for p in sorted(root.rglob("*")) if p.suffix.lower() in AUDIO_EXTENSIONS and _visible(p, root)]


def discover_audio(path: Path) -> AudioLayout:
    """Work out the layout of an audio dataset at ``path`` (folder, single file or metadata file)."""
    if path.is_file() and path.suffix.lower() in AUDIO_EXTENSIONS:
        layout = AudioLayout(path.parent, evidence=["a single audio file"])
        layout.items.append(AudioItem(path, path.name, text=_sidecar(layout, path)))
        return layout
    root = path.parent if path.is_file() else path
    layout = AudioLayout(root)
    if not fill_layout(path, layout, "audio", _from_metadata, _from_folder):
        return layout
    for other in sorted(root.rglob("*")):
        if other.suffix.lower() in UNSUPPORTED_AUDIO and _visible(other, root):
            layout.problems.append(
                Problem(
                    file=relative(other, root),
                    field="audio",
                    message=f"{other.suffix} files are not supported",
                    hint=f"convert it: ffmpeg -i {other.name} {other.with_suffix('.flac').name}",
                )
            )
    return layout


def _from_folder(layout: AudioLayout) -> None:
    root = layout.root
    files = list_audio(root)
    for path in files:
        item = AudioItem(path, relative(path, root), text=_sidecar(layout, path))
        _subtitles(layout, item)
        layout.items.append(item)
    transcribed = sum(i.text is not None for i in layout.items)
    subtitled = sum(bool(i.spans) for i in layout.items)
    if subtitled:
        layout.format = "audiofolder-subtitles"
        layout.evidence.append(f"{subtitled} of {len(files)} files have timed .srt/.vtt transcripts")
    elif transcribed:
        layout.format = "audiofolder-transcripts"
        layout.evidence.append(f"{transcribed} of {len(files)} files have a same-name .txt transcript")
    elif not label_by_folder(layout, "audio", "audiofolder-classes"):
        layout.evidence.append(f"{len(files)} audio files without transcripts")


def _subtitles(layout: AudioLayout, item: AudioItem) -> None:
    """Timed cues from a same-name .srt/.vtt become the item's spans."""
    sidecar = subtitle_sidecar(item.path)
    if sidecar is None:
        return
    rel = relative(sidecar, layout.root)
    text = read_sidecar(sidecar, layout.root, layout.problems, "subtitle", "text")
    if text is None:
        return
    cues, problems = parse_subtitles(text, rel)
    layout.problems += problems
    item.spans = [Span(start, end, words, where=where, source=rel) for start, end, words, where in cues]


def _sidecar(layout: AudioLayout, path: Path) -> str | None:
    sidecar = path.with_suffix(".txt")
    if not sidecar.is_file():
        return None
    text = read_sidecar(sidecar, layout.root, layout.problems, "transcript", "text")
    return text.strip() if text is not None else None


def _from_metadata(layout: AudioLayout, table: MetadataTable) -> None:
    name = table.path.name
    file_col = file_column(table, layout.problems, f"name the audio column one of {', '.join(FILE_COLUMNS)}")
    if file_col is None:
        return
    cols = {
        k: table.column(v)
        for k, v in {
            "text": TEXT_COLUMNS,
            "speaker": ("speaker", "speaker_id"),
            "label": ("label", "class"),
            "start": ("start", "start_s", "begin"),
            "end": ("end", "end_s", "stop"),
        }.items()
    }
    layout.format = "audio-metadata-timed" if cols["start"] and cols["end"] else "audio-metadata"
    layout.evidence.append(
        f"{name} with file column '{file_col}'" + (", timed rows" if cols["start"] else "")
    )
    by_rel: dict[str, AudioItem] = {}
    for row in table.rows:
        rel = text_value(row.values.get(file_col)) or ""
        item = by_rel.get(rel) or _metadata_item(layout, row, name, file_col, rel)
        if item is None:
            continue
        by_rel[rel] = item
        _fill(item, row, cols, layout, name)
    layout.items = list(by_rel.values())


def _metadata_item(layout: AudioLayout, row: MetadataRow, name: str, col: str, rel: str) -> AudioItem | None:
    path = layout.root / rel
    if not rel:
        layout.problems.append(row.problem(name, col, "empty file name", "fill in the audio path"))
        return None
    if not path.is_file() and Path(rel).suffix == "":  # LJSpeech ids name `wavs/<id>.wav`
        path = next(
            (c for c in (layout.root / "wavs" / f"{rel}.wav", layout.root / f"{rel}.wav") if c.is_file()),
            path,
        )
    if not path.is_file() or path.suffix.lower() not in AUDIO_EXTENSIONS:
        what = "does not exist" if not path.exists() else "is not a supported audio file"
        layout.problems.append(row.problem(name, col, f"{rel} {what}", "fix the path or drop the row"))
        return None
    return AudioItem(path, relative(path, layout.root))


def _fill(item: AudioItem, row: MetadataRow, cols: dict, layout: AudioLayout, name: str) -> None:
    text = text_value(row.values.get(cols["text"])) if cols["text"] else None
    speaker = text_value(row.values.get(cols["speaker"])) if cols["speaker"] else None
    item.speaker = item.speaker or speaker
    item.label = item.label or (text_value(row.values.get(cols["label"])) if cols["label"] else None)
    if not (cols["start"] and cols["end"]):
        item.text = text
        return
    try:
        start, end = float(row.values[cols["start"]]), float(row.values[cols["end"]])
    except (KeyError, TypeError, ValueError):
        layout.problems.append(
            row.problem(name, cols["start"], "start/end are not numbers", "give times in seconds, e.g. 1.25")
        )
        return
    item.spans.append(Span(start, end, text or "", speaker, row))
