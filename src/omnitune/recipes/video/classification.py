"""Video classification: VideoMAE with a fresh head, fine-tuned with transformers' Trainer.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: video_classification`.
Data: family `video`, records {"video": frames folder or file, "label": str, ...}; held-out =
validation split, else 25%. Each clip is sampled to the model's ``num_frames`` evenly spaced frames.
Reports accuracy on the held-out clips before and after training.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.media_inputs import Row, load_frames, require, train_and_heldout
from omnitune.recipes.media_training import fit_classifier, hyperparameters, resolve_model, with_new_head
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {"learning_rate": 5e-5, "batch_size": 4, "epochs": 5}


class VideoClassificationRecipe:
    """Fine-tune VideoMAE with a video-classification head on labelled clips."""

    key = "video_classification"
    modality = Modality.VIDEO
    methods = frozenset({Method.CLASSIFICATION, Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report held-out accuracy before/after, save model + image processor."""
        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("video", "label"), "video_classification")
        labels = sorted({str(r["label"]) for r in train + held})
        model, processor = load_video_classifier(ctx, labels)
        label_ids = {label: i for i, label in enumerate(labels)}
        train_ex, held_ex = (clip_examples(ctx, model, processor, rows, label_ids) for rows in (train, held))
        return fit_classifier(ctx, hp, model, processor, train_ex, collate, lambda: accuracy(model, held_ex))


def load_video_classifier(ctx: RecipeContext, labels: list[str]) -> tuple[Any, Any]:
    """A tiny from-config VideoMAE, or a Hub/local checkpoint with a new head for ``labels``."""
    from transformers import AutoImageProcessor, VideoMAEForVideoClassification

    from omnitune.recipes.video.tiny_models import tiny_videomae

    source = resolve_model(ctx)
    if source.tiny is not None:
        return tiny_videomae(source.tiny, labels)
    ref = str(source.ref)
    model = with_new_head(VideoMAEForVideoClassification, ref, labels)
    return model, AutoImageProcessor.from_pretrained(ref)


def clip_examples(
    ctx: RecipeContext, model: Any, processor: Any, rows: list[Row], label_ids: dict[str, int]
) -> list[dict[str, Any]]:
    """One {"pixel_values" (frames, 3, H, W), "labels"} example per row."""
    size = int(model.config.image_size)
    out = []
    for row in rows:
        frames = load_frames(ctx.data_dir, row["video"], int(model.config.num_frames), size, size)
        pixels = processor(list(frames), return_tensors="pt").pixel_values[0]
        out.append({"pixel_values": pixels, "labels": label_ids[str(row["label"])]})
    return out


def collate(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked clips and integer labels."""
    return {
        "pixel_values": torch.stack([e["pixel_values"] for e in batch]),
        "labels": torch.tensor([e["labels"] for e in batch]),
    }


@torch.no_grad()
def accuracy(model: Any, examples: list[dict[str, Any]]) -> float:
    """Share of ``examples`` whose predicted label is right."""
    model.eval()
    correct = 0
    for start in range(0, len(examples), 8):
        batch = collate(examples[start : start + 8])
        logits = model(pixel_values=batch["pixel_values"].to(model.device)).logits
        correct += int((logits.argmax(-1).cpu() == batch["labels"]).sum())
    model.train()
    return correct / len(examples)
