"""Evaluate a video LoRA version: sample clips for the held-out captions with the trained pipeline (and the
baseline), then frame FID/KID against the held-out clips, temporal consistency and CLIP score.

Captions and reference clips come from ``--data`` (a prepared video dataset: rows with ``video`` +
``text``; held-out = its validation split, else the recipe's seeded 25%). An image-to-video version
starts each clip from its reference clip's first frame, as the recipe's own sample does. Clips are
read and generated at the plan's ``num_frames``/``height``/``width`` and saved as MP4s beside the
report. Frame metrics need ``--features DIR`` (or ``--clip DIR``'s vision tower); CLIP score
(mean over 4 frames per clip against its caption) needs ``--clip``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from omnitune.evaluate.clip_score import CLIP_HINT
from omnitune.evaluate.frechet import ExtractorScores
from omnitune.evaluate.image_generation import FEATURES_HINT, Scorers, load_scorers
from omnitune.evaluate.media import (
    MediaEvalOptions,
    base_unavailable,
    combined,
    file_samples,
    finish_report,
    held_out_rows,
    plan_hyperparameters,
    seeded,
    tiny_config,
    training_seed,
)
from omnitune.evaluate.report import EvalReport
from omnitune.evaluate.video_metrics import frame_fid_kid, frames_tensor, sample_frames, temporal_consistency
from omnitune.registry.references import ResolvedModel, resolve_model
from omnitune.store.records import ModelVersionRecord


def evaluate_video_generation(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Sample clips with the trained pipeline (and the baseline), score both the same way, check the gates."""
    from omnitune.recipes.video.pipelines import VideoLatents

    version = target.version
    assert version is not None
    seed, hp = training_seed(version), video_hyperparameters(version)
    held = held_out_rows(options, seed, ("video", "text"), version.recipe)
    video = load_video(version, hp, seed, with_lora=True)
    latents = VideoLatents(video, options.data, hp)
    references = [(latents.pixels(row)[0].transpose(0, 1) + 1.0) / 2.0 for row in held]
    scorers = load_scorers(options)
    report = EvalReport(model=target.label, data=str(options.data), samples_dir=str(options.samples_dir))
    own, own_clips = sample(video, latents, held, options, "model")
    texts = [str(row["text"]) for row in held for _ in range(options.num_images)]
    report.metrics, report.extractors, report.skipped = score(own_clips, references, texts, scorers)
    report.examples = len(held)
    base: list[Path] = []
    if options.against:
        report.against, base_video = load_baseline(target, options.against, hp, seed)
        base, base_clips = sample(base_video, latents, held, options, "baseline")
        report.baseline_metrics, _, _ = score(base_clips, references, texts, scorers)
    reference_files = [str(held[i // options.num_images]["video"]) for i in range(len(texts))]
    return finish_report(report, options, file_samples(texts, reference_files, own, base, options))


def video_hyperparameters(version: ModelVersionRecord) -> dict[str, Any]:
    """The recipe's defaults, a tiny base's CPU sizes, then the plan's hyperparameters (as it trained)."""
    from omnitune.recipes.video.lora import DEFAULTS
    from omnitune.recipes.video.tiny_models import tiny_video_defaults

    tiny = tiny_config(version.base_model)
    return DEFAULTS | (tiny_video_defaults(tiny) if tiny is not None else {}) | plan_hyperparameters(version)


def load_video(version: ModelVersionRecord, hp: dict[str, Any], seed: int, with_lora: bool) -> Any:
    """The version's pipeline as a ``VideoModel``: its saved ``base/``, the rebuilt catalog base or the base
    id, with the version's LoRA applied when ``with_lora``."""
    from diffusers import DiffusionPipeline

    from omnitune.recipes.media_training import BASE_DIR
    from omnitune.recipes.video.tiny_models import tiny_video_pipeline

    saved, tiny = Path(version.artefact_path) / BASE_DIR, tiny_config(version.base_model)
    if (saved / "model_index.json").is_file():
        pipe = DiffusionPipeline.from_pretrained(saved)
    elif tiny is not None:  # the recipe seeds, then builds: this is the pipeline it trained from
        pipe = seeded(seed, lambda: tiny_video_pipeline(tiny))
    else:
        try:
            pipe = DiffusionPipeline.from_pretrained(version.base_model)
        except (OSError, ValueError) as exc:
            raise base_unavailable(version, exc) from None
    if with_lora:
        pipe.load_lora_weights(version.artefact_path)
    return video_model(pipe, hp, version.base_model)


def video_model(pipe: Any, hp: dict[str, Any], label: str) -> Any:
    """Wrap a loaded pipeline with its family's objective (how it samples), on the GPU when there is one."""
    from omnitune.recipes.video.pipelines import SUPPORTED, VideoModel

    kind = type(pipe).__name__
    if kind not in SUPPORTED:
        raise ValueError(
            f"{label}: a {kind}; video versions sample with one of {', '.join(sorted(SUPPORTED))}"
        )
    pipe.to("cuda" if torch.cuda.is_available() else "cpu")
    pipe.set_progress_bar_config(disable=True)
    own_hp = dict(hp)  # an objective may adjust its copy (Wan I2V's text length)
    return VideoModel(pipe, False, own_hp, SUPPORTED[kind](pipe, own_hp))


def load_baseline(target: ResolvedModel, against: str, hp: dict[str, Any], seed: int) -> tuple[str, Any]:
    """(label, VideoModel) of ``--against``: ``base`` is the version's base without the LoRA; else a video
    version (its base + LoRA) or a pipeline directory."""
    from diffusers import DiffusionPipeline

    version = target.version
    assert version is not None
    if against == "base":
        return version.base_model, load_video(version, hp, seed, with_lora=False)
    other = resolve_model(against)
    if other.version is not None:
        return other.label, load_video(other.version, hp, training_seed(other.version), with_lora=True)
    try:
        return other.label, video_model(DiffusionPipeline.from_pretrained(other.path), hp, other.label)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"--against {against}: not a diffusers video pipeline ({exc}); give a directory saved with "
            "pipeline.save_pretrained, a video version NAME:vN, or 'base'"
        ) from None


def sample(
    video: Any, latents: Any, rows: list[dict[str, Any]], options: MediaEvalOptions, tag: str
) -> tuple[list[Path], list[torch.Tensor]]:
    """``num_images`` seeded clips per caption (from the row's first frame for image-to-video), saved as
    ``<tag>-<row>-<k>.mp4``; (files, clips as (F, 3, H, W) in [0, 1])."""
    from omnitune.recipes.media_inputs import write_mp4

    options.samples_dir.mkdir(parents=True, exist_ok=True)
    steps = int(options.steps or video.hp["sample_steps"])
    files, clips = [], []
    for i, row in enumerate(rows):
        image = latents.first_frame(row) if video.objective.image_conditioned else None
        for k in range(options.num_images):
            frames = video.generate(
                str(row["text"]), steps, float(video.hp["sample_guidance"]), k, image=image
            )
            files.append(write_mp4(frames, options.samples_dir / f"{tag}-{i}-{k}.mp4", int(video.hp["fps"])))
            clips.append(frames_tensor(frames))
    return files, clips


def score(
    clips: list[torch.Tensor], references: list[torch.Tensor], texts: list[str], scorers: Scorers
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """(metrics, metric -> extractor, metric -> why skipped) of one model's clips."""
    measured: list[ExtractorScores] = []
    skipped: dict[str, str] = {}
    if scorers.clip is not None:
        per_clip = [sample_frames([clip]) for clip in clips]
        frame_texts = [text for text, frames in zip(texts, per_clip, strict=True) for _ in range(len(frames))]
        measured.append(scorers.clip.score(torch.cat(per_clip), frame_texts))
    else:
        skipped["clip_score"] = CLIP_HINT
    if scorers.features is None:
        skipped["frame_fid"] = skipped["frame_kid"] = skipped["temporal_consistency"] = FEATURES_HINT
    else:
        measured.append(frame_fid_kid(references, clips, scorers.features))
        measured.append(temporal_consistency(clips, scorers.features))
    return *combined(measured), skipped
