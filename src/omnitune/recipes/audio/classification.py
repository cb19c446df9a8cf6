"""Audio classification: an Audio Spectrogram Transformer or wav2vec2 with a fresh head, via Trainer.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: audio_classification`.
Data: family `audio`, records {"audio": rel path, "label": str, ...}; held-out = validation split, else 25%.
Reports accuracy on the held-out clips before and after training.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.media_inputs import Row, load_waveform, require, train_and_heldout
from omnitune.recipes.media_training import fit_classifier, hyperparameters, resolve_model, with_new_head
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {"learning_rate": 3e-5, "batch_size": 8, "epochs": 5, "max_seconds": 10.0}


class AudioClassificationRecipe:
    """Fine-tune an audio encoder with a sequence-classification head on labelled clips."""

    key = "audio_classification"
    modality = Modality.AUDIO
    methods = frozenset({Method.CLASSIFICATION, Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report held-out accuracy before/after, save model + feature extractor."""
        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("audio", "label"), "audio_classification")
        labels = sorted({str(r["label"]) for r in train + held})
        model, extractor = load_classifier(ctx, labels)
        clips = ClipEncoder(ctx, extractor, {label: i for i, label in enumerate(labels)}, hp["max_seconds"])
        held_examples = clips.examples(held)
        return fit_classifier(
            ctx,
            hp,
            model,
            extractor,
            clips.examples(train),
            clips.collate,
            lambda: accuracy(model, clips, held_examples),
        )


def load_classifier(ctx: RecipeContext, labels: list[str]) -> tuple[Any, Any]:
    """A tiny from-config classifier, or a Hub/local checkpoint with a new head for ``labels``."""
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from omnitune.recipes.audio.tiny_models import tiny_audio_classifier

    source = resolve_model(ctx)
    if source.tiny is not None:
        return tiny_audio_classifier(source.tiny, labels)
    ref = str(source.ref)
    model = with_new_head(AutoModelForAudioClassification, ref, labels)
    return model, AutoFeatureExtractor.from_pretrained(ref)


class ClipEncoder:
    """Decodes clips at the extractor's rate and turns batches of them into model inputs."""

    def __init__(self, ctx: RecipeContext, extractor: Any, label_ids: dict[str, int], max_seconds: float):
        self.ctx, self.extractor, self.label_ids, self.max_seconds = ctx, extractor, label_ids, max_seconds

    def examples(self, rows: list[Row]) -> list[dict[str, Any]]:
        """One {"wave", "label"} example per row."""
        rate = self.extractor.sampling_rate
        return [
            {
                "wave": load_waveform(self.ctx.data_dir, r["audio"], rate, self.max_seconds),
                "label": self.label_ids[str(r["label"])],
            }
            for r in rows
        ]

    def collate(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        """Features for a batch (padded by the extractor) plus integer labels."""
        waves = [example["wave"] for example in batch]
        features = self.extractor(
            waves, sampling_rate=self.extractor.sampling_rate, padding=True, return_tensors="pt"
        )
        features["labels"] = torch.tensor([example["label"] for example in batch])
        return dict(features)


@torch.no_grad()
def accuracy(model: Any, clips: ClipEncoder, examples: list[dict[str, Any]]) -> float:
    """Share of ``examples`` whose predicted label is right."""
    model.eval()
    correct = 0
    for start in range(0, len(examples), 16):
        batch = clips.collate(examples[start : start + 16])
        labels = batch.pop("labels").to(model.device)
        logits = model(**{k: v.to(model.device) for k, v in batch.items()}).logits
        correct += int((logits.argmax(-1) == labels).sum())
    model.train()
    return correct / len(examples)
