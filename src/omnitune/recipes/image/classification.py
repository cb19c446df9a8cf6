"""Image classification: a ViT (or any AutoModelForImageClassification) with a new head, via Trainer.

Run: `omnitune train plan.json` with ``models[].recipe: image_classification``. Data: family ``image``,
rows ``{"file_name", "label"}``; held-out rows are the validation split, else a seeded 25%.
Methods: classification / full_finetune (every weight) or lora (attention LoRA + a trained head).
Reports held-out accuracy before and after training.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.media_inputs import Row, require, train_and_heldout
from omnitune.recipes.media_training import (
    BASE_DIR,
    RowsDataset,
    hyperparameters,
    resolve_model,
    save_transformers_artefact,
    training_arguments,
    uses_lora,
    with_new_head,
)
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {"learning_rate": 5e-5, "batch_size": 16, "epochs": 3}


class ImageClassificationRecipe:
    """Fine-tune an image encoder with a classification head on labelled images."""

    key = "image_classification"
    modality = Modality.IMAGE
    methods = frozenset({Method.CLASSIFICATION, Method.FULL_FINETUNE, Method.LORA})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train through Trainer; report accuracy before/after; save model (or adapter) + processor."""
        from transformers import Trainer

        hp = hyperparameters(ctx, DEFAULTS)
        if hp.get("num_threads"):
            torch.set_num_threads(int(hp["num_threads"]))
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("file_name", "label"), "image_classification")
        labels = sorted({str(r["label"]) for r in train + held})
        model, processor, tiny = load_classifier(ctx, labels)
        # A from-config base exists nowhere else; keep it so the adapter (with its own head) reloads.
        base = copy.deepcopy(model) if tiny and uses_lora(ctx) else None
        if uses_lora(ctx):
            model = add_classifier_lora(model, hp)
        encoder = ImageEncoder(ctx, processor, {label: i for i, label in enumerate(labels)})
        held_examples = encoder.examples(held)
        before = accuracy(model, encoder, held_examples)
        trainer = Trainer(
            model=model,
            args=training_arguments(ctx, hp),
            train_dataset=RowsDataset(encoder.examples(train)),
            data_collator=encoder.collate,
        )
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = accuracy(model, encoder, held_examples)
        save_transformers_artefact(model, processor, ctx.output_dir, tiny and base is None)
        if base is not None:
            base.save_pretrained(ctx.output_dir / BASE_DIR)
        metrics = {"accuracy_before": before, "accuracy_after": after, **outcome.metrics}
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def load_classifier(ctx: RecipeContext, labels: list[str]) -> tuple[Any, Any, bool]:
    """(model, processor, built_from_config): a tiny ViT, or a Hub/local checkpoint with a new head."""
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    from omnitune.recipes.image.models import build_tiny_vit

    source = resolve_model(ctx)
    if source.tiny is not None:
        model, processor = build_tiny_vit(source.tiny, labels)
        return model, processor, True
    ref = str(source.ref)
    model = with_new_head(AutoModelForImageClassification, ref, labels)
    return model, AutoImageProcessor.from_pretrained(ref), False


def add_classifier_lora(model: Any, hp: dict[str, Any]) -> Any:
    """LoRA on the attention projections; the new classification head trains in full."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=int(hp.get("lora_r", 8)),
        lora_alpha=int(hp.get("lora_alpha", 16)),
        lora_dropout=float(hp.get("lora_dropout", 0.0)),
        target_modules=list(hp.get("lora_target_modules") or ["q_proj", "v_proj", "query", "value"]),
        modules_to_save=["classifier"],
    )
    return get_peft_model(model, config)


class ImageEncoder:
    """Loads rows' images and turns batches of them into model inputs."""

    def __init__(self, ctx: RecipeContext, processor: Any, label_ids: dict[str, int]) -> None:
        self.ctx, self.processor, self.label_ids = ctx, processor, label_ids

    def examples(self, rows: list[Row]) -> list[dict[str, Any]]:
        """One {"pixel_values", "label"} example per row (preprocessed once)."""
        from omnitune.data.image import load_image_rgb

        images = [load_image_rgb(self.ctx.data_dir / r["file_name"]) for r in rows]
        pixels = self.processor(images=images, return_tensors="pt")["pixel_values"] if images else []
        return [
            {"pixel_values": p, "label": self.label_ids[str(r["label"])]}
            for p, r in zip(pixels, rows, strict=True)
        ]

    def collate(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        """Stacked pixels plus integer labels."""
        return {
            "pixel_values": torch.stack([e["pixel_values"] for e in batch]),
            "labels": torch.tensor([e["label"] for e in batch]),
        }


@torch.no_grad()
def accuracy(model: Any, encoder: ImageEncoder, examples: list[dict[str, Any]]) -> float:
    """Share of ``examples`` whose predicted label is right."""
    model.eval()
    correct = 0
    for start in range(0, len(examples), 32):
        batch = encoder.collate(examples[start : start + 32])
        labels = batch.pop("labels").to(model.device)
        logits = model(pixel_values=batch["pixel_values"].to(model.device)).logits
        correct += int((logits.argmax(-1) == labels).sum())
    model.train()
    return correct / max(1, len(examples))
