"""Speech recognition: fine-tune Whisper (all weights, or a LoRA adapter) with transformers' Trainer.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: speech_recognition`.
Data: family `audio`, records {"audio": rel path, "text": transcript, ...}; held-out = validation split,
else 25%. Reports word error rate (jiwer) on the held-out clips before and after training.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.media_inputs import Row, load_waveform, require, train_and_heldout
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

DEFAULTS: dict[str, Any] = {
    "learning_rate": 1e-5,
    "batch_size": 8,
    "epochs": 3,
    "max_seconds": 30.0,
    "max_new_tokens": 128,
    "language": None,  # e.g. "en": forces the language token; None lets the model detect it
    "freeze_encoder": False,
}


class SpeechRecognitionRecipe:
    """Whisper fine-tuning on transcribed clips, measured by held-out WER."""

    key = "speech_recognition"
    modality = Modality.AUDIO
    methods = frozenset({Method.FULL_FINETUNE, Method.LORA})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report WER before/after, save model (or adapter) + processor."""
        from transformers import Trainer

        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("audio", "text"), "speech_recognition")
        model, processor, from_config = load_whisper(ctx, hp)
        speech = SpeechEncoder(ctx, processor, hp)
        held_examples = speech.examples(held)
        before = word_error_rate(model, speech, held_examples, hp)
        if uses_lora(ctx):
            model = add_lora(model, hp, ["q_proj", "v_proj"])
        elif hp["freeze_encoder"]:
            model.model.encoder.requires_grad_(False)
        args = training_arguments(ctx, hp)
        dataset = RowsDataset(speech.examples(train))
        outcome = run_trainer(
            ctx,
            Trainer(
                model=model,
                args=args,
                train_dataset=dataset,
                callbacks=trainer_callbacks(),
                data_collator=speech.collate,
            ),
        )
        if outcome.result is not None:
            return outcome.result
        after = word_error_rate(model, speech, held_examples, hp)
        save_transformers_artefact(model, processor, ctx.output_dir, from_config)
        metrics = {"wer_before": before, "wer_after": after, **outcome.metrics}
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def load_whisper(ctx: RecipeContext, hp: dict[str, Any]) -> tuple[Any, Any, bool]:
    """(model, processor, built_from_config): tiny from config, or from the Hub / a directory."""
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    from omnitune.recipes.audio.tiny_models import tiny_whisper

    source = resolve_model(ctx)
    if source.tiny is not None:
        model, processor = tiny_whisper(source.tiny)
        return model, processor, True
    ref = str(source.ref)
    processor = WhisperProcessor.from_pretrained(ref)
    model = WhisperForConditionalGeneration.from_pretrained(ref)
    if hp["language"]:
        processor.tokenizer.set_prefix_tokens(language=hp["language"], task="transcribe")
    return model, processor, False


class SpeechEncoder:
    """Turns transcribed clips into log-mel features and label ids, and batches of them into inputs."""

    def __init__(self, ctx: RecipeContext, processor: Any, hp: dict[str, Any]) -> None:
        self.ctx, self.processor, self.max_seconds = ctx, processor, float(hp["max_seconds"])

    def examples(self, rows: list[Row]) -> list[dict[str, Any]]:
        """One {"input_features", "labels", "text"} example per row."""
        extractor, tokenizer = self.processor.feature_extractor, self.processor.tokenizer
        out = []
        for row in rows:
            wave = load_waveform(self.ctx.data_dir, row["audio"], extractor.sampling_rate, self.max_seconds)
            features = extractor(wave, sampling_rate=extractor.sampling_rate, return_tensors="pt")
            labels = tokenizer(str(row["text"])).input_ids
            out.append({"input_features": features.input_features[0], "labels": labels, "text": row["text"]})
        return out

    def collate(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        """Stacked features and right-padded labels (-100 is ignored by the loss)."""
        labels = [example["labels"] for example in batch]
        start = self.processor.tokenizer.convert_tokens_to_ids("<|startoftranscript|>")
        if all(ids and ids[0] == start for ids in labels):
            labels = [ids[1:] for ids in labels]  # the model prepends the start token itself
        width = max(len(ids) for ids in labels)
        padded = torch.full((len(labels), width), -100, dtype=torch.long)
        for i, ids in enumerate(labels):
            padded[i, : len(ids)] = torch.tensor(ids)
        features = torch.stack([example["input_features"] for example in batch])
        return {"input_features": features, "labels": padded}


@torch.no_grad()
def transcribe(
    model: Any, speech: SpeechEncoder, examples: list[dict[str, Any]], hp: dict[str, Any]
) -> list[str]:
    """Greedy transcripts of ``examples``."""
    model.eval()
    kwargs: dict[str, Any] = {"max_new_tokens": int(hp["max_new_tokens"])}
    if hp["language"]:
        kwargs |= {"language": hp["language"], "task": "transcribe"}
    texts: list[str] = []
    for start in range(0, len(examples), 8):
        features = torch.stack([e["input_features"] for e in examples[start : start + 8]]).to(model.device)
        ids = model.generate(input_features=features, **kwargs)
        texts += speech.processor.batch_decode(ids, skip_special_tokens=True)
    model.train()
    return texts


def word_error_rate(
    model: Any, speech: SpeechEncoder, examples: list[dict[str, Any]], hp: dict[str, Any]
) -> float:
    """Corpus WER (jiwer) of greedy transcripts against the references, after light normalisation."""
    import jiwer

    hypotheses = [_normalise(text) for text in transcribe(model, speech, examples, hp)]
    references = [_normalise(str(e["text"])) for e in examples]
    return float(jiwer.wer(references, hypotheses))


def _normalise(text: str) -> str:
    # Case and punctuation are not what WER is meant to count.
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()
