"""Which modality a path holds, from file extensions (media files win over their caption files)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from omnitune.data.errors import DataError
from omnitune.data.sources import TEXT_SUFFIXES, looks_like_hub_id
from omnitune.types import Modality

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"})
_BY_SUFFIX = {
    **{s: Modality.IMAGE for s in IMAGE_SUFFIXES},
    **{s: Modality.AUDIO for s in AUDIO_SUFFIXES},
    **{s: Modality.VIDEO for s in VIDEO_SUFFIXES},
    **{s: Modality.LLM for s in TEXT_SUFFIXES},
}


def _visible_files(folder: Path) -> list[Path]:
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]


def detect_modality(path: str | Path) -> tuple[Modality, str]:
    """(modality, evidence) for a file, folder or Hub id; DataError when nothing recognisable is there."""
    location = Path(path)
    if location.is_file():
        modality = _BY_SUFFIX.get(location.suffix.lower())
        if modality is None:
            raise DataError(
                f"{location}: unrecognised file type {location.suffix or '(none)'}; pass --modality"
            )
        return modality, f"file extension {location.suffix.lower()}"
    if location.is_dir():
        counts = Counter(
            _BY_SUFFIX[p.suffix.lower()] for p in _visible_files(location) if p.suffix.lower() in _BY_SUFFIX
        )
        media = [(n, m) for m, n in counts.items() if m is not Modality.LLM]
        if media:
            n, modality = max(media)
            return modality, f"{n} {modality.value} files" + (
                f" (and {counts[Modality.LLM]} text files, taken as captions/metadata)"
                if counts[Modality.LLM]
                else ""
            )
        if counts:
            return Modality.LLM, f"{counts[Modality.LLM]} text data files"
        raise DataError(f"{location}: no recognisable data files (text, image, audio or video)")
    if looks_like_hub_id(str(path)):
        return Modality.LLM, "Hugging Face dataset id"
    raise DataError(f"{path}: no such file or folder (and not a Hugging Face dataset id like 'owner/name')")
