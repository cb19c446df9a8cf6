"""`prepare_audio`: decode, channels, resample, trim, segment, normalise, write 16-bit WAV clips.

Segmentation policy (also written to the manifest as `segmentation`):
- timed transcripts (metadata rows with start/end) become one clip per row, so text stays aligned;
- an untimed transcript is never cut: splitting it would attach words to the wrong audio, so a file
  longer than ``max_s`` is skipped (listed in `skipped.jsonl`) and the user is told to add timestamps;
- audio without text, or whose text is a description (``text_kind="description"``, e.g. music tags),
  is cut into ``segment_s`` windows and every window keeps the file's description and label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from omnitune.data.audio_assess import AudioLimits, assess_audio
from omnitune.data.audio_signal import (
    loudness_normalise,
    peak_normalise,
    read_audio,
    resample,
    set_channels,
    trim_silence,
    windows,
    write_wav,
)
from omnitune.data.audio_sources import AudioItem
from omnitune.data.manifest import DatasetManifest
from omnitune.data.media_output import (
    MediaDataError,
    Record,
    check_options,
    check_paths,
    finish_prepared,
    split_by_group,
    staged_output,
    write_jsonl,
)
from omnitune.types import DataFamily, Modality

Clip = tuple[np.ndarray, float, str | None, str | None]  # samples, start second in the source, text, speaker


def prepare_audio(
    path: Path,
    out_dir: Path,
    *,
    sample_rate: int = 16000,
    channels: int = 1,
    normalise: str | None = "peak",
    trim_silence: bool = True,
    segment_s: float | None = None,
    min_s: float = 0.5,
    max_s: float = 30.0,
    text_kind: str = "transcript",
    top_db: float = 40.0,
    validation_fraction: float = 0.1,
    seed: int = 42,
) -> DatasetManifest:
    """Convert an audio dataset into `audio/*.wav` clips + `train.jsonl`/`validation.jsonl` + manifest."""
    path, out_dir = Path(path), Path(out_dir)
    if normalise not in ("peak", "loudness", None) or text_kind not in ("transcript", "description"):
        raise MediaDataError(
            f"normalise={normalise!r}, text_kind={text_kind!r}: expected "
            "normalise in peak|loudness|None and text_kind in transcript|description"
        )
    check_options(validation_fraction=validation_fraction)
    if sample_rate < 1000 or channels not in (1, 2) or not 0 < min_s <= max_s:
        raise MediaDataError(
            f"sample_rate={sample_rate}, channels={channels}, min_s={min_s}, max_s={max_s}: "
            "expected sample_rate >= 1000, channels 1 or 2, 0 < min_s <= max_s"
        )
    check_paths(path, out_dir)
    limits = AudioLimits(sample_rate, channels, min_s, max_s, segment_s)
    result = assess_audio(path, limits)
    if not result.good:
        raise MediaDataError(
            f"{path}: no usable audio files", [p for p in result.problems if p.severity == "error"]
        )
    options = {"top_db": top_db if trim_silence else None, "text_kind": text_kind, "limits": limits}
    records: list[Record] = []
    skipped: list[dict[str, Any]] = []
    modes: set[str] = set()
    with staged_output(out_dir) as staging:
        (staging / "audio").mkdir()
        for item in result.good:
            clips, reason = _clips(item, options)
            if reason:
                skipped.append({"source": item.rel, "reason": reason})
            for samples, start, text, speaker in clips:
                samples, mode = _normalised(samples, sample_rate, normalise)
                modes.add(mode)
                record = _write_clip(staging, len(records), item, samples, start, text, sample_rate)
                if speaker or item.speaker:
                    record["speaker"] = speaker or item.speaker
                records.append(record)
        if not records:
            raise MediaDataError(f"{path}: every clip was skipped", [])
        if skipped:
            write_jsonl(staging / "skipped.jsonl", skipped)
        train, validation = split_by_group(records, validation_fraction, seed, group=lambda r: r["source"])
        stats = _stats(records, train, validation, result.candidates, skipped, modes, options)
        return finish_prepared(
            staging,
            train,
            validation,
            modality=Modality.AUDIO,
            family=DataFamily.AUDIO,
            source_format=result.layout.format,
            source=path,
            stats=stats,
        )


def _clips(item: AudioItem, options: dict[str, Any]) -> tuple[list[Clip], str | None]:
    """Cut one file into training clips following the segmentation policy; (clips, skip reason)."""
    limits: AudioLimits = options["limits"]
    data, rate = read_audio(item.path)
    data = resample(set_channels(data, limits.channels), rate, limits.sample_rate)
    rate = limits.sample_rate
    if item.spans:
        length = len(data) / rate + 0.05
        valid = [s for s in item.spans if 0 <= s.start < s.end <= length]
        clips: list[Clip] = [
            (data[int(s.start * rate) : int(s.end * rate)], s.start, s.text, s.speaker) for s in valid
        ]
        kept, reason = _keep(clips, rate, options, f"{item.rel}: span")
        if len(valid) < len(item.spans):
            reason = f"{len(item.spans) - len(valid)} span(s) outside the file" + (
                f"; {reason}" if reason else ""
            )
        return kept, reason
    offset = 0
    if options["top_db"] is not None:
        data, offset = trim_silence(data, options["top_db"])
    duration = len(data) / rate
    untimed_transcript = bool(item.text) and options["text_kind"] == "transcript"
    if duration <= limits.max_s and not (
        limits.segment_s and duration > limits.segment_s and not untimed_transcript
    ):
        return _keep([(data, offset / rate, item.text, None)], rate, {**options, "top_db": None}, item.rel)
    if untimed_transcript:
        return (
            [],
            f"{duration:.1f}s with one untimed transcript exceeds max_s {limits.max_s}s; add start/end rows",
        )
    if not limits.segment_s:
        return [], f"{duration:.1f}s exceeds max_s {limits.max_s}s; set segment_s to cut it into chunks"
    cuts = windows(len(data), rate, min(limits.segment_s, limits.max_s), limits.min_s)
    return [(data[s:e], (offset + s) / rate, item.text, None) for s, e in cuts], None


def _keep(clips: list[Clip], rate: int, options: dict[str, Any], label: str) -> tuple[list[Clip], str | None]:
    """Trim each clip's edges, then keep those within [min_s, max_s]; report what was dropped."""
    limits: AudioLimits = options["limits"]
    kept, dropped = [], []
    for samples, start, text, speaker in clips:
        if options["top_db"] is not None and len(samples):
            samples, shift = trim_silence(samples, options["top_db"])
            start += shift / rate
        seconds = len(samples) / rate
        if limits.min_s <= seconds <= limits.max_s:
            kept.append((samples, start, text, speaker))
        else:
            dropped.append(f"{start:.2f}s ({seconds:.2f}s long)")
    return kept, (
        f"{label}: clips outside {limits.min_s}-{limits.max_s}s: {', '.join(dropped)}" if dropped else None
    )


