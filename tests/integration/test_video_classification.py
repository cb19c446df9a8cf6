"""video_classification: a tiny VideoMAE tells moving from still clips; accuracy rises; it reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import make_ctx, one_thread, write_frames, write_prepared  # noqa: F401

from omnitune.recipes.video.classification import VideoClassificationRecipe
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")


def _clips(root: Path) -> Path:
    rows = []
    for i in range(12):
        moving = i % 2 == 0
        colour = (60 + 20 * (i // 2), 80, 120)  # the same colours in both classes: only motion tells
        rows.append(
            {
                "video": write_frames(root / "videos" / f"{i:04d}", 6, 16, colour, moving),
                "fps": 8,
                "num_frames": 6,
                "text": "",
                "label": "moving" if moving else "still",
            }
        )
    return write_prepared(root, Modality.VIDEO, DataFamily.VIDEO, rows[:8], rows[8:])


@pytest.mark.slow
def test_accuracy_rises_and_model_reloads(tmp_path: Path) -> None:
    from transformers import AutoImageProcessor, VideoMAEForVideoClassification

    data = _clips(tmp_path / "data")
    hp = {"learning_rate": 3e-3, "batch_size": 8, "max_steps": 12}
    ctx, events = make_ctx(
        tmp_path, data, recipe="video_classification", method=Method.CLASSIFICATION, hyperparameters=hp
    )
    result = VideoClassificationRecipe().run(ctx)
    assert result.status == "completed" and result.step == 12
    assert events.losses()[-1] < events.losses()[0]
    assert result.metrics["accuracy_after"] > result.metrics["accuracy_before"]
    model = VideoMAEForVideoClassification.from_pretrained(ctx.output_dir)
    assert set(model.config.id2label.values()) == {"moving", "still"}
    assert AutoImageProcessor.from_pretrained(ctx.output_dir) is not None
