"""Evaluate a speech-recognition (Whisper) version: WER/CER of greedy transcripts on held-out clips,
before (``--against``) and after training.

Clips come from ``--data`` (a prepared audio dataset: rows with ``audio`` + ``text``; held-out = its
validation split, else the recipe's seeded 25% slice), by default the data the version trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from omnitune.evaluate.audio_metrics import word_error_rate
from omnitune.evaluate.media import (
    MediaEvalOptions,
    finish_report,
    held_out_rows,
    plan_hyperparameters,
    training_seed,
    transformers_baseline,
)
from omnitune.evaluate.report import EvalReport, Sample
from omnitune.evaluate.text_metrics import normalise_answer
from omnitune.registry.references import ResolvedModel


def evaluate_speech_recognition(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """WER/CER of the trained model (and the baseline) on the held-out clips; gates checked."""
    version = target.version
    assert version is not None
    seed, hp = training_seed(version), plan_hyperparameters(version)
    held = held_out_rows(options, seed, ("audio", "text"), "speech recognition")
    references = [str(row["text"]) for row in held]
    model, processor = load_trained(Path(version.artefact_path))
    own = transcribe(model, processor, options.data, held, hp, options.max_new_tokens)
    report = EvalReport(model=target.label, data=str(options.data), examples=len(held))
    report.metrics = word_error_rate(
        [normalise_answer(t) for t in own], [normalise_answer(r) for r in references]
    )
    base: list[str] = []
    if options.against:
        report.against, base_model = load_baseline(target, options.against, seed)
        base = transcribe(base_model, processor, options.data, held, hp, options.max_new_tokens)
        report.baseline_metrics = word_error_rate(
            [normalise_answer(t) for t in base], [normalise_answer(r) for r in references]
        )
    samples = [
        Sample(prompt=str(row["audio"]), reference=ref, prediction=text,
               baseline_prediction=base[i] if base else None)
        for i, (row, ref, text) in enumerate(zip(held, references, own, strict=True))
    ]  # fmt: skip
    return finish_report(report, options, samples)


def load_trained(artefact: Path) -> tuple[Any, Any]:
    """The saved Whisper (full weights, or base + LoRA adapter) and its processor."""
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    from omnitune.recipes.media_training import load_transformers_artefact

    try:
        processor = WhisperProcessor.from_pretrained(artefact)
    except OSError as exc:
        raise ValueError(
            f"{artefact}: no Whisper processor ({exc}); was it trained by speech_recognition?"
        ) from None
    return load_transformers_artefact(WhisperForConditionalGeneration, artefact), processor


def load_baseline(target: ResolvedModel, against: str, seed: int) -> tuple[str, Any]:
    """(label, model) of ``--against``: ``base`` is the saved ``base/``, the catalog config or the base id."""
    from transformers import WhisperForConditionalGeneration

    from omnitune.recipes.audio.tiny_models import tiny_whisper

    assert target.version is not None
    return transformers_baseline(
        target.version, against, WhisperForConditionalGeneration, lambda tiny: tiny_whisper(tiny)[0], seed
    )


@torch.no_grad()
def transcribe(
    model: Any,
    processor: Any,
    data_dir: Path,
    rows: list[dict[str, Any]],
    hp: dict[str, Any],
    max_new_tokens: int,
) -> list[str]:
    """Greedy transcripts of the rows' clips (the plan's ``language`` forced when it names one)."""
    from omnitune.recipes.media_inputs import load_waveform

    model.eval()
    extractor = processor.feature_extractor
    kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens}
    if hp.get("language"):
        kwargs |= {"language": hp["language"], "task": "transcribe"}
    texts: list[str] = []
    for start in range(0, len(rows), 8):
        waves = [
            load_waveform(data_dir, str(r["audio"]), extractor.sampling_rate) for r in rows[start : start + 8]
        ]
        features = extractor(waves, sampling_rate=extractor.sampling_rate, return_tensors="pt").input_features
        ids = model.generate(input_features=features.to(model.device), **kwargs)
        texts += processor.batch_decode(ids, skip_special_tokens=True)
    return texts