def _normalised(samples: np.ndarray, rate: int, normalise: str | None) -> tuple[np.ndarray, str]:
    if normalise == "peak":
        return peak_normalise(samples), "peak"
    if normalise == "loudness":
        return loudness_normalise(samples, rate)
    return samples, "none"


def _write_clip(
    staging: Path, index: int, item: AudioItem, samples: np.ndarray, start: float, text: str | None, rate: int
) -> Record:
    name = f"audio/{index:05d}.wav"
    write_wav(staging / name, samples, rate)
    record: dict[str, Any] = {
        "audio": name,
        "text": text or "",
        "sampling_rate": rate,
        "duration_s": round(len(samples) / rate, 4),
        "source": item.rel,
        "start_s": round(start, 4),
    }
    if item.label:
        record["label"] = item.label
    return record


def _stats(
    records: list[Record],
    train: list[Record],
    validation: list[Record],
    candidates: int,
    skipped: list[dict[str, Any]],
    modes: set[str],
    options: dict[str, Any],
) -> dict[str, float | int | str]:
    limits: AudioLimits = options["limits"]
    durations = [r["duration_s"] for r in records]
    return {
        "clips": len(records),
        "source_files": len({r["source"] for r in records}),
        "dropped_files": candidates - len({r["source"] for r in records}),
        "skipped": len(skipped),
        "train": len(train),
        "validation": len(validation),
        "hours": round(sum(durations) / 3600, 4),
        "clip_s_min": min(durations),
        "clip_s_max": max(durations),
        "sample_rate": limits.sample_rate,
        "channels": limits.channels,
        "normalise": ", ".join(sorted(modes)),
        "trim_silence": str(options["top_db"] is not None),
        "segmentation": (
            "timed rows -> one clip each; untimed transcripts never cut (too long -> skipped); "
            f"text_kind={options['text_kind']}; segment_s={limits.segment_s}"
        ),
    }
