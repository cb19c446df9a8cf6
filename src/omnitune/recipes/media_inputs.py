"""Read a prepared audio, video or image dataset for the media recipes (audio/, video/, multimodal/).

Rows come from the manifest's splits (`train.jsonl` [+ `validation.jsonl`]); media paths in a row are
relative to the dataset directory. Audio is decoded with soundfile and resampled with soxr, video with
PyAV (or read from a folder of frame images), images with Pillow.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from omnitune.data.manifest import DatasetManifest

Row = dict[str, Any]
_FRAME_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def read_split(data_dir: Path, split: str) -> list[Row]:
    """The rows of one split (empty when the dataset has no such split)."""
    manifest = DatasetManifest.read(data_dir)
    info = manifest.splits.get(split)
    if info is None:
        return []
    rows = []
    path = data_dir / info.file
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{path}:{number}: not valid JSON ({exc.msg}); re-run `omnitune data prepare`"
                ) from exc
    return rows


def train_and_heldout(data_dir: Path, seed: int, fraction: float = 0.25) -> tuple[list[Row], list[Row]]:
    """Train rows and held-out rows: the validation split, else a seeded slice of train (at least 1 row)."""
    train = read_split(data_dir, "train")
    if not train:
        raise ValueError(
            f"{data_dir}: the train split is empty; add records and re-run `omnitune data prepare`"
        )
    held = read_split(data_dir, "validation")
    if held or len(train) < 4:
        return train, held or list(train)
    shuffled = list(train)
    random.Random(seed).shuffle(shuffled)
    cut = max(1, int(len(shuffled) * fraction))
    return shuffled[cut:], shuffled[:cut]


def require(rows: list[Row], fields: tuple[str, ...], where: str) -> None:
    """Raise naming the first row that lacks one of ``fields``."""
    for number, row in enumerate(rows, start=1):
        missing = [f for f in fields if row.get(f) in (None, "")]
        if missing:
            raise ValueError(f"{where} record {number}: missing {missing}; every record needs {list(fields)}")


def load_waveform(data_dir: Path, rel_path: str, sampling_rate: int, max_seconds: float | None = None) -> Any:
    """Mono float32 samples of an audio file, resampled to ``sampling_rate``."""
    import soundfile
    import soxr

    samples, source_rate = soundfile.read(str(data_dir / rel_path), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    if source_rate != sampling_rate:
        mono = soxr.resample(mono, source_rate, sampling_rate)
    if max_seconds:
        mono = mono[: int(max_seconds * sampling_rate)]
    return np.ascontiguousarray(mono, dtype=np.float32)


def load_rgb(data_dir: Path, rel_path: str, size: int | None = None) -> Any:
    """An image as a PIL RGB image, optionally resized to ``size`` x ``size``."""
    from PIL import Image

    with Image.open(data_dir / rel_path) as image:
        rgb = image.convert("RGB")
    return rgb.resize((size, size)) if size else rgb


def load_frames(data_dir: Path, rel_path: str, num_frames: int, height: int, width: int | None = None) -> Any:
    """``num_frames`` evenly spaced RGB frames, uint8 (frames, height, width, 3), from a folder or a file."""
    path = data_dir / rel_path
    size = (width or height, height)
    frames = _folder_frames(path, size) if path.is_dir() else _decoded_frames(path, size)
    if not frames:
        raise ValueError(f"{path}: no frames found (expected a video file or a folder of PNG/JPEG frames)")
    picks = np.linspace(0, len(frames) - 1, num_frames).round().astype(int)
    return np.stack([frames[i] for i in picks])


def _folder_frames(folder: Path, size: tuple[int, int]) -> list[Any]:
    from PIL import Image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _FRAME_SUFFIXES)
    frames = []
    for file in files:
        with Image.open(file) as image:
            frames.append(np.asarray(image.convert("RGB").resize(size)))
    return frames


def _decoded_frames(file: Path, size: tuple[int, int]) -> list[Any]:
    import av

    with av.open(str(file)) as container:
        return [
            np.asarray(frame.to_image().convert("RGB").resize(size)) for frame in container.decode(video=0)
        ]


def write_mp4(frames: Any, path: Path, fps: int) -> Path:
    """Write uint8 RGB frames (frames, height, width, 3) as an H.264 (else MPEG-4) MP4 with PyAV."""
    import av

    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream(codec, rate=int(fps))
        stream.height, stream.width = int(frames.shape[1]), int(frames.shape[2])
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            container.mux(
                stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24"))
            )
        container.mux(stream.encode())
    return path
