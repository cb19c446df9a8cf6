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
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.media_inputs import Row, load_frames, require, train_and_heldout
from omnitune.recipes.media_training import (
    RowsDataset,
    hyperparameters,
    resolve_model,
    trainer_callbacks,
    training_arguments,
)
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {"learning_rate": 5e-5, "batch_size": 4, "epochs": 5}


class VideoClassificationRecipe:
    """Fine-tune VideoMAE with a video-classification head on labelled clips."""

    key = "video_classification"
    modality = Modality.VIDEO
    methods = frozenset({Method.CLASSIFICATION, Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report held-out accuracy before/after, save model + image processor."""
        from transformers import Trainer

        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("video", "label"), "video_classification")
        labels = sorted({str(r["label"]) for r in train + held})
        model, processor = load_video_classifier(ctx, labels)
        label_ids = {label: i for i, label in enumerate(labels)}
        train_ex, held_ex = (clip_examples(ctx, model, processor, rows, label_ids) for rows in (train, held))
        before = accuracy(model, held_ex)
        trainer = Trainer(
            model=model,
            args=training_arguments(ctx, hp),
            train_dataset=RowsDataset(train_ex),
            callbacks=trainer_callbacks(),
            data_collator=collate,
        )
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = accuracy(model, held_ex)
        model.save_pretrained(ctx.output_dir)
        processor.save_pretrained(ctx.output_dir)
        metrics = {"accuracy_before": before, "accuracy_after": after, **outcome.metrics}
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def load_video_classifier(ctx: RecipeContext, labels: list[str]) -> tuple[Any, Any]:
    """A tiny from-config VideoMAE, or a Hub/local checkpoint with a new head for ``labels``."""
    from transformers import AutoImageProcessor, VideoMAEForVideoClassification

    from omnitune.recipes.video.tiny_models import tiny_videomae

    source = resolve_model(ctx)
    if source.tiny is not None:
        return tiny_videomae(source.tiny, labels)
    ref = str(source.ref)
    model = VideoMAEForVideoClassification.from_pretrained(
        ref,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        ignore_mismatched_sizes=True,
    )
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
