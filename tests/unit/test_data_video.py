"""Video datasets: clip discovery, each validator, and frame/audio extraction on clips the tests encode."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from omnitune.data.media_output import MediaDataError
from omnitune.data.video import inspect_videos, prepare_videos, read_video_frames

G = 12  # grey step between consecutive frames


def encode(
    path: Path, frames: int = 16, fps: int = 8, size=(64, 48), audio=False, gaps=None, codec="libx264"
) -> Path:
    """A clip whose frame i is grey level 12*i (so tests can tell which frame was sampled)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        if gaps:
            stream.codec_context.time_base = Fraction(1, 1000)
        sound = container.add_stream("aac", rate=16000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        pts = 0
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((size[1], size[0], 3), G * i, np.uint8), format="rgb24"
            )
            if gaps:
                frame.pts, frame.time_base = pts, Fraction(1, 1000)
                pts += gaps[i % len(gaps)]
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if sound is not None:
            wave = (0.3 * np.sin(np.arange(16000 * frames // fps) / 5)).astype(np.float32)[None, :]
            for start in range(0, wave.shape[1], 1024):
                chunk = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(wave[:, start : start + 1024]), format="fltp", layout="mono"
                )
                chunk.sample_rate, chunk.pts = 16000, start
                container.mux(sound.encode(chunk))
            container.mux(sound.encode())
    return path


def write_frames(folder: Path, count: int, size=(40, 30)) -> Path:
    folder.mkdir(parents=True)
    for i in range(count):
        Image.new("RGB", size, (G * i,) * 3).save(folder / f"{i:04d}.png")
    return folder


def by_file(report, file: str) -> list:
    return [p for p in report.problems if p.file == file]


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    root = tmp_path / "clips"
    encode(root / "talk.mp4", audio=True)
    (root / "talk.txt").write_text("a person talking", encoding="utf-8")
    encode(root / "uneven.mkv", gaps=[200, 50])
    (root / "uneven.txt").write_text("uneven", encoding="utf-8")
    encode(root / "web.webm", codec="libvpx", frames=20)
    encode(root / "short.mp4", frames=4)
    (root / "short.txt").write_text("short", encoding="utf-8")
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    write_frames(root / "frames_clip", 20)
    (root / "frames_clip" / "caption.txt").write_text("frames", encoding="utf-8")
    folder = write_frames(root / "mixed", 3)
    Image.new("RGB", (10, 10)).save(folder / "0009.png")
    for empty in ("empty.mp4", "empty.mkv"):  # header written, no frames
        with av.open(str(root / empty), "w") as container:
            stream = container.add_stream("libx264", rate=8)
            stream.width, stream.height = 32, 32
            container.start_encoding()
    return root


def test_inspect_reports_each_clip_problem(clips: Path) -> None:
    report = inspect_videos(clips)
    assert report.format == "videofolder-captions" and report.usable
    assert "unreadable" in by_file(report, "broken.mp4")[0].message
    assert "no video stream" in by_file(report, "empty.mp4")[0].message
    assert "zero frames" in by_file(report, "empty.mkv")[0].message
    assert "different sizes" in by_file(report, "mixed")[0].message
    uneven = by_file(report, "uneven.mkv")
    assert uneven[0].field == "fps" and "variable frame rate" in uneven[0].message
    assert any("only 0.50s long" in p.message for p in by_file(report, "short.mp4"))
    assert by_file(report, "web.webm")[0].field == "text"
    assert all(p.hint and p.field for p in report.problems)
    stats = report.stats
    assert stats["with_audio"] == 1 and stats["variable_frame_rate"] == 1 and stats["frame_folders"] == 1
    assert stats["resolutions"]["64x48"] == 4 and stats["codecs"]["vp8"] == 1
    talk = next(r for r in report.preview if r["video"] == "talk.mp4")
    assert talk["fps"] == 8 and talk["num_frames"] == 16 and talk["text"] == "a person talking"


def test_prepare_samples_frames_at_target_fps_and_cuts_audio(clips: Path, tmp_path: Path) -> None:
    before = sorted((p.name, p.stat().st_mtime_ns) for p in clips.rglob("*"))
    out = tmp_path / "out"
    manifest = prepare_videos(
        clips,
        out,
        fps=4,
        num_frames=4,
        resolution=(32, 32),
        extract_audio=True,
        clips_per_video=2,
        validation_fraction=0,
    )
    assert sorted((p.name, p.stat().st_mtime_ns) for p in clips.rglob("*")) == before
    rows = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    talk = [r for r in rows if r["source"] == "talk.mp4"]
    assert len(talk) == 2 and talk[1]["start_s"] == 1.0
    greys = [np.asarray(Image.open(out / talk[1]["video"] / f"{k:03d}.png")).mean() for k in range(4)]
    assert np.allclose(greys, [G * i for i in (8, 10, 12, 14)], atol=6)  # every other 8-fps frame from 1 s
    audio, rate = sf.read(out / talk[0]["audio"])
    assert rate == 16000 and len(audio) == 16000 and np.abs(audio).max() > 0.1
    uneven = next(r for r in rows if r["source"] == "uneven.mkv")
    frames = [np.asarray(Image.open(out / uneven["video"] / f"{k:03d}.png")).mean() for k in range(4)]
    assert np.allclose(
        frames, [0, 2 * G, 4 * G, 6 * G], atol=6
    )  # timestamps 0, .25, .5, .75 s under 200/50 ms gaps
    assert {json.loads(x)["source"] for x in (out / "skipped.jsonl").read_text().splitlines()} == {
        "short.mp4"
    }
    assert manifest.stats["with_audio"] == 2 and "audio" not in uneven
    assert Image.open(out / rows[0]["video"] / "000.png").size == (32, 32)


def test_metadata_frame_folder_fps_and_read_video_frames(tmp_path: Path) -> None:
    root = tmp_path / "meta"
    write_frames(root / "a", 12)
    encode(root / "b.mp4")
    lines = [
        {"file_name": "a/", "text": "slow", "fps": 4},
        {"file_name": "b.mp4", "text": "b"},
        {"file_name": "missing.mp4", "text": "gone"},
    ]
    (root / "metadata.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    report = inspect_videos(root, fps=2, num_frames=4)
    assert report.format == "video-metadata"
    assert [(p.line, p.field) for p in report.problems if p.severity == "error"] == [(3, "file_name")]
    assert next(r for r in report.preview if r["video"] == "a")["fps"] == 4
    prepare_videos(root, tmp_path / "out", fps=2, num_frames=4, validation_fraction=0)
    row = json.loads((tmp_path / "out" / "train.jsonl").read_text().splitlines()[0])
    greys = [
        np.asarray(Image.open(tmp_path / "out" / row["video"] / f"{k:03d}.png")).mean() for k in range(4)
    ]
    assert np.allclose(greys, [0, 2 * G, 4 * G, 6 * G], atol=1)  # 4-fps folder sampled at 2 fps
    video = read_video_frames(root / "b.mp4", 5, size=(16, 12))
    assert video.shape == (5, 12, 16, 3) and video.dtype == np.uint8
    assert np.allclose(video[:, 0, 0, 0], [0, 4 * G, 8 * G, 11 * G, 15 * G], atol=8)
    assert read_video_frames(root / "a", 3).shape == (3, 30, 40, 3)


def test_unusable_sets_fail_clearly(tmp_path: Path) -> None:
    assert not inspect_videos(tmp_path / "missing").usable
    root = tmp_path / "bad"
    root.mkdir()
    (root / "x.mp4").write_bytes(b"garbage")
    with pytest.raises(MediaDataError, match="no usable video") as info:
        prepare_videos(root, tmp_path / "out")
    assert info.value.problems[0].file == "x.mp4"
    encode(root / "tiny.mp4", frames=2)
    with pytest.raises(MediaDataError, match="every clip was skipped"):
        prepare_videos(root, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_looks_like_video_dataset(clips: Path, tmp_path: Path) -> None:
    from omnitune.data.video_sources import looks_like_video_dataset

    assert looks_like_video_dataset(clips) and looks_like_video_dataset(clips / "talk.mp4")
    frames_only = tmp_path / "frames_only"
    write_frames(frames_only / "clip1", 4)
    assert looks_like_video_dataset(frames_only)
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (40, 40)).save(photos / "holiday.png")
    assert not looks_like_video_dataset(photos) and not looks_like_video_dataset(tmp_path / "missing")


def test_display_rotation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(90)
        for _ in range(4):
            pixels = np.zeros((32, 64, 3), np.uint8)
            pixels[:, :32] = 255  # left half white; after a 90° counter-clockwise turn it is the bottom half
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    report = inspect_videos(path, num_frames=2)
    assert report.stats["resolutions"] == {"32x64": 1}
    frames = read_video_frames(path, 2)
    assert frames.shape == (2, 64, 32, 3)
    assert frames[0, 48:].mean() > 200 and frames[0, :16].mean() < 50
