"""`omnitune eval` on registered media versions: a tiny SD LoRA generates seeded images scored by a tiny
CLIP (clip_score, FID/KID on its vision tower) against its base, with gates; a tiny Whisper's held-out
WER/CER fall against the untrained model; reports and samples are stored with the version."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
import torch
from image_helpers import TINY_HP, captioned_rows, make_context, save_tiny_pipeline, write_image_dataset
from media_helpers import make_ctx, one_thread, write_prepared, write_tone  # noqa: F401
from typer.testing import CliRunner

from omnitune.store.records import ModelVersionRecord
from omnitune.types import DataFamily, Method, Modality

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def _register(artefact: Path, name: str, base_model: str, method: str, recipe: str) -> ModelVersionRecord:
    from omnitune.services.models import artefact_sha256
    from omnitune.settings import get_settings
    from omnitune.store import model_versions
    from omnitune.store.tables import utcnow

    target = get_settings().models_dir / name / "v1" / "artefact"
    shutil.copytree(artefact, target)
    return model_versions.insert_version(
        id=uuid.uuid4().hex[:12], name=name, version=1, artefact_path=str(target),
        sha256=artefact_sha256(target), base_model=base_model, method=method, recipe=recipe,
        created_at=utcnow(),
    )  # fmt: skip


def test_eval_image_lora_version_with_clip_and_gates(tmp_path: Path) -> None:
    from omnitune.cli.main import app
    from omnitune.recipes.multimodal.tiny_models import tiny_clip
    from omnitune.recipes.registry import get_recipe
    from omnitune.store import registry

    base = save_tiny_pipeline(tmp_path / "tiny-sd")
    data = write_image_dataset(tmp_path / "data", captioned_rows(4))
    hp = {**TINY_HP, "learning_rate": 3e-3, "use_ema": False}
    ctx, _ = make_context(tmp_path, base, data, "image_lora", Method.LORA, hp, max_steps=6)
    assert get_recipe("image_lora").run(ctx).status == "completed"
    version = _register(ctx.output_dir, "stripes", str(base), "lora", "image_lora")
    torch.manual_seed(0)
    clip, processor = tiny_clip({})
    clip.save_pretrained(tmp_path / "clip")
    processor.save_pretrained(tmp_path / "clip")

    runner = CliRunner()
    args = ["eval", "stripes:v1", "--data", str(data), "--num-images", "2", "--steps", "2"]
    result = runner.invoke(app, [*args, "--against", "base", "--clip", str(tmp_path / "clip"), "--json",
                                 "--gate", "clip_score >= 0", "--gate", "fid >= 0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["against"] == str(base)
    assert set(report["metrics"]) == set(report["baseline_metrics"]) == {"clip_score", "fid", "kid"}
    assert 0 <= report["metrics"]["clip_score"] <= 100 and report["examples"] == 4  # 2 prompts x 2 images
    assert report["extractors"] == {k: str(tmp_path / "clip") for k in ("clip_score", "fid", "kid")}
    assert report["metrics"] != report["baseline_metrics"]  # the LoRA changed what is generated
    home = Path(report["report_path"]).parent
    assert {s["prompt"] for s in report["samples"]} == {"red stripes", "blue stripes"}
    assert all((home / s["prediction"]).is_file() and (home / s["baseline_prediction"]).is_file()
               for s in report["samples"])  # fmt: skip
    assert registry.evaluations_of(version.id)[0].passed is True

    skipped = runner.invoke(app, [*args, "--limit", "1", "--gate", "clip_score >= 0"])
    assert skipped.exit_code == 2, skipped.output  # the gate's metric was not measured
    assert "clip_score skipped: no CLIP model" in skipped.output and "pass --features DIR" in skipped.output


def _speech(root: Path) -> Path:
    rows = []
    for i in range(12):
        low = i % 2 == 0
        rows.append(
            {
                "audio": write_tone(root / "audio" / f"{i}.wav", (200 + 15 * i) if low else (2500 + 80 * i)),
                "text": "low hum" if low else "high beep",
            }
        )
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:8], rows[8:])


def test_eval_speech_recognition_version_wer_drops_against_untrained(tmp_path: Path) -> None:
    from omnitune.cli.main import app
    from omnitune.recipes.audio.asr import SpeechRecognitionRecipe
    from omnitune.recipes.audio.tiny_models import tiny_whisper

    data = _speech(tmp_path / "data")
    hp = {"learning_rate": 1e-2, "batch_size": 8, "max_steps": 80, "max_new_tokens": 12}
    ctx, _ = make_ctx(tmp_path, data, recipe="speech_recognition", method=Method.FULL_FINETUNE,
                      hyperparameters=hp)  # fmt: skip
    assert SpeechRecognitionRecipe().run(ctx).status == "completed"
    torch.manual_seed(ctx.seed)  # the recipe's starting point
    untrained, _ = tiny_whisper({})
    untrained.save_pretrained(tmp_path / "untrained")
    _register(ctx.output_dir, "asr", "tiny-from-config", "full_finetune", "speech_recognition")

    args = ["eval", "asr", "--data", str(data), "--max-new-tokens", "12"]
    against = ["--against", str(tmp_path / "untrained"), "--gate", "wer must drop 20%", "--json"]
    result = CliRunner().invoke(app, [*args, *against])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    m, b = report["metrics"], report["baseline_metrics"]
    assert report["passed"] is True and report["examples"] == 4
    assert m["wer"] < b["wer"] and m["cer"] < b["cer"] and report["deltas"]["wer"] < 0
    assert report["samples"][0]["reference"] in ("low hum", "high beep")
    failing = CliRunner().invoke(app, [*args, "--gate", "wer < 0"])
    assert failing.exit_code == 2 and "verdict: FAILED" in failing.output
