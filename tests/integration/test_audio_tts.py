"""speech_synthesis: a tiny SpeechT5 learns two speakers' clips; a sample WAV is written; it reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from media_helpers import make_ctx, one_thread, write_prepared, write_tone  # noqa: F401

from omnitune.recipes.audio.speakers import mel_statistics_embedding
from omnitune.recipes.audio.tts import SPEAKERS_FILE, SpeechSynthesisRecipe
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")


def test_mel_statistics_embedding_is_fixed_and_unit_length() -> None:
    mels = [torch.linspace(0, 1, 40).view(10, 4)]
    first, again = mel_statistics_embedding(mels, 8), mel_statistics_embedding(mels, 8)
    assert torch.equal(first, again) and abs(float(first.norm()) - 1.0) < 1e-5
    assert not torch.allclose(first, mel_statistics_embedding([m.flip(1) for m in mels], 8))


def _voices(root: Path) -> Path:
    lines = ["hello there", "good morning", "see you soon", "thank you", "how are you", "fine thanks"]
    rows = [
        {
            "audio": write_tone(root / "audio" / f"{i}.wav", 180 if i % 2 else 320, 0.4),
            "text": text,
            "sampling_rate": 16000,
            "duration_s": 0.4,
            "speaker": "ann" if i % 2 else "bob",
        }
        for i, text in enumerate(lines)
    ]
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])


@pytest.mark.slow
def test_speecht5_learns_writes_sample_and_reloads(tmp_path: Path) -> None:
    import soundfile
    from safetensors.torch import load_file
    from transformers import SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Processor

    data = _voices(tmp_path / "data")
    hp = {
        "learning_rate": 3e-3,
        "batch_size": 4,
        "max_steps": 15,
        "sample_min_len_ratio": 1.0,
        "sample_max_len_ratio": 3.0,
    }
    ctx, events = make_ctx(
        tmp_path, data, recipe="speech_synthesis", method=Method.FULL_FINETUNE, hyperparameters=hp
    )
    result = SpeechSynthesisRecipe().run(ctx)
    assert result.status == "completed" and result.step == 15
    assert events.losses()[-1] < events.losses()[0]
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    samples, rate = soundfile.read(str(ctx.output_dir / "sample.wav"))
    assert rate == 16000 and len(samples) > 0
    speakers = load_file(str(ctx.output_dir / SPEAKERS_FILE))
    assert set(speakers) == {"ann", "bob"} and speakers["ann"].shape == (8,)
    model = SpeechT5ForTextToSpeech.from_pretrained(ctx.output_dir)
    processor = SpeechT5Processor.from_pretrained(ctx.output_dir)
    vocoder = SpeechT5HifiGan.from_pretrained(ctx.output_dir / "vocoder")
    ids = processor.tokenizer("hello", return_tensors="pt").input_ids
    speech = model.generate_speech(
        ids, speakers["ann"][None], vocoder=vocoder, minlenratio=1.0, maxlenratio=2.0
    )
    assert speech.ndim == 1 and speech.numel() > 0
