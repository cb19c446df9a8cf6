"""image_classification: a tiny from-config ViT learns two colour classes; accuracy rises; it reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from image_helpers import StopAfter, make_context, pattern_image, write_image_dataset

from omnitune.types import Method

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # tiny models on a busy shared CPU run faster single-threaded


HP = {"learning_rate": 2e-3, "batch_size": 4, "num_threads": 1}


def _data(tmp_path: Path) -> Path:
    rows = [
        {"file_name": pattern_image(i % 2, (32, 32), i), "label": ["red", "blue"][i % 2]} for i in range(16)
    ]
    return write_image_dataset(tmp_path / "data", rows)


@pytest.mark.parametrize("method", [Method.FULL_FINETUNE, Method.LORA])
def test_vit_accuracy_rises_and_reloads(tmp_path: Path, method: Method) -> None:
    from transformers import ViTForImageClassification

    from omnitune.recipes.media_training import load_transformers_artefact
    from omnitune.recipes.registry import get_recipe

    data = _data(tmp_path)
    hp = {**HP, "learning_rate": 5e-3} if method == Method.LORA else HP
    ctx, events = make_context(tmp_path, "tiny-vit", data, "image_classification", method, hp, max_steps=24)
    ctx.extra["from_config"] = {"image_size": 32}
    result = get_recipe("image_classification").run(ctx)
    assert result.status == "completed" and result.step == 24
    assert result.metrics["accuracy_after"] == 1.0 > result.metrics["accuracy_before"]
    assert len(events.named("metrics")) >= 24
    model = load_transformers_artefact(ViTForImageClassification, ctx.output_dir)
    logits = model(pixel_values=torch.zeros(1, 3, 32, 32)).logits
    assert logits.shape == (1, 2)


def test_vit_pauses_with_a_checkpoint(tmp_path: Path) -> None:
    from omnitune.recipes.image.classification import ImageClassificationRecipe

    ctx, _ = make_context(
        tmp_path,
        "tiny-vit",
        _data(tmp_path),
        "image_classification",
        Method.CLASSIFICATION,
        HP,
        max_steps=10,
        stop=StopAfter(3, "budget"),
    )
    ctx.extra["from_config"] = {}
    result = ImageClassificationRecipe().run(ctx)
    assert (result.status, result.step) == ("budget_frozen", 3)
    assert (ctx.checkpoints_dir / "step-00000003").is_dir()
