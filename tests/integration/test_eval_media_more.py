"""`omnitune eval` on the other media versions: classifiers (accuracy/macro-F1 vs an untrained head),
speech synthesis, music, video LoRA and ControlNet versions generate held-out samples scored against
their base, with samples stored beside the report; `--against base` that cannot be rebuilt says why."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from image_helpers import pattern_image, write_image_dataset
from media_helpers import make_ctx, one_thread, write_frames, write_prepared, write_tone  # noqa: F401
from typer.testing import CliRunner

from omnitune.plan.schema import TrainingPlan
from omnitune.store.records import ModelVersionRecord
from omnitune.types import DataFamily, Method, Modality

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def _register(
    artefact: Path, name: str, base_model: str, method: str, recipe: str, plan: TrainingPlan | None = None
) -> ModelVersionRecord:
    """Register a trained output; with ``plan``, the plan too (its sampling settings are the eval's)."""
    from omnitune.services.models import artefact_sha256
    from omnitune.settings import get_settings
    from omnitune.store import model_versions, plans
    from omnitune.store.tables import utcnow

    if plan is not None:
        plans.save_plan(plan)
    target = get_settings().models_dir / name / "v1" / "artefact"
    shutil.copytree(artefact, target)
    return model_versions.insert_version(
        id=uuid.uuid4().hex[:12], name=name, version=1, artefact_path=str(target),
        sha256=artefact_sha256(target), base_model=base_model, method=method, recipe=recipe,
        plan_id=plan.id if plan else None, created_at=utcnow(),
    )  # fmt: skip


def _catalog_config(model_id: str) -> dict[str, Any]:
    from omnitune.catalog.entries import get_model

    config = get_model(model_id).from_config
    assert config is not None
    return dict(config)


def _eval(*args: str, exit_codes: tuple[int, ...] = (0,)) -> dict[str, Any]:
    from omnitune.cli.main import app

    result = CliRunner().invoke(app, ["eval", *args, "--json"])
    assert result.exit_code in exit_codes, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _image_labels(root: Path) -> Path:
    rows = [
        {"file_name": pattern_image(i % 2, (32, 32), i), "label": ["red", "blue"][i % 2]} for i in range(16)
    ]
    return write_image_dataset(root, rows)


def _tone_labels(root: Path) -> Path:
    rows = []
    for i in range(12):
        low = i % 2 == 0
        hz = (150 + 20 * i) if low else (3000 + 100 * i)
        rows.append(
            {"audio": write_tone(root / "audio" / f"{i}.wav", hz, 0.4), "label": "low" if low else "high"}
        )
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:8], rows[8:])


def _motion_labels(root: Path) -> Path:
    rows = []
    for i in range(12):
        moving = i % 2 == 0
        colour = (60 + 20 * (i // 2), 80, 120)
        rows.append({"video": write_frames(root / "videos" / f"{i:04d}", 6, 16, colour, moving),
                     "label": "moving" if moving else "still"})  # fmt: skip
    return write_prepared(root, Modality.VIDEO, DataFamily.VIDEO, rows[:8], rows[8:])


CLASSIFIERS = {
    "image_classification": ("omnitune/tiny-vit", _image_labels, 24, 5e-3),
    "audio_classification": ("omnitune/tiny-ast", _tone_labels, 12, 3e-3),
    "video_classification": ("omnitune/tiny-videomae", _motion_labels, 12, 3e-3),
}


@pytest.mark.parametrize("recipe", sorted(CLASSIFIERS))
def test_eval_classifier_version_beats_its_untrained_head(tmp_path: Path, recipe: str) -> None:
    from omnitune.recipes.registry import get_recipe

    base_model, write, steps, lr = CLASSIFIERS[recipe]
    data = write(tmp_path / "data")
    hp = {"learning_rate": lr, "batch_size": 8, "max_steps": steps}
    ctx, _ = make_ctx(tmp_path, data, recipe=recipe, method=Method.CLASSIFICATION, hyperparameters=hp,
                      from_config=_catalog_config(base_model))  # fmt: skip
    result = get_recipe(recipe).run(ctx)
    assert result.status == "completed"
    _register(ctx.output_dir, "clf", base_model, "classification", recipe)

    report = _eval("clf", "--data", str(data), "--against", "base", "--gate", "accuracy must rise 1%")
    m, b = report["metrics"], report["baseline_metrics"]
    assert set(m) == set(b) == {"accuracy", "macro_f1"}
    # the recipe's own before/after accuracy on the same held-out rows, measured again here
    assert m["accuracy"] == pytest.approx(result.metrics["accuracy_after"])
    assert b["accuracy"] == pytest.approx(result.metrics["accuracy_before"])
    assert m["accuracy"] > b["accuracy"] and 0 <= b["macro_f1"] <= m["macro_f1"] <= 1
    assert report["passed"] is True and report["against"] == base_model
    assert any("never trained" in note for note in report["notes"])
    assert report["samples"][0]["reference"] in {"red", "blue", "low", "high", "moving", "still"}
