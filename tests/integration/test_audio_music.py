"""music_generation: a tiny MusicGen learns its clips (LoRA and full); a sample WAV is written; it reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import make_ctx, one_thread, write_prepared, write_tone  # noqa: F401

from omnitune.recipes.audio.music import MusicGenerationRecipe, delay_pattern
from omnitune.recipes.media_training import load_transformers_artefact
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")


def _music(root: Path) -> Path:
    rows = []
    for i in range(6):
        hz = 220 * (1 + i % 3)
        rows.append(
            {
                "audio": write_tone(root / "audio" / f"{i}.wav", hz, 0.3, rate=8000),
                "sampling_rate": 8000,
                "duration_s": 0.3,
                "text": f"calm tone number {i % 3}",
            }
        )
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])


def test_delay_pattern_shifts_each_codebook() -> None:
    codes = __import__("torch").tensor([[1, 2, 3], [4, 5, 6]])
    assert delay_pattern(codes, 9).tolist() == [[1, 9], [2, 4], [3, 5], [9, 6]]


@pytest.mark.slow
@pytest.mark.parametrize("method", [Method.LORA, Method.FULL_FINETUNE])
def test_music_finetune_learns_writes_sample_and_reloads(tmp_path: Path, method: Method) -> None:
    import soundfile
    from transformers import MusicgenForConditionalGeneration

    data = _music(tmp_path / "data")
    lr = 5e-3 if method == Method.LORA else 2e-3
    hp = {"learning_rate": lr, "batch_size": 4, "max_steps": 12, "sample_seconds": 0.05, "lora_r": 8}
    ctx, events = make_ctx(tmp_path, data, recipe="music_generation", method=method, hyperparameters=hp)
    result = MusicGenerationRecipe().run(ctx)
    assert result.status == "completed" and result.step == 12
    losses = events.losses()
    assert losses[-1] < losses[0]
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    samples, rate = soundfile.read(str(ctx.output_dir / "sample.wav"))
    assert rate == 8000 and len(samples) > 0
    assert events.named("sample")[0]["path"].endswith("sample.wav")
    reloaded = load_transformers_artefact(MusicgenForConditionalGeneration, ctx.output_dir)
    assert reloaded.config.decoder.num_codebooks == 2
