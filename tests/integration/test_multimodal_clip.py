"""clip_contrastive: a tiny CLIP aligns coloured images with their captions; recall rises; it reloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_helpers import make_ctx, one_thread, write_prepared  # noqa: F401

from omnitune.recipes.media_training import load_transformers_artefact
from omnitune.recipes.multimodal.clip import ClipContrastiveRecipe
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")

COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 200, 40),
    "blue": (30, 40, 220),
    "yellow": (230, 220, 30),
    "black": (10, 10, 10),
    "white": (245, 245, 245),
}


def _pairs(root: Path) -> Path:
    from PIL import Image

    (root / "images").mkdir(parents=True)
    rng = np.random.default_rng(0)
    train, held = [], []
    for name, rgb in COLOURS.items():
        for i in range(3):
            pixels = np.clip(np.array(rgb) + rng.integers(-20, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / "images" / f"{name}{i}.png")
            row = {"file_name": f"images/{name}{i}.png", "text": f"a {name} picture"}
            (held if i == 2 else train).append(row)
    return write_prepared(root, Modality.IMAGE, DataFamily.IMAGE, train, held)


@pytest.mark.slow
@pytest.mark.parametrize("method", [Method.CONTRASTIVE, Method.LORA])
def test_recall_rises_and_model_reloads(tmp_path: Path, method: Method) -> None:
    from transformers import CLIPModel, CLIPProcessor

    data = _pairs(tmp_path / "data")
    lr = 5e-3 if method == Method.CONTRASTIVE else 2e-2
    hp = {"learning_rate": lr, "batch_size": 12, "max_steps": 30, "lora_r": 8}
    ctx, events = make_ctx(tmp_path, data, recipe="clip_contrastive", method=method, hyperparameters=hp)
    result = ClipContrastiveRecipe().run(ctx)
    assert result.status == "completed" and result.step == 30
    assert events.losses()[-1] < events.losses()[0]
    m = result.metrics
    assert m["image_to_text_recall_at_1_after"] > m["image_to_text_recall_at_1_before"]
    reloaded = load_transformers_artefact(CLIPModel, ctx.output_dir)
    assert reloaded is not None
    assert CLIPProcessor.from_pretrained(ctx.output_dir).tokenizer("red").input_ids[0] == 0
