"""Audio datasets: each validator, every transcript source, and preprocessing on WAVs the tests write."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from omnitune.data.audio import inspect_audio, load_audio, prepare_audio
from omnitune.data.audio_signal import loudness_normalise, measure, windows
from omnitune.data.manifest import DatasetManifest
from omnitune.data.media_output import MediaDataError

RATE = 8000


def tone(
    seconds: float, freq: float = 440.0, amp: float = 0.5, rate: int = RATE, channels: int = 1
) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def write(path: Path, data: np.ndarray, rate: int = RATE, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, rate, **kwargs)
    return path


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def by_file(report, file: str) -> list:
    return [p for p in report.problems if p.file == file]


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    root = tmp_path / "messy"
    write(root / "good.wav", tone(1.0))
    (root / "good.txt").write_text("hello world", encoding="utf-8")
    write(root / "silent.wav", np.zeros(RATE, dtype=np.float32))
    (root / "silent.txt").write_text("nothing", encoding="utf-8")
    write(root / "clipped.wav", np.clip(tone(1.0, amp=3.0), -1, 1))
    (root / "clipped.txt").write_text("loud", encoding="utf-8")
    write(root / "stereo.flac", tone(1.0, channels=2))
    (root / "stereo.txt").write_text("two channels", encoding="utf-8")
    write(root / "short.wav", tone(0.1))
    (root / "short.txt").write_text("blip", encoding="utf-8")
    write(root / "long.ogg", tone(3.0, freq=300))
    (root / "long.txt").write_text("a long one", encoding="utf-8")
    write(root / "untranscribed.wav", tone(1.0, freq=600))
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (root / "voice.m4a").write_bytes(b"\x00" * 32)
    write(root / "lowrate.wav", tone(1.0, rate=4000), rate=4000)
    (root / "lowrate.txt").write_text("low", encoding="utf-8")
    return root


def test_inspect_finds_every_audio_problem(messy: Path) -> None:
    report = inspect_audio(messy, sample_rate=RATE, max_s=2.0)
    assert report.format == "audiofolder-transcripts" and report.usable
    assert "unreadable" in by_file(report, "broken.wav")[0].message
    assert "silent" in by_file(report, "silent.wav")[0].message
    clipped = by_file(report, "clipped.wav")[0]
    assert "clipped" in clipped.message and clipped.severity == "warning"
    assert any("channels" in p.message for p in by_file(report, "stereo.flac"))
    assert "too short" in by_file(report, "short.wav")[0].message
    assert "long" in by_file(report, "long.ogg")[0].message
    assert by_file(report, "untranscribed.wav")[0].field == "text"
    assert "not supported" in by_file(report, "voice.m4a")[0].message
    assert any("below the target" in p.message for p in by_file(report, "lowrate.wav"))
    assert all(p.hint and p.field for p in report.problems)
    assert report.stats["channels"] == {1: 5, 2: 1} and report.stats["sample_rates"][4000] == 1


def test_prepare_resamples_downmixes_normalises_and_skips_overlong_transcripts(
    messy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in messy.iterdir())
    manifest = prepare_audio(messy, out, sample_rate=16000, max_s=2.0, validation_fraction=0)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in messy.iterdir()) == before
    assert DatasetManifest.read(out).content_hash == manifest.content_hash
    train = rows(out / "train.jsonl")
    assert {r["source"] for r in train} == {
        "good.wav",
        "clipped.wav",
        "stereo.flac",
        "untranscribed.wav",
        "lowrate.wav",
    }
    assert rows(out / "skipped.jsonl")[0]["source"] == "long.ogg"
    for row in train:
        data, rate = sf.read(out / row["audio"], always_2d=True)
        assert rate == 16000 == row["sampling_rate"] and data.shape[1] == 1
        assert abs(np.abs(data).max() - 10 ** (-1 / 20)) < 0.01
        assert abs(len(data) / rate - row["duration_s"]) < 1e-3
    assert next(r for r in train if r["source"] == "good.wav")["text"] == "hello world"
    assert "untimed transcripts never cut" in manifest.stats["segmentation"]


def test_silence_trimming_and_description_segmentation(tmp_path: Path) -> None:
    root = tmp_path / "music"
    padded = np.concatenate([np.zeros(RATE), tone(4.5), np.zeros(RATE)]).astype(np.float32)
    write(root / "song.wav", padded)
    (root / "song.txt").write_text("calm piano", encoding="utf-8")
    manifest = prepare_audio(
        root,
        tmp_path / "out",
        sample_rate=RATE,
        segment_s=2.0,
        max_s=3.0,
        min_s=1.0,
        text_kind="description",
        validation_fraction=0,
    )
    clips = rows(tmp_path / "out" / "train.jsonl")
    assert [c["duration_s"] for c in clips][:2] == [2.0, 2.0] and len(
        clips
    ) == 2  # the short tail (< min_s) is dropped
    assert all(c["text"] == "calm piano" for c in clips)
    assert abs(clips[0]["start_s"] - 1.0) < 0.15 and manifest.stats["clips"] == 2


def test_timed_transcripts_cut_aligned_clips(tmp_path: Path) -> None:
    root = tmp_path / "timed"
    write(root / "talk.wav", np.concatenate([tone(1.0, 300), tone(1.5, 500)]).astype(np.float32))
    meta = [
        {"file_name": "talk.wav", "start": 0.0, "end": 1.0, "text": "first", "speaker": "ann"},
        {"file_name": "talk.wav", "start": 1.0, "end": 2.5, "text": "second", "speaker": "ann"},
        {"file_name": "talk.wav", "start": 2.0, "end": 9.0, "text": "out of range"},
    ]
    (root / "metadata.jsonl").write_text("\n".join(json.dumps(m) for m in meta), encoding="utf-8")
    report = inspect_audio(root)
    assert report.format == "audio-metadata-timed"
    bad = [p for p in report.problems if p.field == "start"]
    assert bad and bad[0].line == 3
    prepare_audio(root, tmp_path / "out", sample_rate=RATE, trim_silence=False, validation_fraction=0)
    clips = rows(tmp_path / "out" / "train.jsonl")
    assert [(c["text"], c["duration_s"], c["speaker"]) for c in clips[:2]] == [
        ("first", 1.0, "ann"),
        ("second", 1.5, "ann"),
    ]
    assert len(clips) == 2  # the span past the end is cut to nothing and reported in skipped.jsonl
    assert rows(tmp_path / "out" / "skipped.jsonl")


def test_metadata_csv_ljspeech_and_classes(tmp_path: Path) -> None:
    root = tmp_path / "lj"
    write(root / "wavs" / "LJ001.wav", tone(1.0))
    write(root / "wavs" / "LJ002.wav", tone(1.0, 500))
    (root / "metadata.csv").write_text(
        "LJ001|Hello there|Hello there\nLJ002|Bye|Bye\nLJ003|gone|gone\n", encoding="utf-8"
    )
    report = inspect_audio(root)
    assert [p.row for p in report.problems if p.severity == "error"] == [2]
    assert {r["text"] for r in report.preview} == {"Hello there", "Bye"}
    classes = tmp_path / "classes"
    for label, freq in (("dog", 300), ("cat", 900)):
        for i in range(2):
            write(classes / label / f"{i}.wav", tone(1.0, freq + i * 10))
    report = inspect_audio(classes)
    assert report.format == "audiofolder-classes" and report.stats["labels"] == {"cat": 2, "dog": 2}
    prepare_audio(classes, tmp_path / "out", validation_fraction=0.5)
    labelled = rows(tmp_path / "out" / "train.jsonl") + rows(tmp_path / "out" / "validation.jsonl")
    assert sorted(r["label"] for r in labelled) == ["cat", "cat", "dog", "dog"]


def test_loudness_normalisation_and_helpers(tmp_path: Path) -> None:
    quiet = tone(2.0, amp=0.01, rate=16000)[:, None]
    loud, mode = loudness_normalise(quiet, 16000, -23.0)
    import pyloudnorm

    assert mode == "loudness" and abs(pyloudnorm.Meter(16000).integrated_loudness(loud) - (-23.0)) < 0.5
    assert loudness_normalise(tone(0.1, rate=16000)[:, None], 16000)[1].startswith("peak")
    assert measure(np.ones((10, 1), dtype=np.float32)).clipped_fraction == 1.0
    assert windows(100, 10, 3.0, 0.5) == [(0, 30), (30, 60), (60, 90), (90, 100)]
    path = write(tmp_path / "s.wav", tone(1.0, channels=2))
    assert load_audio(path, 16000).shape == (16000,)
    assert load_audio(path, 16000, mono=False).shape == (16000, 2)


def test_failures_are_clear_errors(tmp_path: Path) -> None:
    assert not inspect_audio(tmp_path / "missing").usable
    root = tmp_path / "bad"
    write(root / "silent.wav", np.zeros(RATE, dtype=np.float32))
    with pytest.raises(MediaDataError, match="no usable audio") as info:
        prepare_audio(root, tmp_path / "out")
    assert info.value.problems[0].file == "silent.wav"
    with pytest.raises(MediaDataError, match="normalise"):
        prepare_audio(root, tmp_path / "out", normalise="rms")
    assert not (tmp_path / "out").exists()


def test_mp3_and_stereo_target(tmp_path: Path) -> None:
    root = tmp_path / "mp3"
    write(root / "song.mp3", tone(1.0, rate=16000), rate=16000, format="MP3")
    (root / "song.txt").write_text("la la", encoding="utf-8")
    report = inspect_audio(root, channels=2)
    assert report.usable and report.stats["formats"] == {"MP3": 1}
    assert any("converted to 2 channels" in p.message for p in report.problems)
    prepare_audio(root, tmp_path / "out", channels=2, validation_fraction=0)
    data, rate = sf.read(
        tmp_path / "out" / rows(tmp_path / "out" / "train.jsonl")[0]["audio"], always_2d=True
    )
    assert data.shape[1] == 2 and rate == 16000 and np.allclose(data[:, 0], data[:, 1])


def test_srt_and_vtt_sidecars_give_aligned_clips(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    write(root / "a.wav", np.concatenate([tone(1.0, 300), tone(1.0, 500)]).astype(np.float32))
    (root / "a.srt").write_text(
        "1\n00:00:00,000 --> 00:00:01,000\n<i>hello</i>\nthere\n\n2\n00:00:01,000 --> 00:00:02,000\nworld\n\n"
        "3\n00:00:xx --> 00:00:03,000\nbroken\n",
        encoding="utf-8",
    )
    write(root / "b.wav", tone(1.0, 700))
    (root / "b.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:00.800\nshort cue\n", encoding="utf-8")
    report = inspect_audio(root)
    assert report.format == "audiofolder-subtitles"
    bad = [p for p in report.problems if p.severity == "error"]
    assert [(p.file, p.line) for p in bad] == [("a.srt", 11)]
    prepare_audio(root, tmp_path / "out", sample_rate=RATE, trim_silence=False, validation_fraction=0)
    clips = rows(tmp_path / "out" / "train.jsonl")
    assert [(c["source"], c["text"], c["duration_s"]) for c in clips] == [
        ("a.wav", "hello there", 1.0),
        ("a.wav", "world", 1.0),
        ("b.wav", "short cue", 0.8),
    ]
