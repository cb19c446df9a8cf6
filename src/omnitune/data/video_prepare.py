"""`prepare_videos`: frames sampled at a target fps and count, resized/cropped, audio track cut alongside."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from omnitune.data.audio_signal import write_wav
from omnitune.data.image_buckets import plan_geometry
from omnitune.data.image_checks import save_png
from omnitune.data.manifest import DatasetManifest
from omnitune.data.media_output import (
    MediaDataError,
    Record,
    as_size,
    check_options,
    check_paths,
    finish_prepared,
    split_by_group,
    staged_output,
    write_jsonl,
)
from omnitune.data.video_assess import assess_videos
from omnitune.data.video_io import AV_ERRORS, VideoCheck, iter_frames, read_audio_track, sample_at
from omnitune.data.video_sources import VideoItem
from omnitune.types import DataFamily, Modality


def prepare_videos(
    path: Path,
    out_dir: Path,
    *,
    fps: float = 8,
    num_frames: int = 16,
    resolution: int | tuple[int, int] = (64, 64),
    crop: str = "center",
    clips_per_video: int = 1,
    extract_audio: bool = False,
    audio_sample_rate: int = 16000,
    validation_fraction: float = 0.1,
    seed: int = 42,
) -> DatasetManifest:
    """Convert clips into `videos/NNNNN/000.png…` frame folders (+ `audio/NNNNN.wav`), splits, manifest.

    Each clip yields up to ``clips_per_video`` consecutive windows of ``num_frames`` frames at ``fps``
    (resolution is (width, height)); a clip shorter than one window is skipped and listed in `skipped.jsonl`.
    """
    path, out_dir = Path(path), Path(out_dir)
    if fps <= 0 or num_frames < 1 or clips_per_video < 1:
        raise MediaDataError(
            f"fps={fps}, num_frames={num_frames}, clips_per_video={clips_per_video}: must be positive"
        )
    resolution = as_size(resolution)
    check_options(validation_fraction=validation_fraction, crop=crop, size=resolution)
    check_paths(path, out_dir)
    result = assess_videos(path, fps=fps, num_frames=num_frames)
    if not result.good:
        raise MediaDataError(
            f"{path}: no usable video clips", [p for p in result.problems if p.severity == "error"]
        )
    settings = {
        "fps": fps,
        "num_frames": num_frames,
        "resolution": resolution,
        "crop": crop,
        "clips": clips_per_video,
        "audio_rate": audio_sample_rate if extract_audio else None,
    }
    records: list[Record] = []
    skipped: list[dict[str, Any]] = []
    rng = random.Random(seed)
    with staged_output(out_dir) as staging:
        for item in result.good:
            reason: str | None = None
            try:
                made = _write_clip(staging, len(records), item, result.checks[item.rel], settings, rng)
            except AV_ERRORS as exc:  # damage past the probed first frame shows only when decoding
                made, reason = [], f"decoding failed ({exc})"
            else:
                reason = (
                    None
                    if made
                    else f"shorter than {num_frames / fps:.2f}s ({num_frames} frames at {fps} fps)"
                )
            records += made
            if reason:
                skipped.append({"source": item.rel, "reason": reason})
        if not records:
            raise MediaDataError(
                f"{path}: every clip was skipped: " + "; ".join(s["reason"] for s in skipped[:3])
            )
        if skipped:
            write_jsonl(staging / "skipped.jsonl", skipped)
        train, validation = split_by_group(records, validation_fraction, seed, group=lambda r: r["source"])
        stats: dict[str, float | int | str] = {
            "clips": len(records),
            "source_clips": len(result.good),
            "dropped": result.candidates - len(result.good),
            "skipped": len(skipped),
            "train": len(train),
            "validation": len(validation),
            "fps": fps,
            "num_frames": num_frames,
            "width": resolution[0],
            "height": resolution[1],
            "with_audio": sum("audio" in r for r in records),
        }
        return finish_prepared(
            staging,
            train,
            validation,
            modality=Modality.VIDEO,
            family=DataFamily.VIDEO,
            source_format=result.layout.format,
            source=path,
            stats=stats,
        )


def _write_clip(
    staging: Path,
    first: int,
    item: VideoItem,
    check: VideoCheck,
    settings: dict[str, Any],
    rng: random.Random,
) -> list[Record]:
    """Sample the windows of one source clip and write their frames (and audio); one record per window."""
    fps, count = settings["fps"], settings["num_frames"]
    window = count / fps
    windows = min(settings["clips"], int((check.duration + 1e-6) // window))
    if windows == 0:
        return []
    targets = [w * window + k / fps for w in range(windows) for k in range(count)]
    frames = sample_at(iter_frames(item.path, item.fps), targets, 1.0 / max(check.fps, 1e-6))
    windows = len(frames) // count
    geometry = plan_geometry((check.width, check.height), settings["resolution"], settings["crop"], rng)
    track = (
        read_audio_track(item.path, settings["audio_rate"])
        if settings["audio_rate"] and check.has_audio
        else None
    )
    records = []
    for w in range(windows):
        name = f"{first + w:05d}"
        folder = staging / "videos" / name
        folder.mkdir(parents=True)
        for k, frame in enumerate(frames[w * count : (w + 1) * count]):
            if frame.size != (check.width, check.height):
                frame = frame.resize((check.width, check.height))
            save_png(geometry.apply(frame), folder / f"{k:03d}.png")
        record: dict[str, Any] = {
            "video": f"videos/{name}/",
            "text": item.caption or "",
            "fps": float(fps),
            "num_frames": count,
            "width": settings["resolution"][0],
            "height": settings["resolution"][1],
            "source": item.rel,
            "start_s": w * window,
        }
        if track is not None:
            record["audio"] = _write_audio(staging, name, track, w * window, window, settings["audio_rate"])
        if item.label:
            record["label"] = item.label
        records.append(record)
    return records


def _write_audio(staging: Path, name: str, track: Any, start: float, length: float, rate: int) -> str:
    """Cut the audio that plays during one window; pad with silence if the track ends early."""
    import numpy as np

    begin, size = round(start * rate), round(length * rate)
    piece = track[begin : begin + size]
    piece = np.pad(piece, (0, size - len(piece)))
    (staging / "audio").mkdir(exist_ok=True)
    write_wav(staging / "audio" / f"{name}.wav", piece[:, None], rate)
    return f"audio/{name}.wav"
