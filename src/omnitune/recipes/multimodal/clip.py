"""CLIP-style contrastive training of image and text towers (transformers ``CLIPModel``) via Trainer.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: clip_contrastive`.
Data: family `image`, records {"file_name": rel path, "text": caption, ...}; held-out = validation
split, else 25%. The loss is CLIP's own symmetric InfoNCE (``return_loss=True``). Reports image->text
and text->image recall@1 on the held-out pairs before and after training.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.media_inputs import Row, load_rgb, require, train_and_heldout
from omnitune.recipes.media_training import (
    RowsDataset,
    add_lora,
    hyperparameters,
    resolve_model,
    save_transformers_artefact,
    trainer_callbacks,
    training_arguments,
    uses_lora,
)
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {"learning_rate": 1e-5, "batch_size": 32, "epochs": 3, "max_text_length": 77}


class ClipContrastiveRecipe:
    """Contrastive image-text alignment, measured by held-out retrieval recall@1."""

    key = "clip_contrastive"
    modality = Modality.MULTIMODAL
    methods = frozenset({Method.CONTRASTIVE, Method.FULL_FINETUNE, Method.LORA})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report recall@1 before/after, save model (or adapter) + processor."""
        from transformers import Trainer

        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("file_name", "text"), "clip_contrastive")
        model, processor, from_config = load_clip(ctx)
        pairs = PairBatcher(ctx, processor, int(hp["max_text_length"]))
        before = retrieval_recall(model, pairs, held)
        if uses_lora(ctx):
            model = add_lora(model, hp, ["q_proj", "v_proj"])
        args = training_arguments(ctx, hp)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=RowsDataset(train),
            callbacks=trainer_callbacks(),
            data_collator=pairs.collate,
        )
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = retrieval_recall(model, pairs, held)
        save_transformers_artefact(model, processor, ctx.output_dir, from_config)
        metrics = {f"{name}_before": value for name, value in before.items()}
        metrics |= {f"{name}_after": value for name, value in after.items()} | outcome.metrics
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def load_clip(ctx: RecipeContext) -> tuple[Any, Any, bool]:
    """(model, processor, built_from_config)."""
    from transformers import AutoProcessor, CLIPModel

    from omnitune.recipes.multimodal.tiny_models import tiny_clip

    source = resolve_model(ctx)
    if source.tiny is not None:
        model, processor = tiny_clip(source.tiny)
        return model, processor, True
    ref = str(source.ref)
    return CLIPModel.from_pretrained(ref), AutoProcessor.from_pretrained(ref), False


class PairBatcher:
    """Turns image-caption rows into CLIP inputs (images decoded lazily, per batch)."""

    def __init__(self, ctx: RecipeContext, processor: Any, max_text_length: int) -> None:
        self.ctx, self.processor, self.max_text_length = ctx, processor, max_text_length

    def collate(self, rows: list[Row]) -> dict[str, Any]:
        """Pixel values, padded token ids and ``return_loss`` so the model computes its InfoNCE loss."""
        images = [load_rgb(self.ctx.data_dir, r["file_name"]) for r in rows]
        inputs = self.processor(
            text=[str(r["text"]) for r in rows],
            images=images,
            padding=True,
            truncation=True,
            max_length=self.max_text_length,
            return_tensors="pt",
        )
        return {**inputs, "return_loss": True}


@torch.no_grad()
def retrieval_recall(model: Any, pairs: PairBatcher, rows: list[Row]) -> dict[str, float]:
    """Recall@1 for image->text and text->image retrieval among ``rows`` (the i-th pair is the match)."""
    model.eval()
    batch = {k: v.to(model.device) for k, v in pairs.collate(rows).items() if k != "return_loss"}
    logits = model(**batch).logits_per_image  # (images, texts)
    target = torch.arange(len(rows), device=logits.device)
    model.train()
    return {
        "image_to_text_recall_at_1": float((logits.argmax(1) == target).float().mean()),
        "text_to_image_recall_at_1": float((logits.argmax(0) == target).float().mean()),
    }
