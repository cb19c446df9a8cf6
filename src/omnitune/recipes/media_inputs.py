"""Read a prepared audio, video or image dataset for the media recipes (audio/, video/, multimodal/).

Rows come from the manifest's splits (`train.jsonl` [+ `validation.jsonl`]); media paths in a row are
relative to the dataset directory and decoded by the data layer's loaders (``load_audio``,
``read_video_frames``, ``load_image_rgb``). ``write_mp4`` writes generated clips with PyAV.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from omnitune.data.manifest import DatasetManifest

Row = dict[str, Any]


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
    """Mono float32 samples of an audio file, resampled to ``sampling_rate`` (the data layer's decoder)."""
    from omnitune.data.audio_signal import load_audio

    mono = load_audio(data_dir / rel_path, sample_rate=sampling_rate)
    if max_seconds:
        mono = mono[: int(max_seconds * sampling_rate)]
    return np.ascontiguousarray(mono, dtype=np.float32)


def load_rgb(data_dir: Path, rel_path: str) -> Any:
    """An image as an upright PIL RGB image (the data layer's loader)."""
    from omnitune.data.image import load_image_rgb

    return load_image_rgb(data_dir / rel_path)


def load_frames(data_dir: Path, rel_path: str, num_frames: int, height: int, width: int | None = None) -> Any:
    """``num_frames`` evenly spaced RGB frames, uint8 (frames, height, width, 3), from a folder or a file."""
    from omnitune.data.video_io import read_video_frames

    return read_video_frames(data_dir / rel_path, num_frames, (width or height, height))


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
