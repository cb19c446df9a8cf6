"""Find the clips of a video dataset (video files or folders of frames), their captions and labels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omnitune.data.image_sources import is_image
from omnitune.data.media_metadata import (
    TEXT_COLUMNS,
    MediaLayout,
    MetadataTable,
    file_column,
    fill_layout,
    label_by_folder,
    text_value,
)
from omnitune.data.media_output import read_sidecar, relative

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"})
CAPTION_NAMES = ("caption.txt", "prompt.txt")


@dataclass
class VideoItem:
    """One clip: a video file or a folder of frames, with its caption, label and declared fps."""

    path: Path
    rel: str
    caption: str | None = None
    label: str | None = None
    fps: float | None = None

    @property
    def is_frame_folder(self) -> bool:
        """True when the clip is a directory of still frames."""
        return self.path.is_dir()


@dataclass
class VideoLayout(MediaLayout[VideoItem]):
    """What discovery found: format, evidence, clips and located problems."""

    format: str = "videofolder"


def _hidden(path: Path, root: Path) -> bool:
    return any(p.startswith(".") for p in path.relative_to(root).parts)


def is_video(path: Path) -> bool:
    """True for a visible file with a video extension."""
    return path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS and not path.name.startswith(".")


def is_frame_folder(path: Path) -> bool:
    """A directory holding image frames directly and no video files."""
    if not path.is_dir():
        return False
    children = list(path.iterdir())
    return any(is_image(c) for c in children) and not any(is_video(c) for c in children)


def list_frames(folder: Path) -> list[Path]:
    """The frames of a frame folder in natural order (name sorted; zero-pad names to be safe)."""
    return sorted((p for p in folder.iterdir() if is_image(p)), key=lambda p: (len(p.stem), p.name))


def list_clips(root: Path) -> list[Path]:
    """Video files and frame folders under ``root`` (sorted, hidden folders skipped)."""
    if is_frame_folder(root):
        return [root]
    found = [
        p for p in sorted(root.rglob("*")) if not _hidden(p, root) and (is_video(p) or is_frame_folder(p))
    ]
    return found


def discover_videos(path: Path) -> VideoLayout:
    """Work out the layout of a video dataset at ``path`` (folder, a video file, or a metadata file)."""
    if is_video(path):
        layout = VideoLayout(path.parent, evidence=["a single video file"])
        layout.items.append(VideoItem(path, path.name, caption=_sidecar(layout, path)))
        return layout
    root = path.parent if path.is_file() else path
    layout = VideoLayout(root)
    fill_layout(path, layout, "video", _from_metadata, _from_folder)
    return layout


def _from_folder(layout: VideoLayout) -> None:
    root = layout.root
    for clip in list_clips(root):
        rel = relative(clip, root) if clip != root else "."
        layout.items.append(VideoItem(clip, rel, caption=_sidecar(layout, clip)))
    frames = sum(i.is_frame_folder for i in layout.items)
    captioned = sum(i.caption is not None for i in layout.items)
    if frames:
        layout.evidence.append(f"{frames} folders of frames")
    if captioned:
        layout.format = "videofolder-captions"
        layout.evidence.append(f"{captioned} of {len(layout.items)} clips have a caption file")
    elif not label_by_folder(layout, "clips", "videofolder-classes"):
        layout.evidence.append(f"{len(layout.items)} clips without captions")


def _sidecar(layout: VideoLayout, clip: Path) -> str | None:
    """`clip.txt` beside a video or frame folder, or `caption.txt` inside a frame folder."""
    candidates = [clip.with_suffix(".txt") if clip.is_file() else clip.parent / f"{clip.name}.txt"]
    if clip.is_dir():
        candidates += [clip / name for name in CAPTION_NAMES]
    for sidecar in candidates:
        if sidecar.is_file():
            text = read_sidecar(sidecar, layout.root, layout.problems, "caption", "text")
            return text.strip() if text is not None else None
    return None


def _from_metadata(layout: VideoLayout, table: MetadataTable) -> None:
    name = table.path.name
    file_col = file_column(table, layout.problems, "add a file_name column")
    if file_col is None:
        return
    layout.format = "video-metadata"
    layout.evidence.append(f"{name} with file column '{file_col}'")
    text_col, label_col, fps_col = (
        table.column(TEXT_COLUMNS),
        table.column(("label", "class")),
        table.column(("fps",)),
    )
    for row in table.rows:
        rel = (text_value(row.values.get(file_col)) or "").rstrip("/")
        clip = layout.root / rel
        if not rel or not (is_video(clip) or is_frame_folder(clip)):
            what = "is empty" if not rel else "is not a video file or a folder of frames"
            layout.problems.append(
                row.problem(name, file_col, f"{rel or 'file name'} {what}", "fix the path")
            )
            continue
        item = VideoItem(clip, rel, caption=text_value(row.values.get(text_col)) if text_col else None)
        item.label = text_value(row.values.get(label_col)) if label_col else None
        try:
            item.fps = (
                float(row.values[fps_col]) if fps_col and row.values.get(fps_col) not in (None, "") else None
            )
        except (TypeError, ValueError):
            layout.problems.append(row.problem(name, fps_col, "fps is not a number", "write e.g. 24"))
        layout.items.append(item)


def looks_like_video_dataset(path: Path) -> bool:
    """True when ``path`` holds video files, or only folders of numbered frames (for modality detection)."""
    if path.is_file():
        return is_video(path)
    if not path.is_dir():
        return False
    clips = list_clips(path)
    if any(is_video(c) for c in clips):
        return True
    loose = [p for p in path.iterdir() if is_image(p)]
    numbered = [c for c in clips if c.is_dir() and all(f.stem.isdigit() for f in list_frames(c))]
    return bool(numbered) and not loose and len(numbered) == len(clips)
