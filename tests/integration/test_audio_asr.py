"""speech_recognition: a tiny Whisper learns to transcribe two tones; WER falls; model and adapter reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import make_ctx, one_thread, write_prepared, write_tone  # noqa: F401

from omnitune.recipes.audio.asr import SpeechRecognitionRecipe
from omnitune.recipes.media_training import load_transformers_artefact
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")


def _speech(root: Path) -> Path:
    rows = []
    for i in range(12):
        low = i % 2 == 0
        hz = (200 + 15 * i) if low else (2500 + 80 * i)
        rows.append(
            {
                "audio": write_tone(root / "audio" / f"{i}.wav", hz, 0.5),
                "sampling_rate": 16000,
                "duration_s": 0.5,
                "text": "low hum" if low else "high beep",
            }
        )
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:8], rows[8:])


@pytest.mark.slow
def test_full_finetune_lowers_wer_and_reloads(tmp_path: Path) -> None:
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    data = _speech(tmp_path / "data")
    hp = {"learning_rate": 1e-2, "batch_size": 8, "max_steps": 80, "max_new_tokens": 12}
    ctx, events = make_ctx(
        tmp_path, data, recipe="speech_recognition", method=Method.FULL_FINETUNE, hyperparameters=hp
    )
    result = SpeechRecognitionRecipe().run(ctx)
    assert result.status == "completed" and result.step == 80
    losses = events.losses()
    assert losses[-1] < losses[0] * 0.5
    assert result.metrics["wer_after"] < result.metrics["wer_before"]
    model = WhisperForConditionalGeneration.from_pretrained(ctx.output_dir)
    assert model.config.d_model == 16
    assert WhisperProcessor.from_pretrained(ctx.output_dir).tokenizer.decode([71]) == "h"


@pytest.mark.slow
def test_lora_adapter_trains_and_reloads(tmp_path: Path) -> None:
    from transformers import WhisperForConditionalGeneration

    data = _speech(tmp_path / "data")
    hp = {"learning_rate": 1e-2, "batch_size": 8, "max_steps": 6, "max_new_tokens": 4, "lora_r": 4}
    ctx, events = make_ctx(
        tmp_path, data, recipe="speech_recognition", method=Method.LORA, hyperparameters=hp
    )
    result = SpeechRecognitionRecipe().run(ctx)
    assert result.status == "completed"
    assert events.losses()[-1] < events.losses()[0]
    assert (ctx.output_dir / "adapter_config.json").is_file()
    reloaded = load_transformers_artefact(WhisperForConditionalGeneration, ctx.output_dir)
    assert any("lora_A" in name for name, _ in reloaded.named_parameters())
