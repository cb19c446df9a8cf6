"""audio_classification: a tiny AST learns low vs high tones; accuracy rises; pause/resume; it reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import StopAfter, make_ctx, one_thread, write_prepared, write_tone  # noqa: F401

from omnitune.recipes.audio.classification import AudioClassificationRecipe
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")

HP = {"learning_rate": 3e-3, "batch_size": 8, "max_steps": 12}


def _tones(root: Path) -> Path:
    rows = []
    for i in range(12):
        low = i % 2 == 0
        hz = (150 + 20 * i) if low else (3000 + 100 * i)
        rows.append(
            {
                "audio": write_tone(root / "audio" / f"{i}.wav", hz, 0.4),
                "text": "",
                "sampling_rate": 16000,
                "duration_s": 0.4,
                "label": "low" if low else "high",
            }
        )
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:8], rows[8:])


@pytest.mark.slow
def test_accuracy_rises_pause_resume_and_reload(tmp_path: Path) -> None:
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    data = _tones(tmp_path / "data")
    ctx, _ = make_ctx(
        tmp_path,
        data,
        recipe="audio_classification",
        method=Method.CLASSIFICATION,
        hyperparameters=HP,
        control=StopAfter(4),
    )
    paused = AudioClassificationRecipe().run(ctx)
    assert paused.status == "paused" and paused.step == 4
    checkpoint = ctx.checkpoints_dir / "step-00000004"
    assert checkpoint.is_dir()

    ctx, events = make_ctx(
        tmp_path,
        data,
        recipe="audio_classification",
        method=Method.CLASSIFICATION,
        hyperparameters=HP,
        resume_from=checkpoint,
    )
    result = AudioClassificationRecipe().run(ctx)
    assert result.status == "completed" and result.step == 12
    steps = [m for m in events.named("metrics") if "loss" in m]
    assert [m["step"] for m in steps] == list(range(5, 13))  # resumed after step 4, one event per step
    assert {"lr", "samples_per_s", "eta_s"} <= set(steps[0]) and steps[-1]["eta_s"] == 0.0
    assert result.metrics["accuracy_after"] > result.metrics["accuracy_before"]
    assert result.metrics["accuracy_after"] == 1.0
    model = AutoModelForAudioClassification.from_pretrained(ctx.output_dir)
    assert model.config.id2label == {0: "high", 1: "low"}
    assert AutoFeatureExtractor.from_pretrained(ctx.output_dir).sampling_rate == 16000
