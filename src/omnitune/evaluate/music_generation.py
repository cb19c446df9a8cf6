"""Evaluate a music-generation (MusicGen) version: play the held-out descriptions with the trained model (and
the baseline), then FAD against the held-out clips and the CLAP text-audio score.

Descriptions and reference clips come from ``--data`` (a prepared audio dataset: rows with ``audio`` +
``text``; held-out = its validation split, else the recipe's seeded 25%). Each description gets
``--num-images`` seeded clips as long as its reference clip (at most the plan's ``sample_seconds``),
sampled with the plan's guidance scale. ``fad`` needs ``--audio-encoder``, ``clap_score`` needs
``--clap``; clips are saved as WAVs beside the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from omnitune.evaluate.audio_embeddings import FAD_HINT, AudioFeatures, frechet_audio_distance
from omnitune.evaluate.clap_score import ClapScorer
from omnitune.evaluate.frechet import ExtractorScores
from omnitune.evaluate.media import (
    MediaEvalOptions,
    combined,
    file_samples,
    finish_report,
    held_out_rows,
    load_or_explain,
    plan_hyperparameters,
    training_seed,
    transformers_baseline,
)
from omnitune.evaluate.report import EvalReport
from omnitune.registry.references import ResolvedModel

CLAP_HINT = (
    "no CLAP model: pass --clap DIR (a transformers ClapModel directory, e.g. laion/clap-htsat-unfused)"
)


def evaluate_music_generation(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Generate clips for the held-out descriptions (and with the baseline), score both, check the gates."""
    from transformers import MusicgenForConditionalGeneration

    from omnitune.recipes.audio.music import DEFAULTS
    from omnitune.recipes.audio.tiny_models import tiny_musicgen

    version = target.version
    assert version is not None
    seed, hp = training_seed(version), DEFAULTS | plan_hyperparameters(version)
    held = held_out_rows(options, seed, ("audio", "text"), version.recipe)
    model, processor = load_trained(Path(version.artefact_path))
    rate = int(model.config.audio_encoder.sampling_rate)
    references = [_reference(options.data, row, rate, hp) for row in held]
    report = EvalReport(model=target.label, data=str(options.data), samples_dir=str(options.samples_dir))
    own = play(model, processor, held, references, hp, options, "model")
    texts = [str(row["text"]) for row in held for _ in range(options.num_images)]
    report.metrics, report.extractors, report.skipped = score(own, texts, references, rate, options)
    report.examples = len(held)
    base: list[Path] = []
    if options.against:
        report.against, base_model = transformers_baseline(
            version,
            options.against,
            MusicgenForConditionalGeneration,
            lambda tiny: tiny_musicgen(tiny)[0],
            seed,
        )
        base = play(base_model, processor, held, references, hp, options, "baseline")
        report.baseline_metrics, _, _ = score(base, texts, references, rate, options)
    reference_files = [str(held[i // options.num_images]["audio"]) for i in range(len(texts))]
    return finish_report(report, options, file_samples(texts, reference_files, own, base, options))


def load_trained(artefact: Path) -> tuple[Any, Any]:
    """The saved MusicGen (full weights, or base + LoRA adapter) and its processor."""
    from transformers import MusicgenForConditionalGeneration, MusicgenProcessor

    from omnitune.recipes.media_training import load_transformers_artefact

    where = f"{artefact} (the version's MusicGen, was it trained by music_generation?)"
    processor = load_or_explain(where, lambda: MusicgenProcessor.from_pretrained(artefact))
    return load_or_explain(
        where, lambda: load_transformers_artefact(MusicgenForConditionalGeneration, artefact)
    ), processor


def play(
    model: Any,
    processor: Any,
    rows: list[dict[str, Any]],
    references: list[np.ndarray],
    hp: dict[str, Any],
    options: MediaEvalOptions,
    tag: str,
) -> list[Path]:
    """``num_images`` seeded clips per description, as long as its reference, as ``<tag>-<row>-<k>.wav``."""
    import torch

    from omnitune.recipes.audio.music import write_sample

    options.samples_dir.mkdir(parents=True, exist_ok=True)
    rate = int(model.config.audio_encoder.sampling_rate)
    files = []
    for i, (row, reference) in enumerate(zip(rows, references, strict=True)):
        length = {"sample_seconds": len(reference) / rate}
        for k in range(options.num_images):
            torch.manual_seed(k)  # MusicGen samples its codes
            files.append(write_sample(model, processor, str(row["text"]), hp | length,
                                      options.samples_dir / f"{tag}-{i}-{k}.wav"))  # fmt: skip
    return files


def score(
    files: list[Path], texts: list[str], references: list[np.ndarray], rate: int, options: MediaEvalOptions
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """(metrics, metric -> extractor, metric -> why skipped) of one model's clips."""
    import soundfile

    waves = [soundfile.read(str(path), dtype="float32")[0] for path in files]
    measured: list[ExtractorScores] = []
    skipped: dict[str, str] = {}
    if options.clap:
        measured.append(ClapScorer.from_pretrained(options.clap).score(waves, rate, texts))
    else:
        skipped["clap_score"] = CLAP_HINT
    if not options.audio_encoder:
        skipped["fad"] = FAD_HINT
    elif min(len(references), len(waves)) < 2:
        skipped["fad"] = "needs at least 2 held-out clips and 2 generated clips"
    else:
        encoder = AudioFeatures.from_pretrained(options.audio_encoder)
        measured.append(frechet_audio_distance(references, waves, rate, encoder))
    return *combined(measured), skipped


def _reference(data: Path, row: dict[str, Any], rate: int, hp: dict[str, Any]) -> np.ndarray:
    from omnitune.recipes.media_inputs import load_waveform

    wave: np.ndarray = load_waveform(data, str(row["audio"]), rate, float(hp["sample_seconds"]))
    return wave
