"""Songs with vocals: the planned pipeline trains tiny MusicGen, then tiny SpeechT5, and mixes a song."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile

from omnitune.pipelines import StageState, run_pipeline
from omnitune.pipelines.wiring import SPOKEN_NOT_SUNG, song_with_vocals
from omnitune.services import jobs

pytestmark = pytest.mark.slow
TINY = {"music_generator": "omnitune/tiny-musicgen", "vocal_synthesizer": "omnitune/tiny-speecht5"}


def wav_folder(root: Path, column: str, texts: list[str], hz: list[float], seconds: float) -> Path:
    """Sine tones with a metadata.csv of file_name and ``column``."""
    root.mkdir(parents=True)
    t = np.arange(int(seconds * 16000)) / 16000
    with (root / "metadata.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", column])
        for i, (text, freq) in enumerate(zip(texts, hz, strict=True)):
            soundfile.write(
                root / f"clip{i}.wav", (0.4 * np.sin(2 * math.pi * freq * t)).astype("float32"), 16000
            )
            writer.writerow([f"clip{i}.wav", text])
    return root


def test_song_with_vocals_pipeline_trains_both_stages_and_mixes_a_song(tmp_path: Path) -> None:
    from omnitune.plan import build_plan

    plan = build_plan("songs with vocals like Suno")
    assert [s.name for s in plan.pipeline.stages] == ["music", "vocals"]
    plan.training.hyperparameters.update({"batch_size": 2, "gradient_accumulation": 1, "learning_rate": 1e-3})
    music = wav_folder(
        tmp_path / "music",
        "description",
        ["a low calm tone", "a high bright tone", "a low calm hum", "a high bright beep"],
        [110, 880, 120, 860],
        0.5,
    )
    voice = wav_folder(
        tmp_path / "voice",
        "transcription",
        ["hello there", "good morning", "hello again", "good night"],
        [220, 330, 240, 350],
        0.6,
    )
    done = run_pipeline(
        plan,
        {"music": music, "vocal_synthesizer": voice},
        max_steps=2,
        base_models=TINY,
        device="cpu",
        poll_s=0.2,
    )
    assert done.state == "succeeded", done
    first, second = done.stage("music"), done.stage("vocals")
    assert first.state is second.state is StageState.SUCCEEDED
    assert jobs.get(first.job_id or "").finished_at <= jobs.get(second.job_id or "").started_at  # type: ignore[operator]
    assert first.artefact_path and second.artefact_path

    song = song_with_vocals(
        first.artefact_path,
        second.artefact_path,
        "a low calm tone",
        "hello there",
        tmp_path / "song.wav",
        seconds=1.0,
        min_len_ratio=1.0,
        max_len_ratio=3.0,
    )
    wave, rate = soundfile.read(str(song.path))
    assert rate == song.sampling_rate == 16000 and len(wave) == song.samples
    assert song.samples == round(max(song.music_seconds, song.vocals_seconds) * rate)
    assert abs(song.music_seconds - 1.0) < 0.1
    assert float(np.abs(wave).max()) > 0.5 and float(np.abs(wave).max()) <= 1.0  # non-silent, headroom kept
    assert SPOKEN_NOT_SUNG in song.notes and "diffsinger" in song.notes[1]
